"""Requests shaped exactly as Metacontroller sends them (contract §2), for PinotCluster tests."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from hooks.cluster.sync import CHILD_TYPES
from hooks.contract import HookRequest, type_key
from hooks.render import completed_job_status

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 25, 12, 0, 0, tzinfo=UTC)

BASE_SPEC: dict[str, Any] = {
    "image": "apachepinot/pinot:1.3.0",
    "zookeeper": {"address": "zk.zookeeper.svc:2181/pinot"},
    "pools": [
        {"name": "controllers", "role": "controller"},
        {"name": "brokers", "role": "broker", "replicas": 2},
        {"name": "hot", "role": "server", "replicas": 2},
        {"name": "cold", "role": "server"},
        {"name": "minions", "role": "minion"},
    ],
}


def parent(spec: dict[str, Any] | None = None, name: str = "demo", generation: int = 1) -> dict[str, Any]:
    return {
        "apiVersion": "pinot.controlplane.dev/v1alpha1",
        "kind": "PinotCluster",
        "metadata": {"name": name, "namespace": "analytics", "uid": "uid-1", "generation": generation},
        "spec": copy.deepcopy(spec if spec is not None else BASE_SPEC),
    }


def example(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "examples" / name).read_text())
    loaded["metadata"].setdefault("namespace", "default")
    loaded["metadata"].setdefault("uid", "uid-example")
    loaded["metadata"].setdefault("generation", 1)
    return loaded


def cluster_examples() -> list[str]:
    """Paths under examples/ of every file holding a PinotCluster (the quick start's included)."""
    return sorted(
        str(p.relative_to(ROOT / "examples"))
        for p in (ROOT / "examples").rglob("*.yaml")
        if any((doc or {}).get("kind") == "PinotCluster" for doc in yaml.safe_load_all(p.read_text()))
    )


def request_body(
    parent_obj: dict[str, Any],
    children: list[dict[str, Any]] | None = None,
    version: str = "v2",
) -> dict[str, Any]:
    grouped: dict[str, dict[str, Any]] = {type_key(v, k): {} for v, k in CHILD_TYPES}
    namespace = parent_obj["metadata"]["namespace"]
    for child in children or []:
        name = child["metadata"]["name"]
        key = f"{namespace}/{name}" if version == "v2" else name
        grouped[type_key(child["apiVersion"], child["kind"])][key] = child
    return {
        "controller": {"apiVersion": "metacontroller.k8s.io/v1alpha1", "kind": "CompositeController"},
        "parent": parent_obj,
        "children": grouped,
        "related": {},
        "finalizing": False,
    }


def request(parent_obj: dict[str, Any], children: list[dict[str, Any]] | None = None) -> HookRequest:
    return HookRequest.model_validate(request_body(parent_obj, children))


def settle(child: dict[str, Any], ready: bool = True, generation: int = 1) -> dict[str, Any]:
    """A child as stored and reconciled by Kubernetes; StatefulSets report every pod ready, Jobs are
    complete."""
    stored = copy.deepcopy(child)
    stored["metadata"]["namespace"] = "analytics"
    if child["kind"] == "Job":
        stored["status"] = completed_job_status()
    if child["kind"] == "StatefulSet":
        replicas = child["spec"]["replicas"]
        stored["metadata"]["generation"] = generation
        stored["status"] = {
            "observedGeneration": generation,
            "replicas": replicas,
            "readyReplicas": replicas if ready else 0,
            "updatedReplicas": replicas,
            "currentRevision": "rev-1",
            "updateRevision": "rev-1",
        }
    return stored
