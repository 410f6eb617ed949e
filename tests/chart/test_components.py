"""The chart's optional parts and the kustomization's components and patches are the same objects:
for each Helm values file, an overlay of metacontroller/ saying the same renders what the chart
renders (less the Namespace the kustomization creates)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from tests.support.tools import ROOT, JsonObject, helm_template, kustomize

NAMESPACE_OBJECT = ("Namespace", "pinot-control-plane")


def overlay(tmp_path: Path, kustomization: str) -> list[JsonObject]:
    """Render `kustomization` as an overlay beside copies of metacontroller/ and crds/."""
    for folder in ("metacontroller", "crds"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    (tmp_path / "overlay").mkdir()
    (tmp_path / "overlay" / "kustomization.yaml").write_text(kustomization)
    return kustomize(tmp_path / "overlay")


def same_objects(chart: list[JsonObject], kustomization: list[JsonObject]) -> None:
    by_key = {(o["kind"], o["metadata"]["name"]): o for o in kustomization}
    assert by_key.pop(NAMESPACE_OBJECT)
    rendered = {(o["kind"], o["metadata"]["name"]): o for o in chart}
    assert sorted(rendered) == sorted(by_key)
    for key, obj in by_key.items():
        assert rendered[key] == obj, key


BASE = """\
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - ../metacontroller
"""


def test_prometheus_components_are_the_prometheus_values(tmp_path: Path) -> None:
    kustomization = BASE + (
        "components:\n"
        "  - ../metacontroller/components/prometheus-scrape\n"
        "  - ../metacontroller/components/service-monitor\n"
    )
    chart = helm_template(
        "--set", "networkPolicy.prometheus.enabled=true", "--set", "serviceMonitor.enabled=true"
    )
    same_objects(chart, overlay(tmp_path, kustomization))


def test_pinot_podmonitor_component_is_the_pinot_podmonitor_value(tmp_path: Path) -> None:
    kustomization = BASE + "components:\n  - ../metacontroller/components/pinot-podmonitor\n"
    same_objects(helm_template("--set", "pinotPodMonitor.enabled=true"), overlay(tmp_path, kustomization))


PATCHED = {
    "components": [
        "../metacontroller/components/prometheus-scrape",
        "../metacontroller/components/service-monitor",
    ],
    "patches": [
        {
            "patch": yaml.safe_dump(
                {
                    "apiVersion": "apps/v1",
                    "kind": "Deployment",
                    "metadata": {"name": "pinot-control-plane-hooks", "namespace": "pinot-control-plane"},
                    "spec": {
                        "template": {
                            "spec": {
                                "containers": [
                                    {
                                        "name": "hooks",
                                        "image": "registry.example.com/pcp:2.0.0",
                                        "env": [
                                            {
                                                "name": "PINOT_CP_JOB_IMAGE",
                                                "value": "registry.example.com/pcp:2.0.0",
                                            }
                                        ],
                                    }
                                ]
                            }
                        }
                    },
                }
            )
        },
        {
            "target": {"kind": "NetworkPolicy", "name": "pinot-control-plane-hooks"},
            "patch": yaml.safe_dump(
                [
                    {
                        "op": "replace",
                        "path": "/spec/ingress/0/from",
                        "value": [
                            {
                                "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "mc"}},
                                "podSelector": {"matchLabels": {"app.kubernetes.io/name": "metacontroller"}},
                            }
                        ],
                    },
                    {
                        "op": "replace",
                        "path": "/spec/ingress/1/from",
                        "value": [
                            {
                                "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "prom"}},
                                "podSelector": {"matchLabels": {"app": "prometheus"}},
                            }
                        ],
                    },
                ]
            ),
        },
        {
            "target": {"kind": "ServiceMonitor", "name": "pinot-control-plane-hooks"},
            "patch": yaml.safe_dump([{"op": "add", "path": "/metadata/labels/release", "value": "kps"}]),
        },
    ],
}
VALUES = {
    "image": {"repository": "registry.example.com/pcp", "tag": "2.0.0"},
    "networkPolicy": {
        "metacontroller": {"namespace": "mc", "podLabels": {"app.kubernetes.io/name": "metacontroller"}},
        "prometheus": {"enabled": True, "namespace": "prom", "podLabels": {"app": "prometheus"}},
    },
    "serviceMonitor": {"enabled": True, "labels": {"release": "kps"}},
}


def test_patched_overlay_is_the_same_values(tmp_path: Path) -> None:
    values = tmp_path / "values.yaml"
    values.write_text(yaml.safe_dump(VALUES))
    kustomization = BASE + yaml.safe_dump(PATCHED)
    (tmp_path / "k").mkdir()
    same_objects(helm_template("--values", str(values)), overlay(tmp_path / "k", kustomization))


@pytest.mark.parametrize("component", ["prometheus-scrape", "service-monitor", "pinot-podmonitor"])
def test_each_component_says_how_to_use_it(component: str) -> None:
    text = (ROOT / "metacontroller" / "components" / component / "kustomization.yaml").read_text()
    assert f"metacontroller/components/{component}" in text
    assert yaml.safe_load(text)["kind"] == "Component"
