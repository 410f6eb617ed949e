"""`pinot-control-plane render`: what the sync hook would create, like `helm template`."""

from __future__ import annotations

import argparse
import copy
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from hooks import API_VERSION
from hooks.cluster.sync import CHILD_TYPES, sync_cluster
from hooks.contract import HookRequest, type_key

RENDER_TIME = datetime(2000, 1, 1, tzinfo=UTC)
MAX_ROUNDS = 16


def load_cluster(text: str, namespace: str | None) -> dict[str, Any]:
    documents = [doc for doc in yaml.safe_load_all(text) if isinstance(doc, dict)]
    clusters = [doc for doc in documents if doc.get("kind") == "PinotCluster"]
    if len(clusters) != 1:
        raise ValueError(f"expected exactly one PinotCluster in the file, found {len(clusters)}")
    cluster = clusters[0]
    if cluster.get("apiVersion") != API_VERSION:
        raise ValueError(f"apiVersion must be {API_VERSION}, found {cluster.get('apiVersion')!r}")
    metadata = cluster.setdefault("metadata", {})
    metadata.setdefault("namespace", namespace or "default")
    metadata.setdefault("generation", 1)
    metadata.setdefault("uid", "00000000-0000-0000-0000-000000000000")
    return cluster


def converged_copy(child: dict[str, Any]) -> dict[str, Any]:
    """A child as it looks once Kubernetes has finished with it (StatefulSets fully ready)."""
    observed = copy.deepcopy(child)
    if child["kind"] == "StatefulSet":
        replicas = child["spec"]["replicas"]
        observed["metadata"]["generation"] = 1
        observed["status"] = {
            "observedGeneration": 1,
            "replicas": replicas,
            "readyReplicas": replicas,
            "updatedReplicas": replicas,
            "currentRevision": "rendered",
            "updateRevision": "rendered",
        }
    return observed


def render_children(cluster: dict[str, Any], ready: bool) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    children: dict[str, dict[str, Any]] = {type_key(v, k): {} for v, k in CHILD_TYPES}
    body: dict[str, Any] = {}
    for _ in range(MAX_ROUNDS):
        request = HookRequest.model_validate({"parent": cluster, "children": children})
        body = sync_cluster(request, RENDER_TIME).body
        if not ready:
            break
        following: dict[str, dict[str, Any]] = {type_key(v, k): {} for v, k in CHILD_TYPES}
        for child in body["children"]:
            following[type_key(child["apiVersion"], child["kind"])][child["metadata"]["name"]] = (
                converged_copy(child)
            )
        if following == children:
            break
        children = following
    return body["children"], body["status"]


def render_command(args: argparse.Namespace) -> int:
    text = sys.stdin.read() if args.file == "-" else Path(args.file).read_text(encoding="utf-8")
    try:
        cluster = load_cluster(text, args.namespace)
    except (ValueError, yaml.YAMLError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    children, status = render_children(cluster, args.ready)
    ready = next((c for c in status.get("conditions", []) if c["type"] == "Ready"), None)
    if ready and ready["reason"] == "InvalidSpec":
        print(f"error: {ready['message']}", file=sys.stderr)
        return 1
    yaml.safe_dump_all(children, sys.stdout, sort_keys=False, default_flow_style=False)
    return 0
