"""README's install commands do what README says, run as written with a real helm and kustomize."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import textwrap
from pathlib import Path

import yaml

from tests.chart import validity
from tests.support.tools import CHART, ROOT, JsonObject, binary, documents, kustomize, run

README = (ROOT / "README.md").read_text()
INSTALL = README[README.index("## Install into a cluster") : README.index("## PinotCluster")]
HOOKS = "pinot-control-plane-hooks"


def shell_blocks(text: str) -> list[str]:
    return [textwrap.dedent(block) for block in re.findall(r"```sh\n(.*?)```", text, re.S)]


def commands(prefix: str) -> list[str]:
    return [line for block in shell_blocks(INSTALL) for line in block.splitlines() if line.startswith(prefix)]


def hook_deployment(objects: list[JsonObject]) -> JsonObject:
    [deployment] = [o for o in objects if o["kind"] == "Deployment" and o["metadata"]["name"] == HOOKS]
    return deployment


def images(objects: list[JsonObject]) -> tuple[str, str]:
    [container] = hook_deployment(objects)["spec"]["template"]["spec"]["containers"]
    job = next(e["value"] for e in container["env"] if e["name"] == "PINOT_CP_JOB_IMAGE")
    return container["image"], job


def admitted(objects: list[JsonObject]) -> list[JsonObject]:
    [policy] = [o for o in objects if o["kind"] == "NetworkPolicy"]
    peers: list[JsonObject] = policy["spec"]["ingress"][0]["from"]
    return peers


# ---------------------------------------------------------------- the image


def test_make_image_names_the_image_both_paths_use() -> None:
    [build] = commands("make image")
    [push] = commands("docker push")
    image = build.split("IMAGE=", 1)[1]
    assert push == f"docker push {image}"
    repository, tag = image.rsplit(":", 1)
    chart = yaml.safe_load((CHART / "Chart.yaml").read_text())
    assert tag == chart["appVersion"]
    assert f"image.repository={repository}" in " ".join(commands("helm install pinot-control-plane"))
    assert f"IMAGE={image}" in commands("IMAGE=")


# ---------------------------------------------------------------- Helm


def test_helm_install_renders_valid_objects_with_the_image_and_metacontrollers_pods() -> None:
    [install] = commands("helm install pinot-control-plane")
    argv = shlex.split(install)
    assert argv[:4] == ["helm", "install", "pinot-control-plane", "charts/pinot-control-plane"]
    objects = documents(run([binary("helm"), "template", *argv[2:], "--include-crds"]))
    assert validity.problems(objects) == []
    image = "registry.example.com/pinot-control-plane:0.1.0"
    assert images(objects) == (image, image)
    assert admitted(objects) == [
        {
            "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "metacontroller"}},
            "podSelector": {"matchLabels": {"app.kubernetes.io/name": "metacontroller-helm"}},
        }
    ]
    namespace = argv[argv.index("--namespace") + 1]
    assert {o["metadata"].get("namespace") for o in objects} == {None, namespace}
    [metacontroller] = commands("helm install metacontroller")
    assert "--namespace metacontroller" in metacontroller


def test_namespace_commands_match_the_kustomizations_namespace() -> None:
    namespace = next(o for o in kustomize(ROOT / "metacontroller") if o["kind"] == "Namespace")
    [create] = commands("kubectl create namespace")
    [label] = commands("kubectl label namespace")
    assert create.split()[-1] == namespace["metadata"]["name"]
    key, value = label.split()[-1].split("=")
    assert namespace["metadata"]["labels"][key] == value


def test_crd_upgrade_applies_the_charts_crds() -> None:
    [apply] = commands("kubectl apply --server-side -f ")
    assert (ROOT / apply.split()[-1]).resolve() == (CHART / "crds").resolve()
    [upgrade] = commands("helm upgrade")
    assert shlex.split(upgrade)[2:4] == ["pinot-control-plane", "charts/pinot-control-plane"]


# ---------------------------------------------------------------- kubectl


def readme_overlay(tmp_path: Path, extra: str = "") -> list[JsonObject]:
    """Run README's overlay commands (up to `kubectl apply -k`) in a copy of the clone's root."""
    for folder in ("metacontroller", "crds"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    [block] = [b for b in shell_blocks(INSTALL) if "cat > pcp-install/kustomization.yaml" in b]
    script = block[: block.index("kubectl apply -k")]
    subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=tmp_path, check=True, timeout=30)
    kustomization = tmp_path / "pcp-install" / "kustomization.yaml"
    kustomization.write_text(kustomization.read_text() + extra)
    assert "kubectl apply -k pcp-install/" in block
    return kustomize(tmp_path / "pcp-install")


def test_readme_overlay_sets_the_image_and_admits_metacontrollers_pods(tmp_path: Path) -> None:
    objects = readme_overlay(tmp_path)
    assert validity.problems(objects) == []
    image = "registry.example.com/pinot-control-plane:0.1.0"
    assert images(objects) == (image, image)
    assert admitted(objects) == [
        {
            "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "metacontroller"}},
            "podSelector": {"matchLabels": {"app.kubernetes.io/name": "metacontroller"}},
        }
    ]
    # Everything else is metacontroller/ as it is.
    base = {(o["kind"], o["metadata"]["name"]): o for o in kustomize(ROOT / "metacontroller")}
    changed = {
        (o["kind"], o["metadata"]["name"]) for o in objects if base[(o["kind"], o["metadata"]["name"])] != o
    }
    assert changed == {("Deployment", HOOKS), ("NetworkPolicy", HOOKS)}
    assert len(objects) == len(base)


def test_readme_components_add_the_prometheus_rule_and_service_monitor(tmp_path: Path) -> None:
    [snippet] = re.findall(r"```yaml\n(components:\n.*?)```", INSTALL, re.S)
    objects = readme_overlay(tmp_path, snippet)
    assert validity.problems(objects) == []
    [policy] = [o for o in objects if o["kind"] == "NetworkPolicy"]
    [_, prometheus] = policy["spec"]["ingress"]
    assert prometheus["from"] == [
        {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}}
    ]
    assert prometheus["ports"] == [{"protocol": "TCP", "port": 8080}]
    assert [o["spec"]["endpoints"][0]["path"] for o in objects if o["kind"] == "ServiceMonitor"] == [
        "/metrics"
    ]


def test_metacontroller_versions_agree() -> None:
    [helm] = commands("helm install metacontroller")
    [kubectl] = [c for c in commands("kubectl apply -k ") if "metacontroller/manifests" in c]
    version = shlex.split(helm)[shlex.split(helm).index("--version") + 1]
    assert kubectl.rstrip("'").endswith(f"?ref=v{version}")
