"""A minimal multi-round driver over the pure hook: children are stored as returned and
StatefulSets report ready pods at once or never. The full Metacontroller and Kubernetes
simulation lives in tests/sim; this one keeps unit tests about ordering short and exact."""

from __future__ import annotations

import copy
from datetime import datetime, timedelta
from typing import Any

from hooks.cluster.sync import sync_cluster
from tests.cluster.builders import NOW, request, settle


class Rounds:
    def __init__(
        self, parent: dict[str, Any], never_ready: frozenset[str] = frozenset(), start: datetime = NOW
    ) -> None:
        self.parent = parent
        self.children: dict[tuple[str, str], dict[str, Any]] = {}
        self.never_ready = never_ready
        self.now = start
        self.revisions: dict[str, dict[str, str]] = {}  # sts name -> revision per template hash

    def step(self, seconds: int = 10) -> dict[str, Any]:
        body = sync_cluster(request(self.parent, list(self.children.values())), self.now).body
        self.parent["status"] = {
            **body["status"],
            "observedGeneration": self.parent["metadata"]["generation"],
        }
        desired = {(c["kind"], c["metadata"]["name"]): c for c in body["children"]}
        self.children = {key: self._store(child) for key, child in desired.items()}
        self.now += timedelta(seconds=seconds)
        return body

    def _store(self, child: dict[str, Any]) -> dict[str, Any]:
        if child["kind"] != "StatefulSet":
            return settle(child)
        name = child["metadata"]["name"]
        previous = self.children.get(("StatefulSet", name))
        template = child["metadata"]["annotations"]["pinot.controlplane.dev/template-hash"]
        partition = child["spec"]["updateStrategy"]["rollingUpdate"]["partition"]
        replicas = child["spec"]["replicas"]
        current = previous["status"]["currentRevision"] if previous else template
        updated = replicas if partition == 0 else (previous or {}).get("status", {}).get("updatedReplicas", 0)
        if partition == 0:
            current = template
        stored = copy.deepcopy(child)
        ready = 0 if name.split("-", 1)[1] in self.never_ready else replicas
        stored["metadata"]["generation"] = 1
        stored["status"] = {
            "observedGeneration": 1,
            "replicas": replicas,
            "readyReplicas": ready,
            "updatedReplicas": updated if current == template else 0,
            "currentRevision": current,
            "updateRevision": template,
        }
        return stored

    def statefulsets(self) -> dict[str, dict[str, Any]]:
        return {name: obj for (kind, name), obj in self.children.items() if kind == "StatefulSet"}

    def change(self, **spec: Any) -> None:
        self.parent["spec"].update(spec)
        self.parent["metadata"]["generation"] += 1
