"""The CRD documents themselves: names, versions, printer columns, structural and bounded schemas."""

from __future__ import annotations

import copy
from typing import Any

import kubernetes_validate
import pytest
import yaml

from tests.cluster.builders import BASE_SPEC

from .crdcheck import (
    CRD_DIR,
    ITEMS,
    Crd,
    compile_problems,
    field_path_problems,
    iter_schema,
    load_crds,
    structural_problems,
    unbounded_fields,
    validate_custom_resource,
)

GROUP = "pinot.controlplane.dev"
KINDS = {
    # kind: (plural, short name)
    "PinotCluster": ("pinotclusters", "pinotc"),
    "PinotSchema": ("pinotschemas", "pschema"),
    "PinotTable": ("pinottables", "ptable"),
    "PinotTenant": ("pinottenants", "ptenant"),
}
READY = '.status.conditions[?(@.type=="Ready")].status'
REASON = '.status.conditions[?(@.type=="Ready")].reason'

# The only places where unknown fields are kept: Kubernetes fragments passed through to the
# children (the API server validates them there) and the Pinot JSON documents.
_LAYER_PASSTHROUGH = [
    ("kubernetes", "resources"),
    ("kubernetes", "affinity"),
    ("kubernetes", "tolerations", ITEMS),
    ("kubernetes", "topologySpreadConstraints", ITEMS),
    ("kubernetes", "env", ITEMS),
]
_LAYERS = [("spec", "pools", ITEMS)] + [
    ("spec", "defaults", role) for role in ("common", "controller", "broker", "server", "minion")
]
_MANAGED_ZOOKEEPER = ("spec", "zookeeper", "managed")
# Kubernetes fragments of the production settings: a VolumeSource (NetworkPolicyPeers have a schema).
_SPEC_PASSTHROUGH = {("spec", "deepStore", "volume")}
PASSTHROUGH = {
    "PinotCluster": {(*layer, *field) for layer in _LAYERS for field in _LAYER_PASSTHROUGH}
    | {(*_MANAGED_ZOOKEEPER, *field[1:]) for field in _LAYER_PASSTHROUGH if field[1] != "env"}
    | _SPEC_PASSTHROUGH,
    "PinotSchema": {("spec", "schema")},
    "PinotTable": {("spec", "table")},
    "PinotTenant": set(),
}


def crd(kind: str) -> Crd:
    return load_crds()[kind]


def node(kind: str, *location: str) -> Any:
    return dict(iter_schema(crd(kind).schema))[tuple(location)]


kinds = pytest.mark.parametrize("kind", sorted(KINDS))


def test_one_crd_per_file_and_nothing_else() -> None:
    files = sorted(path.name for path in CRD_DIR.glob("*.yaml") if path.name != "kustomization.yaml")
    assert files == sorted(f"{plural}.yaml" for plural, _ in KINDS.values())
    for name in files:
        documents = [d for d in yaml.safe_load_all((CRD_DIR / name).read_text()) if d is not None]
        assert len(documents) == 1, name
        assert documents[0]["kind"] == "CustomResourceDefinition"
    assert set(load_crds()) == set(KINDS)


def test_kustomization_lists_every_crd() -> None:
    kustomization = yaml.safe_load((CRD_DIR / "kustomization.yaml").read_text())
    assert sorted(kustomization["resources"]) == sorted(f"{plural}.yaml" for plural, _ in KINDS.values())


@kinds
def test_names_group_scope_and_version(kind: str) -> None:
    plural, short = KINDS[kind]
    document = crd(kind).document
    spec = document["spec"]
    assert document["apiVersion"] == "apiextensions.k8s.io/v1"
    assert document["metadata"]["name"] == f"{plural}.{GROUP}"
    assert spec["group"] == GROUP
    assert spec["scope"] == "Namespaced"
    names = spec["names"]
    assert (names["kind"], names["plural"], names["singular"]) == (kind, plural, kind.lower())
    assert names["shortNames"] == [short]
    assert names["categories"] == ["pinot"]
    [version] = spec["versions"]
    assert (version["name"], version["served"], version["storage"]) == ("v1alpha1", True, True)
    # Metacontroller ignores a parent without the status subresource (and would hot-loop on it).
    assert version["subresources"] == {"status": {}}


def test_short_names_do_not_shadow_builtin_ones() -> None:
    taken = {"pc", "po", "svc", "sts", "cm", "ns", "pv", "pvc", "sa", "ds", "rs", "deploy", "cs", "ep", "cc"}
    shorts = [short for _, short in KINDS.values()]
    assert not taken & set(shorts)
    assert "pinotc" in shorts


# What `kubectl get` shows by default (name first), and where each column reads from.
COLUMNS = {
    "PinotCluster": {"Pools": ".status.poolsReady", "Version": ".status.pinotVersion"},
    "PinotSchema": {"Pinot Name": ".status.pinotName", "Cluster": ".spec.clusterRef.name"},
    "PinotTable": {
        "Pinot Name": ".status.pinotName",
        "Type": ".spec.table.tableType",
        "Cluster": ".spec.clusterRef.name",
    },
    "PinotTenant": {
        "Pinot Name": ".status.pinotName",
        "Role": ".spec.tenant.tenantRole",
        "Cluster": ".spec.clusterRef.name",
    },
}


@kinds
def test_printer_columns(kind: str) -> None:
    columns = crd(kind).storage_version["additionalPrinterColumns"]
    by_name = {c["name"]: c for c in columns}
    assert by_name["Ready"]["jsonPath"] == READY
    assert by_name["Reason"]["jsonPath"] == REASON
    assert by_name["Age"] == {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"}
    default_columns = {c["name"]: c["jsonPath"] for c in columns if c.get("priority", 0) == 0}
    assert default_columns == {
        **COLUMNS[kind],
        "Ready": READY,
        "Reason": REASON,
        "Age": by_name["Age"]["jsonPath"],
    }
    assert list(default_columns)[-3:] == ["Ready", "Reason", "Age"]


@kinds
def test_printer_columns_read_declared_fields(kind: str) -> None:
    """A column whose path names no field of the schema shows <none> for ever."""
    declared = {".".join(("", *location)) for location, _ in iter_schema(crd(kind).schema)}
    for column in crd(kind).storage_version["additionalPrinterColumns"]:
        path = column["jsonPath"].split("[")[0]
        assert path in declared or path.startswith(".metadata."), column


def test_cluster_image_column_is_wide_only() -> None:
    columns = {c["name"]: c for c in crd("PinotCluster").storage_version["additionalPrinterColumns"]}
    assert columns["Image"] == {
        "name": "Image",
        "type": "string",
        "description": "The Pinot image of every pool.",
        "jsonPath": ".spec.image",
        "priority": 1,
    }


@kinds
def test_schema_is_structural(kind: str) -> None:
    assert structural_problems(crd(kind).schema) == []


@kinds
def test_every_node_has_a_type(kind: str) -> None:
    untyped = [loc for loc, n in iter_schema(crd(kind).schema) if "type" not in n]
    assert untyped == []


@kinds
def test_lists_strings_and_maps_are_bounded(kind: str) -> None:
    assert unbounded_fields(crd(kind).schema) == []


@kinds
def test_unknown_fields_are_kept_only_in_pass_through_fragments(kind: str) -> None:
    kept = {loc for loc, n in iter_schema(crd(kind).schema) if n.get("x-kubernetes-preserve-unknown-fields")}
    assert kept == PASSTHROUGH[kind]


@kinds
def test_rules_compile_and_name_real_fields(kind: str) -> None:
    assert compile_problems(crd(kind)) == []
    assert field_path_problems(crd(kind)) == []


@kinds
def test_status_declares_observed_generation_and_standard_conditions(kind: str) -> None:
    status = node(kind, "status")
    assert status["type"] == "object"
    assert status["properties"]["observedGeneration"]["type"] == "integer"
    conditions = node(kind, "status", "conditions")
    assert conditions["type"] == "array"
    assert conditions["x-kubernetes-list-type"] == "map"
    assert conditions["x-kubernetes-list-map-keys"] == ["type"]
    item = conditions["items"]
    assert set(item["required"]) == {"type", "status", "reason", "message", "lastTransitionTime"}
    props = item["properties"]
    assert props["status"]["enum"] == ["True", "False", "Unknown"]
    assert props["reason"]["pattern"] == "^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$"
    assert (props["reason"]["minLength"], props["reason"]["maxLength"]) == (1, 1024)
    assert props["message"]["maxLength"] == 32768
    assert props["lastTransitionTime"] == {
        **props["lastTransitionTime"],
        "type": "string",
        "format": "date-time",
    }
    assert props["observedGeneration"]["type"] == "integer"
    assert props["type"]["maxLength"] == 316


@pytest.mark.parametrize("kind", ["PinotSchema", "PinotTable", "PinotTenant"])
def test_pinot_object_status_fields(kind: str) -> None:
    props = node(kind, "status")["properties"]
    assert set(props) == {"observedGeneration", "conditions", "pinotName", "appliedHash", "lastOutcome"}
    assert set(props["lastOutcome"]["properties"]) == {"result", "reason", "message", "httpStatus"}
    assert props["lastOutcome"]["properties"]["httpStatus"]["type"] == "integer"


def test_cluster_status_fields() -> None:
    props = node("PinotCluster", "status")["properties"]
    assert set(props) == {
        "observedGeneration",
        "conditions",
        "pools",
        "controllerService",
        "poolsReady",
        "pinotVersion",
        "upgrade",
        "warnings",
        "removedPools",
        "unrecognizedChildren",
    }
    pool = props["pools"]["items"]["properties"]
    assert set(pool) >= {"name", "role", "replicas", "readyReplicas", "updatedReplicas", "state", "message"}
    assert set(pool) >= {"runningVersion", "desiredVersion"}
    assert pool["pinot"]["properties"]["phase"]["enum"] == [
        "Waiting",
        "Tagging",
        "Rebalancing",
        "Draining",
        "Dropping",
        "Settled",
        "Blocked",
    ]
    assert pool["state"]["enum"] == ["Pending", "Waiting", "RollingOut", "Ready", "Degraded"]
    assert props["pools"]["maxItems"] == node("PinotCluster", "spec", "pools")["maxItems"] == 32


def test_every_pool_layer_has_the_same_shape() -> None:
    """The pool and the five role defaults share one layer shape (one model, written out six times)."""
    shapes = []
    for layer in _LAYERS:
        shapes.append({name: node("PinotCluster", *layer, name) for name in ("pinot", "kubernetes")})
    assert all(shape == shapes[0] for shape in shapes[1:])


def test_cluster_spec_essentials() -> None:
    spec = node("PinotCluster", "spec")
    assert set(spec["required"]) == {"image", "zookeeper", "pools"}
    pools = node("PinotCluster", "spec", "pools")
    assert (pools["minItems"], pools["maxItems"]) == (1, 32)
    name = node("PinotCluster", "spec", "pools", ITEMS, "name")
    assert (name["pattern"], name["maxLength"]) == ("^[a-z]([-a-z0-9]*[a-z0-9])?$", 30)
    replicas = node("PinotCluster", "spec", "pools", ITEMS, "replicas")
    assert (replicas["type"], replicas["minimum"], replicas["default"]) == ("integer", 0, 1)
    order = node("PinotCluster", "spec", "deploymentOrder")
    assert order["default"] == ["controller", "broker", "server", "minion"]
    assert order["items"]["enum"] == ["controller", "broker", "server", "minion"]
    deadline = node("PinotCluster", "spec", "rollout", "progressDeadlineSeconds")
    assert (deadline["default"], deadline["minimum"]) == (900, 30)
    assert node("PinotCluster", "spec", "paused")["default"] is False
    assert node("PinotCluster", "spec", "imagePullPolicy")["enum"] == ["Always", "IfNotPresent", "Never"]
    service_type = node("PinotCluster", "spec", "pools", ITEMS, "kubernetes", "service", "type")
    assert service_type["enum"] == ["ClusterIP", "NodePort", "LoadBalancer"]


@pytest.mark.parametrize(
    ("value", "accepted"),
    [("x\\", True), ("é, ${", True), ("a\nb", False), ("a\rb", False), ("a\tb", False), ("\x7f", False)],
)
def test_property_values_with_control_characters_are_refused_by_the_api_server(
    value: str, accepted: bool
) -> None:
    # A line break would add a line, hence a key, to the Pinot config; the hook refuses more.
    spec = {**copy.deepcopy(BASE_SPEC), "defaults": {"common": {"pinot": {"properties": {"a.b": value}}}}}
    obj = {
        "apiVersion": f"{GROUP}/v1alpha1",
        "kind": "PinotCluster",
        "metadata": {"name": "demo"},
        "spec": spec,
    }
    errors = validate_custom_resource(obj)
    assert (errors == []) is accepted, errors


@pytest.mark.parametrize(
    ("kind", "reload_default"), [("PinotSchema", True), ("PinotTable", False)], ids=["schema", "table"]
)
def test_schema_and_table_flags(kind: str, reload_default: bool) -> None:
    props = node(kind, "spec")["properties"]
    assert props["reload"] == {**props["reload"], "type": "boolean", "default": reload_default}
    assert props["force"] == {**props["force"], "type": "boolean", "default": False}


@kinds
def test_deletion_policy_defaults_to_retain(kind: str) -> None:
    if kind == "PinotCluster":
        return
    policy = node(kind, "spec", "deletionPolicy")
    assert (policy["enum"], policy["default"]) == (["Retain", "Delete"], "Retain")


@kinds
@pytest.mark.parametrize("version", ["1.30", kubernetes_validate.latest_version()])
def test_crd_is_a_valid_customresourcedefinition(kind: str, version: str) -> None:
    kubernetes_validate.validate(crd(kind).document, version, strict=True)
