"""What `render` shows for a set of manifests: every problem of every Pinot object, or the children
their sync hooks return. Pure: documents in, children and problem lines out.

A PinotSchema, PinotTable or PinotTenant is rendered as if the objects it waits for were there and
ready: its PinotCluster (taken from the documents when they hold it, so that its auth Secret is
the real one) and, for a table, its PinotSchema (from the documents, or one named like the table).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from hooks import API_VERSION
from hooks.cluster import naming
from hooks.cluster.pinotconf import PORTS
from hooks.cluster.settings import ordered_pools
from hooks.cluster.sync import CHILD_TYPES, model_errors, sync_cluster
from hooks.cluster.validation import cluster_name_errors, parse_spec
from hooks.conditions import find
from hooks.contract import HookRequest, type_key
from hooks.refusals import SpecError
from hooks.resources.kinds import KINDS, ResourceKind
from hooks.resources.naming import name_errors
from hooks.resources.sync import sync_resource
from hooks.syntax import DNS_SUBDOMAIN

JsonObject = dict[str, Any]
RENDER_TIME = datetime(2000, 1, 1, tzinfo=UTC)
RENDER_TIME_TEXT = "2000-01-01T00:00:00Z"
MAX_ROUNDS = 48  # a pool is ready once its membership Jobs ran: a few rounds per pool
CLUSTER = "PinotCluster"
RESOURCES: dict[str, ResourceKind] = {kind.kind: kind for kind in KINDS}
OUR_KINDS = (CLUSTER, *RESOURCES)
# As the API server matches them: `$` is the end of the name (in Python it would allow a final \n).
OBJECT_NAME = re.compile(DNS_SUBDOMAIN.removesuffix("$") + r"\Z")


@dataclass(frozen=True)
class Document:
    """One YAML document and where it came from (`file:line`)."""

    source: str
    content: Any


@dataclass
class Preview:
    children: list[tuple[str, JsonObject]] = field(default_factory=list)  # (parent, child)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def preview(documents: Iterable[Document], namespace: str, ready: bool, job_image: str) -> Preview:
    result = Preview()
    ours: list[tuple[Document, JsonObject]] = []
    for document in documents:
        problems, obj = _identity(document, namespace)
        if obj is None and not problems:
            label = _label(document.content)
            result.notes.append(f"{document.source}: skipped: {label} is no kind of this project")
        if obj is not None:  # its spec is checked whatever else is wrong: every problem at once
            label = f"{obj['kind']}/{obj['metadata']['name']}"
            problems += [f"{document.source}: {label}: {error}" for error in _spec_problems(obj)]
            ours.append((document, obj))
        result.problems += problems
    if result.problems:
        return result
    for document, obj in ours:
        label = f"{obj['kind']}/{obj['metadata']['name']}"
        if obj["kind"] == CLUSTER:
            children, status = render_children(obj, ready)
        else:
            related = [cluster for _, cluster in ours if cluster["kind"] in (CLUSTER, "PinotSchema")]
            children, status = render_resource(RESOURCES[obj["kind"]], obj, related, job_image)
        refused = find(status.get("conditions") or [], "Ready") or {}
        if refused.get("reason") == "InvalidSpec":  # found only against another object, e.g. a schema
            result.problems.append(f"{document.source}: {label}: {refused.get('message')}")
        result.children += [(label, child) for child in children]
    return result


def _label(content: Any) -> str:
    if not isinstance(content, dict):
        return f"a {type(content).__name__}"
    name = (content.get("metadata") or {}).get("name") if isinstance(content.get("metadata"), dict) else None
    return f"{content.get('kind')}/{name}"


def _identity(document: Document, namespace: str) -> tuple[list[str], JsonObject | None]:
    """Problems with what the document is (kind, apiVersion, name), and the object with the
    metadata the API server would add, when it is one of ours."""
    content = document.content
    where = document.source
    if not isinstance(content, dict):
        return [f"{where}: the document must be a Kubernetes object, not {_label(content)}"], None
    kind, api_version = content.get("kind"), content.get("apiVersion")
    group = str(api_version).split("/")[0] if "/" in str(api_version) else ""
    if kind not in OUR_KINDS:
        if group == API_VERSION.split("/")[0]:
            return [f"{where}: kind: must be one of {', '.join(OUR_KINDS)}, not {kind!r}"], None
        return [], None
    problems = []
    if api_version != API_VERSION:
        problems.append(f"apiVersion: must be {API_VERSION}, not {api_version!r}")
    metadata = content.get("metadata")
    name = metadata.get("name") if isinstance(metadata, dict) else None
    if not isinstance(name, str) or not name:
        problems.append("metadata.name: is required")
        name = ""
    else:
        problems += [str(error) for error in _name_problems(kind, name)]
    label = f"{kind}/{name}" if name else str(kind)
    obj = copy.deepcopy(content)
    obj["metadata"] = meta = {**(metadata if isinstance(metadata, dict) else {}), "name": name}
    meta.setdefault("namespace", namespace)
    meta.setdefault("generation", 1)
    meta.setdefault("uid", "00000000-0000-0000-0000-000000000000")
    return [f"{where}: {label}: {problem}" for problem in problems], obj


def _name_problems(kind: str, name: str) -> list[SpecError]:
    """What the CRDs' rules and the API server say about `metadata.name`."""
    if kind == CLUSTER:
        return cluster_name_errors(name)
    if not OBJECT_NAME.match(name) or len(name) > 253:
        return [
            SpecError("metadata.name", "must be a DNS subdomain: lower-case letters, digits, '-' and '.'")
        ]
    return name_errors(name)


def _spec_problems(obj: JsonObject) -> list[SpecError]:
    spec = obj.get("spec")
    if obj["kind"] == CLUSTER:  # as the sync hook finds them, but for a change of a running cluster
        name = obj["metadata"]["name"]
        model, errors = parse_spec(spec, name)
        found = errors if model is None else model_errors(model, ordered_pools(model), name)
        return [error for error in found if error.field != "metadata.name"]  # said by _name_problems
    return list(RESOURCES[obj["kind"]].read(spec).errors)


# --------------------------------------------------------------------------- PinotCluster


def load_cluster(text: str, namespace: str | None) -> JsonObject:
    """The one PinotCluster of a YAML text, with the metadata the API server would add."""
    import yaml

    documents = [doc for doc in yaml.safe_load_all(text) if isinstance(doc, dict)]
    clusters = [doc for doc in documents if doc.get("kind") == CLUSTER]
    if len(clusters) != 1:
        raise ValueError(f"expected exactly one PinotCluster in the file, found {len(clusters)}")
    problems, obj = _identity(Document("<text>", clusters[0]), namespace or "default")
    if obj is None or problems:
        raise ValueError("; ".join(problems))
    return obj


def completed_job_status() -> JsonObject:
    """A Job's status once it ran to completion."""
    return {
        "conditions": [{"type": "Complete", "status": "True", "lastTransitionTime": RENDER_TIME_TEXT}],
        "succeeded": 1,
    }


def converged_copy(child: JsonObject) -> JsonObject:
    """A child as it looks once Kubernetes has finished with it (StatefulSets fully ready, Jobs
    complete: Pinot registered, tagged and rebalanced the pools)."""
    observed = copy.deepcopy(child)
    if child["kind"] == "Job":
        observed["status"] = completed_job_status()
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


def render_children(cluster: JsonObject, ready: bool) -> tuple[list[JsonObject], JsonObject]:
    """The sync hook's children and status for `cluster`; with `ready`, after feeding them back
    as fully ready until nothing changes (every pool created)."""
    children: dict[str, dict[str, JsonObject]] = {type_key(v, k): {} for v, k in CHILD_TYPES}
    body: JsonObject = {}
    for _ in range(MAX_ROUNDS):
        request = HookRequest.model_validate({"parent": cluster, "children": children})
        body = sync_cluster(request, RENDER_TIME).body
        if not ready:
            break
        following: dict[str, dict[str, JsonObject]] = {type_key(v, k): {} for v, k in CHILD_TYPES}
        for child in body["children"]:
            following[type_key(child["apiVersion"], child["kind"])][child["metadata"]["name"]] = (
                converged_copy(child)
            )
        if following == children:
            break
        children = following
    return body["children"], body["status"]


# --------------------------------------------------------------------------- schema, table, tenant


def render_resource(
    kind: ResourceKind, obj: JsonObject, others: list[JsonObject], job_image: str
) -> tuple[list[JsonObject], JsonObject]:
    """The sync hook's children and status for `obj`, its cluster and schema ready."""
    spec = obj["spec"]
    namespace = obj["metadata"]["namespace"]
    related = [_ready_cluster(spec["clusterRef"]["name"], namespace, others)]
    if "schemaRef" in spec:
        related.append(_synced_schema(spec["schemaRef"]["name"], namespace, spec, others))
    grouped: dict[str, dict[str, JsonObject]] = {}
    for item in related:
        grouped.setdefault(type_key(item["apiVersion"], item["kind"]), {})[item["metadata"]["name"]] = item
    request = HookRequest.model_validate({"parent": obj, "related": grouped})
    body = sync_resource(kind, job_image, request, RENDER_TIME).body
    return body["children"], body["status"]


def _found(kind: str, name: str, others: list[JsonObject]) -> JsonObject | None:
    return next((o for o in others if o["kind"] == kind and o["metadata"]["name"] == name), None)


def _ready_cluster(name: str, namespace: str, others: list[JsonObject]) -> JsonObject:
    cluster = copy.deepcopy(_found(CLUSTER, name, others) or {"spec": {}})
    cluster.update(apiVersion=API_VERSION, kind=CLUSTER)
    cluster["metadata"] = {"name": name, "namespace": namespace, "generation": 1}
    cluster["status"] = {
        "observedGeneration": 1,
        "conditions": [_condition("Ready")],
        "controllerService": naming.controller_url(name, namespace, PORTS["controller"]),
    }
    return cluster


def _synced_schema(
    name: str, namespace: str, table_spec: Mapping[str, Any], others: list[JsonObject]
) -> JsonObject:
    schema = copy.deepcopy(_found("PinotSchema", name, others) or {})
    if not schema:  # not among the documents: one named as Pinot requires (like the table)
        from hooks.resources.table import raw_name

        table = table_spec["table"]
        schema = {"spec": {"schema": {"schemaName": raw_name(table["tableName"], table["tableType"])}}}
    schema.update(apiVersion=API_VERSION, kind="PinotSchema")
    schema["metadata"] = {"name": name, "namespace": namespace, "generation": 1}
    schema["status"] = {"observedGeneration": 1, "conditions": [_condition("Synced")]}
    return schema


def _condition(type_: str) -> JsonObject:
    return {
        "type": type_,
        "status": "True",
        "reason": "Rendered",
        "message": "assumed by render",
        "observedGeneration": 1,
        "lastTransitionTime": "2000-01-01T00:00:00Z",
    }
