"""The install kustomization (metacontroller/): renders offline, every object is valid, and the
pieces fit together (Service -> pods, CompositeControllers -> Service, NetworkPolicy -> Metacontroller).

Rendering uses the kustomize binary `make tools` builds (tests/support/tools.py); its absence is a
failure, not a skip.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

from tests.support.tools import kustomize

ROOT = Path(__file__).resolve().parents[2]
NAMESPACE = "pinot-control-plane"
HOOKS = "pinot-control-plane-hooks"
GROUP = "pinot.controlplane.dev"
KUBERNETES_VERSIONS = ["1.30", kubernetes_validate.latest_version()]

JsonObject = dict[str, Any]

BUILTIN = [
    ("CustomResourceDefinition", f"pinotclusters.{GROUP}"),
    ("CustomResourceDefinition", f"pinotschemas.{GROUP}"),
    ("CustomResourceDefinition", f"pinottables.{GROUP}"),
    ("CustomResourceDefinition", f"pinottenants.{GROUP}"),
    ("Namespace", NAMESPACE),
    ("ServiceAccount", HOOKS),
    ("Deployment", HOOKS),
    ("Service", HOOKS),
    ("PodDisruptionBudget", HOOKS),
    ("NetworkPolicy", HOOKS),
]
CLUSTER_SCOPED = {"CustomResourceDefinition", "Namespace", "CompositeController"}

# What each CompositeController must say: child (apiVersion, resource) -> update method, hook paths.
_RESOURCE_CHILDREN = {("v1", "configmaps"): "InPlace", ("batch/v1", "jobs"): "OnDelete"}
CONTROLLERS: dict[str, JsonObject] = {
    "pinotclusters": {
        "children": {
            ("apps/v1", "statefulsets"): "InPlace",
            ("v1", "services"): "InPlace",
            ("v1", "configmaps"): "InPlace",
            ("policy/v1", "poddisruptionbudgets"): "InPlace",
            ("networking.k8s.io/v1", "networkpolicies"): "InPlace",
            ("batch/v1", "jobs"): "OnDelete",
        },
        "hooks": {
            "sync": "/sync/pinotcluster",
            "finalize": "/finalize/pinotcluster",
            "customize": "/customize/pinotcluster",
        },
        "resync": 60,
    },
    **{
        plural: {
            "children": _RESOURCE_CHILDREN,
            "hooks": {verb: f"/{verb}/{plural[:-1]}" for verb in ("sync", "finalize", "customize")},
            "resync": 30,
        }
        for plural in ("pinotschemas", "pinottables", "pinottenants")
    },
}


@pytest.fixture(scope="module")
def rendered() -> list[JsonObject]:
    return kustomize(ROOT / "metacontroller")


def find(objects: list[JsonObject], kind: str, name: str) -> JsonObject:
    matches = [o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name]
    assert len(matches) == 1, f"expected one {kind}/{name}, found {len(matches)}"
    return matches[0]


def selects(selector: Mapping[str, Any], labels: Mapping[str, str]) -> bool:
    """A matchLabels-only selector that selects the given labels."""
    assert set(selector) == {"matchLabels"}, "selectors use matchLabels only"
    match = selector["matchLabels"]
    return bool(match) and all(labels.get(k) == v for k, v in match.items())


def pod_labels(objects: list[JsonObject]) -> dict[str, str]:
    labels: dict[str, str] = find(objects, "Deployment", HOOKS)["spec"]["template"]["metadata"]["labels"]
    return labels


def test_renders_exactly_the_expected_objects(rendered: list[JsonObject]) -> None:
    found = sorted((o["kind"], o["metadata"]["name"]) for o in rendered)
    expected = sorted([*BUILTIN, *(("CompositeController", f"{p}.{GROUP}") for p in CONTROLLERS)])
    assert found == expected


def test_namespaces_are_explicit(rendered: list[JsonObject]) -> None:
    for obj in rendered:
        namespace = obj["metadata"].get("namespace")
        label = f"{obj['kind']}/{obj['metadata']['name']}"
        if obj["kind"] in CLUSTER_SCOPED:
            assert namespace is None, label
        else:
            assert namespace == NAMESPACE, label


def test_everything_is_labelled_part_of_the_control_plane(rendered: list[JsonObject]) -> None:
    for obj in rendered:
        assert obj["metadata"]["labels"]["app.kubernetes.io/part-of"] == "pinot-control-plane", obj["kind"]


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
@pytest.mark.parametrize(("kind", "name"), BUILTIN, ids=[f"{k}/{n}" for k, n in BUILTIN])
def test_builtin_object_is_valid(rendered: list[JsonObject], kind: str, name: str, version: str) -> None:
    kubernetes_validate.validate(find(rendered, kind, name), version, strict=True)


# ---------------------------------------------------------------- CompositeControllers

_WEBHOOK = {
    "type": "object",
    "additionalProperties": False,
    "required": ["service", "path"],
    "properties": {
        "service": {
            "type": "object",
            "additionalProperties": False,
            "required": ["name", "namespace"],
            "properties": {
                "name": {"type": "string", "minLength": 1},
                "namespace": {"type": "string", "minLength": 1},
                "port": {"type": "integer", "minimum": 1, "maximum": 65535},
                "protocol": {"enum": ["http", "https"]},
            },
        },
        "path": {"type": "string", "pattern": "^/"},
        "timeout": {"type": "string", "pattern": r"^([0-9]+(\.[0-9]+)?(ns|us|ms|s|m|h))+$"},
    },
}
_HOOK = {
    "type": "object",
    "additionalProperties": False,
    "required": ["webhook"],
    "properties": {"version": {"enum": ["v1", "v2"]}, "webhook": _WEBHOOK},
}
# The fields of metacontroller.k8s.io/v1alpha1 CompositeController that this project uses
# (reference: metacontroller-contract.md section 1); anything else is most likely a typo.
COMPOSITE_CONTROLLER = {
    "type": "object",
    "additionalProperties": False,
    "required": ["apiVersion", "kind", "metadata", "spec"],
    "properties": {
        "apiVersion": {"const": "metacontroller.k8s.io/v1alpha1"},
        "kind": {"const": "CompositeController"},
        "metadata": {"type": "object", "required": ["name"]},
        "spec": {
            "type": "object",
            "additionalProperties": False,
            "required": ["parentResource", "hooks"],
            "properties": {
                "parentResource": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["apiVersion", "resource"],
                    "properties": {"apiVersion": {"type": "string"}, "resource": {"type": "string"}},
                },
                "childResources": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["apiVersion", "resource"],
                        "properties": {
                            "apiVersion": {"type": "string"},
                            "resource": {"type": "string", "pattern": "^[a-z]+$"},
                            "updateStrategy": {
                                "type": "object",
                                "additionalProperties": False,
                                "properties": {
                                    "method": {
                                        "enum": [
                                            "OnDelete",
                                            "Recreate",
                                            "InPlace",
                                            "RollingRecreate",
                                            "RollingInPlace",
                                        ]
                                    }
                                },
                            },
                        },
                    },
                },
                "resyncPeriodSeconds": {"type": "integer", "minimum": 1},
                "generateSelector": {"type": "boolean"},
                "hooks": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["sync"],
                    "properties": {"sync": _HOOK, "finalize": _HOOK, "customize": _HOOK},
                },
            },
        },
    },
}


def composite_controller_errors(obj: JsonObject) -> list[str]:
    validator = jsonschema.Draft202012Validator(COMPOSITE_CONTROLLER)
    return sorted(f"{'.'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(obj))


def controller(rendered: list[JsonObject], plural: str) -> JsonObject:
    return find(rendered, "CompositeController", f"{plural}.{GROUP}")


controllers = pytest.mark.parametrize("plural", sorted(CONTROLLERS))


@controllers
def test_composite_controller_shape(rendered: list[JsonObject], plural: str) -> None:
    assert composite_controller_errors(controller(rendered, plural)) == []


def test_composite_controller_check_catches_typos() -> None:
    broken: JsonObject = {
        "apiVersion": "metacontroller.k8s.io/v1alpha1",
        "kind": "CompositeController",
        "metadata": {"name": "x"},
        "spec": {
            "parentResource": {"apiVersion": "v1", "resource": "things"},
            "childResources": [
                {"apiVersion": "v1", "resource": "pods", "updateStrategy": {"method": "Inplace"}}
            ],
            "hooks": {"sync": {"version": "v3", "webhook": {"url": "http://x", "timeout": "10 s"}}},
            "resyncPeriodSecond": 5,
        },
    }
    errors = "\n".join(composite_controller_errors(broken))
    for text in (
        "'Inplace' is not one of",
        "'v3' is not one of",
        "'url' was unexpected",
        "resyncPeriodSecond",
    ):
        assert text in errors


@controllers
def test_parent_is_our_crd_with_status_subresource(rendered: list[JsonObject], plural: str) -> None:
    parent = controller(rendered, plural)["spec"]["parentResource"]
    crd = find(rendered, "CustomResourceDefinition", f"{plural}.{GROUP}")
    [version] = [v for v in crd["spec"]["versions"] if v["storage"]]
    assert parent == {"apiVersion": f"{GROUP}/{version['name']}", "resource": plural}
    # Metacontroller silently ignores a parent whose CRD lacks the status subresource.
    assert version["subresources"]["status"] == {}


@controllers
def test_children_and_update_strategies(rendered: list[JsonObject], plural: str) -> None:
    spec = controller(rendered, plural)["spec"]
    children = {
        (c["apiVersion"], c["resource"]): c["updateStrategy"]["method"] for c in spec["childResources"]
    }
    assert children == CONTROLLERS[plural]["children"]
    assert spec["generateSelector"] is True
    assert spec["resyncPeriodSeconds"] == CONTROLLERS[plural]["resync"]


@controllers
def test_hooks_call_the_hook_service_with_v2(rendered: list[JsonObject], plural: str) -> None:
    hooks = controller(rendered, plural)["spec"]["hooks"]
    service = find(rendered, "Service", HOOKS)
    [port] = service["spec"]["ports"]
    assert {verb: hook["webhook"]["path"] for verb, hook in hooks.items()} == CONTROLLERS[plural]["hooks"]
    for hook in hooks.values():
        assert hook["version"] == "v2"
        assert hook["webhook"]["timeout"] == "10s"
        assert hook["webhook"]["service"] == {
            "name": service["metadata"]["name"],
            "namespace": service["metadata"]["namespace"],
            "port": port["port"],
        }


# ---------------------------------------------------------------- the hook server


def test_deployment(rendered: list[JsonObject]) -> None:
    deployment = find(rendered, "Deployment", HOOKS)
    spec = deployment["spec"]
    assert spec["replicas"] == 2
    assert selects(spec["selector"], pod_labels(rendered))
    pod = spec["template"]["spec"]
    [container] = pod["containers"]
    assert container["image"] == "pinot-control-plane:0.1.0"
    assert container["args"] == [
        *("serve", "--host", "0.0.0.0", "--port", "8080", "--probe-port", "8081", "--log-level", "info")
    ]
    assert container["ports"] == [
        {"name": "http", "containerPort": 8080, "protocol": "TCP"},
        {"name": "probes", "containerPort": 8081, "protocol": "TCP"},
    ]
    for probe, path in (("readinessProbe", "/readyz"), ("livenessProbe", "/healthz")):
        get = container[probe]["httpGet"]
        assert get["path"] == path
        assert get["port"] == "probes"  # answered off the event loop (hooks.probes)
        assert container[probe]["timeoutSeconds"] == 1
    resources = container["resources"]
    assert set(resources["requests"]) == {"cpu", "memory"}
    assert "memory" in resources["limits"]
    assert pod["serviceAccountName"] == find(rendered, "ServiceAccount", HOOKS)["metadata"]["name"]


def test_pods_spread_across_nodes(rendered: list[JsonObject]) -> None:
    pod = find(rendered, "Deployment", HOOKS)["spec"]["template"]["spec"]
    [spread] = pod["topologySpreadConstraints"]
    assert spread["topologyKey"] == "kubernetes.io/hostname"
    assert spread["maxSkew"] == 1
    assert selects(spread["labelSelector"], pod_labels(rendered))


def test_restricted_security_context(rendered: list[JsonObject]) -> None:
    pod = find(rendered, "Deployment", HOOKS)["spec"]["template"]["spec"]
    [container] = pod["containers"]
    context = {**pod.get("securityContext", {}), **container["securityContext"]}
    assert context["runAsNonRoot"] is True
    assert context["runAsUser"] == 10001
    assert context["allowPrivilegeEscalation"] is False
    assert context["readOnlyRootFilesystem"] is True
    assert context["capabilities"] == {"drop": ["ALL"]}
    assert context["seccompProfile"] == {"type": "RuntimeDefault"}
    assert container["securityContext"].get("privileged") is not True
    namespace_labels = find(rendered, "Namespace", NAMESPACE)["metadata"]["labels"]
    assert namespace_labels["pod-security.kubernetes.io/enforce"] == "restricted"


def test_no_api_credentials(rendered: list[JsonObject]) -> None:
    account = find(rendered, "ServiceAccount", HOOKS)
    assert account["automountServiceAccountToken"] is False
    pod = find(rendered, "Deployment", HOOKS)["spec"]["template"]["spec"]
    assert pod.get("automountServiceAccountToken") is not True
    assert not [
        o for o in rendered if o["kind"] in {"Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding"}
    ]


def test_service_forwards_port_80_to_the_hook_port(rendered: list[JsonObject]) -> None:
    service = find(rendered, "Service", HOOKS)
    [port] = service["spec"]["ports"]
    assert port["port"] == 80
    [container] = find(rendered, "Deployment", HOOKS)["spec"]["template"]["spec"]["containers"]
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    target = port["targetPort"]
    assert (ports.get(target) if isinstance(target, str) else target) == 8080
    labels = pod_labels(rendered)
    assert service["spec"]["selector"] and all(
        labels.get(k) == v for k, v in service["spec"]["selector"].items()
    )


def test_disruption_budget_keeps_one_pod(rendered: list[JsonObject]) -> None:
    budget = find(rendered, "PodDisruptionBudget", HOOKS)["spec"]
    assert budget["minAvailable"] == 1
    assert selects(budget["selector"], pod_labels(rendered))


def test_network_policy_admits_only_metacontroller_on_8080(rendered: list[JsonObject]) -> None:
    policy = find(rendered, "NetworkPolicy", HOOKS)["spec"]
    assert selects(policy["podSelector"], pod_labels(rendered))
    assert "Ingress" in policy["policyTypes"]
    [rule] = policy["ingress"]
    assert rule["from"] == [
        {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "metacontroller"}}}
    ]
    assert rule["ports"] == [{"protocol": "TCP", "port": 8080}]


def test_no_pod_may_reach_the_probe_port(rendered: list[JsonObject]) -> None:
    """Only the kubelet asks the probes, from the node, which a NetworkPolicy does not restrict."""
    [container] = find(rendered, "Deployment", HOOKS)["spec"]["template"]["spec"]["containers"]
    probes = {p["containerPort"] for p in container["ports"] if p["name"] == "probes"}
    admitted = {
        port.get("port")
        for rule in find(rendered, "NetworkPolicy", HOOKS)["spec"]["ingress"]
        for port in rule.get("ports") or [{}]
    }
    assert probes and not probes & admitted and None not in admitted and "probes" not in admitted


def test_kustomization_references_crds_as_a_directory() -> None:
    kustomization = yaml.safe_load((ROOT / "metacontroller" / "kustomization.yaml").read_text())
    assert "../crds" in kustomization["resources"]
    assert "namespace" not in kustomization, "a namespace transformer would stamp the CompositeControllers"
    local = [r for r in kustomization["resources"] if not r.startswith("..")]
    assert all((ROOT / "metacontroller" / r).is_file() for r in local)
    assert not [r for r in kustomization["resources"] if re.match(r"\.\./.*\.yaml$", r)]


def test_controllers_and_the_app_agree_on_hook_paths(rendered: list[JsonObject]) -> None:
    """Every path a CompositeController calls is served, and every hook route is called."""
    from hooks.app import default_routes

    called = {
        hook["webhook"]["path"]
        for obj in rendered
        if obj["kind"] == "CompositeController"
        for hook in obj["spec"]["hooks"].values()
    }
    served = {route.path for route in default_routes()}
    assert sorted(called - served) == [], "called by Metacontroller but not served"
    assert sorted(served - called) == [], "served but called by no CompositeController"
