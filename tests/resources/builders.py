"""Requests shaped exactly as Metacontroller sends them (contract §2) for the resource hooks, and
children and Pods as the API server and the Job controller leave them."""

from __future__ import annotations

import copy
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from hooks import API_VERSION
from hooks.contract import HookRequest, type_key
from hooks.decision import Decision
from hooks.resources.context import CHILD_TYPES
from hooks.resources.kinds import KINDS, ResourceKind
from hooks.resources.routes import resource_routes

JsonObject = dict[str, Any]
NOW = datetime(2026, 11, 25, 12, 0, 0, tzinfo=UTC)
NAMESPACE = "analytics"
URL = "http://pinot-controller.analytics.svc:9000"
IMAGE = "registry.example/pinot-control-plane:1.2.3"
SECRET = "pinot-admin"
BY_KIND = {kind.kind: kind for kind in KINDS}

SPECS: dict[str, JsonObject] = {
    "PinotSchema": {
        "clusterRef": {"name": "pinot"},
        "schema": {
            "schemaName": "events",
            "dimensionFieldSpecs": [{"name": "id", "dataType": "STRING"}],
            "metricFieldSpecs": [{"name": "v", "dataType": "LONG"}],
        },
    },
    "PinotTable": {
        "clusterRef": {"name": "pinot"},
        "schemaRef": {"name": "events"},
        "table": {
            "tableName": "events",
            "tableType": "OFFLINE",
            "segmentsConfig": {"replication": "1", "timeColumnName": "ts"},
            "tenants": {"broker": "DefaultTenant", "server": "DefaultTenant"},
        },
    },
    "PinotTenant": {
        "clusterRef": {"name": "pinot"},
        "tenant": {
            "tenantRole": "SERVER",
            "tenantName": "analytics",
            "numberOfInstances": 2,
            "offlineInstances": 1,
            "realtimeInstances": 1,
        },
    },
}
NAMES = {"PinotSchema": "events", "PinotTable": "events-offline", "PinotTenant": "analytics-servers"}


def parent(
    kind: str,
    spec: JsonObject | None = None,
    name: str | None = None,
    generation: int = 1,
    status: JsonObject | None = None,
) -> JsonObject:
    obj: JsonObject = {
        "apiVersion": API_VERSION,
        "kind": kind,
        "metadata": {
            "name": name or NAMES[kind],
            "namespace": NAMESPACE,
            "uid": f"uid-{kind.lower()}",
            "generation": generation,
            "labels": {"team": "data"},
        },
        "spec": copy.deepcopy(SPECS[kind] if spec is None else spec),
    }
    if status is not None:
        obj["status"] = status
    return obj


def cluster(
    ready: bool = True, url: str | None = URL, secret: str | None = SECRET, deleting: bool = False
) -> JsonObject:
    spec: JsonObject = {"image": "apachepinot/pinot:1.3.0"}
    if secret:
        spec["auth"] = {"secretRef": {"name": secret}}
    status: JsonObject = {
        "conditions": [
            {
                "type": "Ready",
                "status": "True" if ready else "False",
                "reason": "AllPoolsReady" if ready else "PoolsNotReady",
                "message": "all 4 pools are ready" if ready else "pool brokers is RollingOut: 1/2 ready",
                "lastTransitionTime": "2026-11-25T10:00:00Z",
                "observedGeneration": 1,
            }
        ]
    }
    if url:
        status["controllerService"] = url
    metadata: JsonObject = {"name": "pinot", "namespace": NAMESPACE, "uid": "uid-cluster", "generation": 1}
    if deleting:
        metadata["deletionTimestamp"] = "2026-11-25T11:00:00Z"
    return {
        "apiVersion": API_VERSION,
        "kind": "PinotCluster",
        "metadata": metadata,
        "spec": spec,
        "status": status,
    }


def schema_cr(
    synced: bool = True, generation: int = 1, synced_generation: int = 1, name: str = "events"
) -> JsonObject:
    status = {
        "conditions": [
            {
                "type": "Synced",
                "status": "True" if synced else "False",
                "reason": "Created" if synced else "Rejected",
                "message": "created schema events" if synced else "Invalid schema: events",
                "lastTransitionTime": "2026-11-25T10:00:00Z",
                "observedGeneration": synced_generation,
            }
        ],
        "observedGeneration": synced_generation,
    }
    obj = parent("PinotSchema", name=name, generation=generation, status=status)
    return obj


def default_related(kind: str) -> list[JsonObject]:
    related = [cluster()]
    if kind == "PinotTable":
        related.append(schema_cr())
    return related


def related_types(kind: str) -> list[tuple[str, str]]:
    types = [(API_VERSION, "PinotCluster"), ("v1", "Pod")]
    if kind == "PinotTable":
        types.append((API_VERSION, "PinotSchema"))
    return types


def _grouped(types: Iterable[tuple[str, str]], objects: Iterable[JsonObject], version: str) -> JsonObject:
    grouped: JsonObject = {type_key(v, k): {} for v, k in types}
    for obj in objects:
        meta = obj["metadata"]
        key = f"{meta.get('namespace', NAMESPACE)}/{meta['name']}" if version == "v2" else meta["name"]
        grouped.setdefault(type_key(obj["apiVersion"], obj["kind"]), {})[key] = obj
    return grouped


def request_body(
    parent_obj: JsonObject,
    children: Iterable[JsonObject] = (),
    related: Iterable[JsonObject] | None = None,
    finalizing: bool = False,
    version: str = "v2",
) -> JsonObject:
    kind = parent_obj["kind"]
    return {
        "controller": {
            "apiVersion": "metacontroller.k8s.io/v1alpha1",
            "kind": "CompositeController",
            "metadata": {"name": f"{kind.lower()}s.pinot.controlplane.dev"},
        },
        "parent": parent_obj,
        "children": _grouped(CHILD_TYPES, children, version),
        "related": _grouped(
            related_types(kind), default_related(kind) if related is None else related, version
        ),
        "finalizing": finalizing,
    }


HANDLERS = {path: handler for path, _, _, handler in resource_routes({"PINOT_CP_JOB_IMAGE": IMAGE})}


def call(
    parent_obj: JsonObject,
    children: Iterable[JsonObject] = (),
    related: Iterable[JsonObject] | None = None,
    finalizing: bool = False,
    now: datetime = NOW,
    hook: str = "sync",
) -> Decision:
    kind: ResourceKind = BY_KIND[parent_obj["kind"]]
    request = HookRequest.model_validate(request_body(parent_obj, children, related, finalizing))
    return HANDLERS[f"/{hook}/{kind.singular}"](request, now)


def sync(
    parent_obj: JsonObject,
    children: Iterable[JsonObject] = (),
    related: Iterable[JsonObject] | None = None,
    now: datetime = NOW,
) -> JsonObject:
    return call(parent_obj, children, related, now=now).body


def finalize(
    parent_obj: JsonObject,
    children: Iterable[JsonObject] = (),
    related: Iterable[JsonObject] | None = None,
    now: datetime = NOW,
    finalizing: bool = True,
) -> JsonObject:
    return call(parent_obj, children, related, finalizing=finalizing, now=now, hook="finalize").body


# --- what Kubernetes makes of the children -------------------------------------------------------


def of_kind(children: list[JsonObject], kind: str) -> list[JsonObject]:
    return [c for c in children if c["kind"] == kind]


def the_job(body: JsonObject) -> JsonObject:
    jobs = of_kind(body["children"], "Job")
    assert len(jobs) == 1, [j["metadata"]["name"] for j in jobs]
    return jobs[0]


def condition(body_or_status: JsonObject, type_: str) -> JsonObject:
    status = body_or_status.get("status", body_or_status)
    found = [c for c in status["conditions"] if c["type"] == type_]
    assert len(found) == 1, status
    return found[0]


def stored(child: JsonObject, uid: str | None = None) -> JsonObject:
    """A child as the API server stores it once Metacontroller created it."""
    obj = copy.deepcopy(child)
    meta = obj["metadata"]
    name = meta["name"]
    uid = uid or f"uid-{name}"
    meta.update(
        {
            "namespace": NAMESPACE,
            "uid": uid,
            "resourceVersion": "100",
            "creationTimestamp": "2026-11-25T11:58:00Z",
            "ownerReferences": [{"apiVersion": API_VERSION, "kind": "Owner", "name": "x", "uid": "p"}],
        }
    )
    meta["labels"] = {**meta.get("labels", {}), "controller-uid": "uid-parent"}
    if obj["kind"] == "Job":
        selector = {"batch.kubernetes.io/controller-uid": uid}
        obj["spec"]["selector"] = {"matchLabels": selector}
        template_labels = obj["spec"]["template"]["metadata"]["labels"]
        template_labels.update(
            {**selector, "batch.kubernetes.io/job-name": name, "controller-uid": uid, "job-name": name}
        )
        obj["spec"]["completions"] = 1
        obj["spec"]["parallelism"] = 1
        obj["status"] = {}
    return obj


def job_in(
    job: JsonObject, state: str, at: str = "2026-11-25T11:59:00Z", uid: str | None = None
) -> JsonObject:
    """A stored Job that is running, complete or failed (as the Job controller reports it)."""
    obj = stored(job, uid)
    if state == "running":
        obj["status"] = {"active": 1, "ready": 0, "startTime": "2026-11-25T11:58:01Z"}
    elif state == "complete":
        obj["status"] = {
            "succeeded": 1,
            "startTime": "2026-11-25T11:58:01Z",
            "completionTime": at,
            "conditions": [
                {"type": "SuccessCriteriaMet", "status": "True", "lastTransitionTime": at},
                {"type": "Complete", "status": "True", "lastTransitionTime": at},
            ],
        }
    elif state == "failed":
        container = job["spec"]["template"]["spec"]["containers"][0]["name"]
        pod = f"{NAMESPACE}/{job['metadata']['name']}-x8k2p"
        message = f"Container {container} for pod {pod} failed with exit code 1"
        obj["status"] = {
            "failed": 1,
            "startTime": "2026-11-25T11:58:01Z",
            "conditions": [
                {
                    "type": "FailureTarget",
                    "status": "True",
                    "reason": "PodFailurePolicy",
                    "message": message,
                    "lastTransitionTime": at,
                },
                {
                    "type": "Failed",
                    "status": "True",
                    "reason": "PodFailurePolicy",
                    "message": message,
                    "lastTransitionTime": at,
                },
            ],
        }
    else:
        raise ValueError(state)
    return obj


def pod_of(
    job: JsonObject,
    message: str | None,
    finished_at: str = "2026-11-25T11:58:59Z",
    exit_code: int = 0,
    suffix: str = "x8k2p",
    waiting: tuple[str, str] | None = None,
) -> JsonObject:
    """A Pod of a stored Job, terminated with `message` in its termination message (or waiting)."""
    name = job["metadata"]["name"]
    uid = job["metadata"]["uid"]
    labels = dict(job["spec"]["template"]["metadata"]["labels"])
    container = job["spec"]["template"]["spec"]["containers"][0]["name"]
    if waiting is not None:
        state: JsonObject = {"waiting": {"reason": waiting[0], "message": waiting[1]}}
        phase = "Pending"
    else:
        terminated: JsonObject = {
            "exitCode": exit_code,
            "reason": "Completed" if exit_code == 0 else "Error",
            "startedAt": "2026-11-25T11:58:02Z",
            "finishedAt": finished_at,
            "containerID": "containerd://abc",
        }
        if message is not None:
            terminated["message"] = message
        state = {"terminated": terminated}
        phase = "Succeeded" if exit_code == 0 else "Failed"
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": f"{name}-{suffix}",
            "namespace": NAMESPACE,
            "uid": f"uid-pod-{suffix}",
            "labels": labels,
            "ownerReferences": [
                {
                    "apiVersion": "batch/v1",
                    "kind": "Job",
                    "name": name,
                    "uid": uid,
                    "controller": True,
                    "blockOwnerDeletion": True,
                }
            ],
        },
        "spec": copy.deepcopy(job["spec"]["template"]["spec"]),
        "status": {
            "phase": phase,
            "containerStatuses": [{"name": container, "ready": False, "restartCount": 0, "state": state}],
        },
    }


def outcome_line(
    result: str, reason: str, message: str, http: int | None = None, pinot_name: str = "events"
) -> str:
    from hooks.jsonio import dumps

    return dumps(
        {"result": result, "reason": reason, "message": message, "httpStatus": http, "pinotName": pinot_name}
    ).decode()
