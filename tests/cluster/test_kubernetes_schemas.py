"""Every child we emit passes the Kubernetes OpenAPI schemas in strict mode (oldest and newest)."""

from __future__ import annotations

import pytest
import yaml

from hooks.render import render_children
from tests.cluster.builders import ROOT, cluster_examples, example, parent
from tests.support.kube_schemas import NEWEST, strict_errors


def test_newest_bundled_version_is_newer_than_the_oldest_supported() -> None:
    assert tuple(int(x) for x in NEWEST.split(".")) > (1, 30)


@pytest.mark.parametrize("name", cluster_examples())
@pytest.mark.parametrize("ready", [False, True], ids=["fresh", "every-pool"])
def test_every_child_of_every_example_is_valid(name: str, ready: bool) -> None:
    children, status = render_children(example(name), ready)
    assert not any(c["reason"] == "InvalidSpec" for c in status["conditions"]), status["conditions"]
    assert children
    problems = [p for child in children for p in strict_errors(child)]
    assert problems == []


def test_every_kind_is_covered_by_the_examples() -> None:
    kinds = {c["kind"] for name in cluster_examples() for c in render_children(example(name), True)[0]}
    assert kinds == {"StatefulSet", "Service", "ConfigMap", "PodDisruptionBudget", "NetworkPolicy", "Job"}


def test_pass_through_fragments_are_validated_too() -> None:
    spec = parent()["spec"]
    spec["defaults"] = {
        "server": {
            "kubernetes": {
                "affinity": {
                    "podAntiAffinity": {
                        "preferredDuringSchedulingIgnoredDuringExecution": [
                            {
                                "weight": 100,
                                "podAffinityTerm": {
                                    "topologyKey": "kubernetes.io/hostname",
                                    "labelSelector": {"matchLabels": {"a": "b"}},
                                },
                            }
                        ]
                    }
                },
                "env": [{"name": "LOG4J_CONSOLE_LEVEL", "value": "info"}, {"name": "EMPTY", "value": ""}],
                "priorityClassName": "pinot",
                "serviceAccountName": "pinot-server",
                "podAnnotations": {"prometheus.io/scrape": "true"},
            }
        }
    }
    spec["imagePullSecrets"] = [{"name": "registry"}]
    children, _ = render_children(parent(spec), True)
    assert [p for child in children for p in strict_errors(child)] == []
    server = next(c for c in children if c["metadata"]["name"] == "demo-hot")
    env = server["spec"]["template"]["spec"]["containers"][0]["env"]
    assert {"name": "EMPTY"} in env  # the API server drops value: ""; so do we


def test_the_dev_zookeeper_example_is_valid() -> None:
    documents = [d for d in yaml.safe_load_all((ROOT / "examples" / "zookeeper-dev.yaml").read_text()) if d]
    assert [p for d in documents for p in strict_errors(d)] == []
