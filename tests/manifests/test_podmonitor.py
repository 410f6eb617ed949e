"""The optional PodMonitor component (metacontroller/components/pinot-podmonitor): it renders into
an overlay of the install, and it selects exactly the pods and the port a cluster with
`spec.metrics.enabled` gets from the hook."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml

from hooks.render import render_children
from tests.cluster.builders import BASE_SPEC, parent
from tests.support.tools import kustomize

ROOT = Path(__file__).resolve().parents[2]
COMPONENT = ROOT / "metacontroller" / "components" / "pinot-podmonitor"


def overlay_with_the_component(tmp_path: Path) -> list[dict[str, Any]]:
    (tmp_path / "kustomization.yaml").write_text(
        yaml.safe_dump(
            {
                "apiVersion": "kustomize.config.k8s.io/v1beta1",
                "kind": "Kustomization",
                "resources": [os.path.relpath(ROOT / "metacontroller", tmp_path)],
                "components": [os.path.relpath(COMPONENT, tmp_path)],
            }
        )
    )
    return kustomize(tmp_path)


def test_the_component_adds_one_pod_monitor_to_the_install(tmp_path: Path) -> None:
    rendered = overlay_with_the_component(tmp_path)
    monitors = [d for d in rendered if d["kind"] == "PodMonitor"]
    assert len(monitors) == 1 and monitors[0]["metadata"]["namespace"] == "pinot-control-plane"
    assert monitors[0]["metadata"]["labels"]["app.kubernetes.io/part-of"] == "pinot-control-plane"
    assert "PodMonitor" not in {d["kind"] for d in kustomize(ROOT / "metacontroller")}


def test_it_selects_the_pinot_pods_and_their_metrics_port() -> None:
    monitor = yaml.safe_load((COMPONENT / "podmonitor.yaml").read_text())
    children, _ = render_children(parent({**BASE_SPEC, "metrics": {"enabled": True}}), True)
    for sts in (c for c in children if c["kind"] == "StatefulSet"):
        template = sts["spec"]["template"]
        labels = template["metadata"]["labels"]
        assert monitor["spec"]["selector"]["matchLabels"].items() <= labels.items()
        ports = {p["name"] for p in template["spec"]["containers"][0]["ports"]}
        assert {e["port"] for e in monitor["spec"]["podMetricsEndpoints"]} <= ports
        for relabel in monitor["spec"]["podMetricsEndpoints"][0]["relabelings"]:
            (source,) = relabel["sourceLabels"]
            label = source.removeprefix("__meta_kubernetes_pod_label_")
            assert any(key.replace(".", "_").replace("/", "_").replace("-", "_") == label for key in labels)
