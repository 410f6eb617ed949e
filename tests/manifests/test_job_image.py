"""Jobs run the same image as the hooks, even after an `images:` override in the kustomization."""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml

from tests.support.tools import binary, run

ROOT = Path(__file__).resolve().parents[2]


def hook_container(rendered: str) -> dict:  # type: ignore[type-arg]
    for doc in yaml.safe_load_all(rendered):
        if doc and doc["kind"] == "Deployment" and doc["metadata"]["name"] == "pinot-control-plane-hooks":
            container: dict = doc["spec"]["template"]["spec"]["containers"][0]  # type: ignore[type-arg]
            return container
    raise AssertionError("no hook Deployment")


def job_image(container: dict) -> str:  # type: ignore[type-arg]
    return next(str(e["value"]) for e in container["env"] if e["name"] == "PINOT_CP_JOB_IMAGE")


def test_job_image_is_the_hook_image(tmp_path: Path) -> None:
    rendered = run([binary("kustomize"), "build", str(ROOT / "metacontroller")])
    container = hook_container(rendered)
    assert job_image(container) == container["image"]


def test_job_image_follows_an_image_override(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "metacontroller", tmp_path / "metacontroller")
    shutil.copytree(ROOT / "crds", tmp_path / "crds")
    overlay = tmp_path / "metacontroller" / "kustomization.yaml"
    overlay.write_text(
        overlay.read_text()
        + "images:\n  - name: pinot-control-plane\n    newName: registry.example.com/pcp\n    newTag: 1.2.3\n"
    )
    rendered = run([binary("kustomize"), "build", str(tmp_path / "metacontroller")])
    container = hook_container(rendered)
    assert container["image"] == "registry.example.com/pcp:1.2.3"
    assert job_image(container) == "registry.example.com/pcp:1.2.3"
