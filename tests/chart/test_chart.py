"""The Helm chart (charts/pinot-control-plane) rendered by a real helm: the same objects as the
kustomization in metacontroller/, every object valid, and each value doing what values.yaml says."""

from __future__ import annotations

import copy
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.chart import validity
from tests.support.prometheus_operator import pod_monitor_errors, service_monitor_errors
from tests.support.tools import CHART, ROOT, JsonObject, binary, helm_template, kustomize

HOOKS = "pinot-control-plane-hooks"
EVERYTHING = CHART / "ci" / "everything-values.yaml"
CUSTOM_KINDS = {"CustomResourceDefinition", "CompositeController", "ServiceMonitor", "PodMonitor"}


def keyed(objects: list[JsonObject]) -> dict[tuple[str, str], JsonObject]:
    found = {(o["kind"], o["metadata"]["name"]): o for o in objects}
    assert len(found) == len(objects), "two objects of one kind and name"
    return found


def one(objects: list[JsonObject], kind: str, name: str = HOOKS) -> JsonObject:
    return keyed(objects)[(kind, name)]


def container(objects: list[JsonObject]) -> JsonObject:
    [hooks] = one(objects, "Deployment")["spec"]["template"]["spec"]["containers"]
    return hooks


def env(objects: list[JsonObject]) -> dict[str, str]:
    return {e["name"]: e["value"] for e in container(objects)["env"]}


@pytest.fixture(scope="module")
def default() -> list[JsonObject]:
    return helm_template()


@pytest.fixture(scope="module")
def everything() -> list[JsonObject]:
    return helm_template("--values", str(EVERYTHING), namespace="pinot-system")


# ---------------------------------------------------------------- one source of truth


def test_default_rendering_is_the_kustomization_less_its_namespace(default: list[JsonObject]) -> None:
    """Helm installs into a namespace the user creates (README), so the chart has no Namespace."""
    chart = keyed(default)
    kustomization = keyed(kustomize(ROOT / "metacontroller"))
    assert kustomization.pop(("Namespace", "pinot-control-plane"))
    assert sorted(chart) == sorted(kustomization)
    for key, obj in kustomization.items():
        assert chart[key] == obj, f"{key}: the chart and metacontroller/ differ"


def test_chart_crds_are_the_crds() -> None:
    listed = yaml.safe_load((ROOT / "crds" / "kustomization.yaml").read_text())["resources"]
    copies = sorted(p.name for p in (CHART / "crds").iterdir())
    assert copies == sorted(listed), "run `make chart-crds`"
    for name in listed:
        assert (CHART / "crds" / name).read_bytes() == (ROOT / "crds" / name).read_bytes(), (
            f"charts/pinot-control-plane/crds/{name} differs from crds/{name}: run `make chart-crds`"
        )


def test_chart_version_is_the_project_version() -> None:
    chart = yaml.safe_load((CHART / "Chart.yaml").read_text())
    project = next(
        line.split('"')[1]
        for line in (ROOT / "pyproject.toml").read_text().splitlines()
        if line.startswith("version = ")
    )
    assert chart["version"] == chart["appVersion"] == project


# ---------------------------------------------------------------- every object is valid


@pytest.mark.parametrize("rendering", ["default", "everything"])
def test_every_object_is_valid(rendering: str, request: pytest.FixtureRequest) -> None:
    objects: list[JsonObject] = request.getfixturevalue(rendering)
    assert validity.problems(objects) == []
    assert {o["kind"] for o in objects} - CUSTOM_KINDS == {
        "ServiceAccount",
        "Deployment",
        "Service",
        "PodDisruptionBudget",
        "NetworkPolicy",
    }


def test_namespaced_objects_and_webhooks_follow_the_release_namespace(everything: list[JsonObject]) -> None:
    for obj in everything:
        if obj["kind"] in {"CustomResourceDefinition", "CompositeController"}:
            assert "namespace" not in obj["metadata"]
        else:
            assert obj["metadata"]["namespace"] == "pinot-system", obj["kind"]
    controllers = [o for o in everything if o["kind"] == "CompositeController"]
    assert len(controllers) == 4
    for controller in controllers:
        for hook in controller["spec"]["hooks"].values():
            assert hook["webhook"]["service"] == {"name": HOOKS, "namespace": "pinot-system", "port": 80}
    assert one(everything, "ServiceMonitor")["spec"]["namespaceSelector"] == {"matchNames": ["pinot-system"]}


# ---------------------------------------------------------------- values


def test_image_values_set_the_hook_and_the_job_image(everything: list[JsonObject]) -> None:
    hooks = container(everything)
    image = "registry.example.com:5000/platform/pinot-control-plane:0.1.0-rc1"
    assert hooks["image"] == image
    assert env(everything)["PINOT_CP_JOB_IMAGE"] == image
    assert hooks["imagePullPolicy"] == "Always"
    pod = one(everything, "Deployment")["spec"]["template"]["spec"]
    assert pod["imagePullSecrets"] == [{"name": "regcred"}]


def test_image_tag_defaults_to_the_app_version(default: list[JsonObject]) -> None:
    assert container(default)["image"] == "pinot-control-plane:0.1.0"
    assert "imagePullSecrets" not in one(default, "Deployment")["spec"]["template"]["spec"]


def test_replicas_resources_and_log_level(everything: list[JsonObject]) -> None:
    assert one(everything, "Deployment")["spec"]["replicas"] == 3
    hooks = container(everything)
    assert hooks["resources"] == {
        "requests": {"cpu": "200m", "memory": "256Mi"},
        "limits": {"cpu": "1", "memory": "512Mi"},
    }
    assert hooks["args"][-2:] == ["--log-level", "debug"]


def test_network_policy_admits_metacontroller_and_prometheus_as_configured(
    everything: list[JsonObject],
) -> None:
    metacontroller, prometheus = one(everything, "NetworkPolicy")["spec"]["ingress"]
    port = [{"protocol": "TCP", "port": 8080}]
    assert metacontroller == {
        "from": [
            {
                "namespaceSelector": {
                    "matchLabels": {"kubernetes.io/metadata.name": "metacontroller-system"}
                },
                "podSelector": {
                    "matchLabels": {
                        "app.kubernetes.io/name": "metacontroller-helm",
                        "app.kubernetes.io/instance": "metacontroller",
                    }
                },
            }
        ],
        "ports": port,
    }
    assert prometheus == {
        "from": [
            {
                "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "observability"}},
                "podSelector": {"matchLabels": {"app.kubernetes.io/name": "prometheus"}},
            }
        ],
        "ports": port,
    }


def test_network_policy_can_be_left_out() -> None:
    objects = helm_template("--set", "networkPolicy.enabled=false")
    assert "NetworkPolicy" not in {o["kind"] for o in objects}


def test_service_monitor_scrapes_the_hook_service(everything: list[JsonObject]) -> None:
    monitor = one(everything, "ServiceMonitor")
    service = one(everything, "Service")
    assert monitor["metadata"]["labels"]["release"] == "kube-prometheus-stack"
    assert monitor["spec"]["selector"]["matchLabels"].items() <= service["metadata"]["labels"].items()
    [endpoint] = monitor["spec"]["endpoints"]
    assert endpoint == {"port": "http", "path": "/metrics", "interval": "15s", "scrapeTimeout": "5s"}
    assert endpoint["port"] in {p["name"] for p in service["spec"]["ports"]}


def test_service_monitor_labels_never_replace_the_charts_own() -> None:
    objects = helm_template(
        "--set",
        "serviceMonitor.enabled=true",
        "--set-json",
        'serviceMonitor.labels={"app.kubernetes.io/name":"other","team":"data"}',
    )
    labels = one(objects, "ServiceMonitor")["metadata"]["labels"]
    assert labels["app.kubernetes.io/name"] == "pinot-control-plane"
    assert labels["team"] == "data"


@pytest.mark.parametrize(
    ("args", "complaint"),
    [
        (["--set", "imag.repository=x"], "additional properties 'imag' not allowed"),
        (["--set", "logLevel=loud"], "/logLevel"),
        (["--set", "replicas=0"], "/replicas"),
        (["--set", "image.pullPolicy=Sometimes"], "/image/pullPolicy"),
        (
            ["--set", "networkPolicy.metacontroller.namespace=Not_A_Namespace"],
            "/networkPolicy/metacontroller",
        ),
        (["--set-json", 'networkPolicy.prometheus.podLabels={"bad key!":"x"}'], "propertyName 'bad key!'"),
        (["--set", "serviceMonitor.interval=30 seconds"], "/serviceMonitor/interval"),
        (["--set", "image.tag=has space"], "/image/tag"),
    ],
)
def test_values_schema_refuses_mistakes(args: list[str], complaint: str) -> None:
    done = subprocess.run(
        [binary("helm"), "template", "x", str(CHART), *args], capture_output=True, text=True, check=False
    )
    assert done.returncode != 0
    assert complaint in done.stderr


def test_helm_lint_is_strictly_clean() -> None:
    for values in ([], ["--values", str(EVERYTHING)]):
        done = subprocess.run(
            [binary("helm"), "lint", "--strict", str(CHART), *values],
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        assert "[WARNING]" not in done.stdout and "[ERROR]" not in done.stdout


def test_notes_name_the_image_and_the_crd_upgrade(tmp_path: Path) -> None:
    done = subprocess.run(
        [binary("helm"), "install", "--dry-run=client", "pinot-control-plane", str(CHART), "-n", "pcp"],
        capture_output=True,
        text=True,
        check=True,
    )
    notes = done.stdout.split("NOTES:", 1)[1]
    assert "pinot-control-plane:0.1.0" in notes
    assert "kubectl -n pcp rollout status deployment/pinot-control-plane-hooks" in notes
    assert "kubectl apply --server-side -f charts/pinot-control-plane/crds/" in notes


def test_service_monitor_check_catches_typos(everything: list[JsonObject]) -> None:
    monitor = copy.deepcopy(one(everything, "ServiceMonitor"))
    assert service_monitor_errors(monitor) == []
    monitor["spec"]["endpoints"][0]["targetPort"] = "http"
    monitor["spec"]["endpoints"][0]["interval"] = "30 s"
    monitor["spec"]["scrapeInterval"] = "30s"
    errors = "\n".join(service_monitor_errors(monitor))
    for text in ("'targetPort' was unexpected", "'30 s' does not match", "'scrapeInterval' was unexpected"):
        assert text in errors


def test_pod_monitor_check_catches_typos(everything: list[JsonObject]) -> None:
    monitor = copy.deepcopy(one(everything, "PodMonitor", "pinot"))
    assert pod_monitor_errors(monitor) == []
    monitor["spec"]["podMetricsEndpoints"][0]["relabelings"][0]["target_label"] = "x"
    monitor["spec"]["podMetricEndpoints"] = []
    errors = "\n".join(pod_monitor_errors(monitor))
    for text in ("'target_label' was unexpected", "'podMetricEndpoints' was unexpected"):
        assert text in errors
