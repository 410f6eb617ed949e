"""Deleting a PinotCluster: its controller stays until the resources that delete Pinot objects are done.

When a PinotCluster is deleted together with PinotSchemas, PinotTables or PinotTenants that reference it
with `deletionPolicy: Delete` (`kubectl delete -f` of a whole directory, an Argo CD app removed), those
resources run delete Jobs against the cluster's controller. So the cluster's finalizer holds it, and
keeps every child as observed (controller pods included), while such a resource is itself being
deleted, and says so in the `Deleting` condition, which those resources read: a cluster that is
being deleted but holds for them still takes their delete Jobs.

The wait ends, and the cluster goes, as soon as none is left, or no controller pod is ready any more
(a namespace being deleted takes the pods first, and no Job can be created in it: nothing could be
deleted in Pinot then), or after MAX_WAIT_SECONDS from the deletion: a finalizer never wedges.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from hooks import API_VERSION
from hooks.children import as_applied
from hooks.cluster import naming
from hooks.conditions import Condition, previous_conditions, render_conditions, rfc3339
from hooks.contract import HookRequest, HookResponse, as_int, as_object
from hooks.decision import Decision

JsonObject = dict[str, Any]
MAX_WAIT_SECONDS = 300
RECHECK_SECONDS = 5
HOLDING = "WaitingForResources"
RESOURCE_KINDS = ("PinotSchema", "PinotTable", "PinotTenant")


def finalize_cluster(request: HookRequest, now: datetime) -> Decision:
    parent = request.parent
    name = parent.metadata.name
    observed = request.observed("children")
    related = request.observed("related")
    previous_status = parent.status or {}
    waiting = sorted(
        f"{kind} {obj['metadata']['name']}"
        for kind in RESOURCE_KINDS
        for obj in related.of(API_VERSION, kind).values()
        if _deletes_from(obj, name)
    )
    controller_up = any(
        as_object((obj.get("metadata") or {}).get("labels")).get(naming.ROLE_LABEL) == "controller"
        and not (obj.get("metadata") or {}).get("deletionTimestamp")
        and as_int(as_object(obj.get("status")).get("readyReplicas")) > 0
        for obj in observed.of("apps/v1", "StatefulSet").values()
    )
    started = _moment(parent.metadata.deletionTimestamp) or now
    deadline = started + timedelta(seconds=MAX_WAIT_SECONDS)
    now_text = rfc3339(now)
    previous = previous_conditions(previous_status)
    if waiting and controller_up and now < deadline:
        message = (
            f"the controller is kept until {', '.join(waiting)} (deletionPolicy Delete) have deleted their "
            f"Pinot objects, at most until {rfc3339(deadline)}"
        )
        deleting = Condition("Deleting", "True", HOLDING, message)
        children = [as_applied(obj) for objects in observed.by_type.values() for obj in objects.values()]
        resync = float(min(RECHECK_SECONDS, max(1, int((deadline - now).total_seconds()))))
        finalized = False
    else:
        why = "no resource deletes from it any more"
        if waiting and not controller_up:
            why = "no controller pod is ready: nothing can be deleted in Pinot any more"
        elif waiting:
            why = f"waited {MAX_WAIT_SECONDS}s for {', '.join(waiting)}"
        deleting = Condition("Deleting", "True", "Finalized", f"the cluster goes: {why}")
        children, resync, finalized = [], 0.0, True
    kept = [
        c
        for c in previous_status.get("conditions") or []
        if isinstance(c, dict) and c.get("type") != "Deleting"
    ]
    status = {k: v for k, v in previous_status.items() if k not in ("conditions", "observedGeneration")}
    status["conditions"] = [
        *kept,
        *render_conditions([deleting], previous, parent.metadata.generation, now_text),
    ]
    response = HookResponse(
        status=status, children=children, resync_after_seconds=resync, finalized=finalized
    )
    return Decision(response.to_json_object(), f"finalizing: {deleting.reason}")


def holds_for_resources(cluster: Mapping[str, Any]) -> bool:
    """Whether a PinotCluster being deleted still takes its resources' delete Jobs."""
    conditions = as_object(cluster.get("status")).get("conditions")
    return any(
        isinstance(c, dict)
        and c.get("type") == "Deleting"
        and c.get("status") == "True"
        and c.get("reason") == HOLDING
        for c in conditions or []
    )


def _deletes_from(obj: Mapping[str, Any], cluster: str) -> bool:
    meta, spec = as_object(obj.get("metadata")), as_object(obj.get("spec"))
    return (
        bool(meta.get("deletionTimestamp"))
        and as_object(spec.get("clusterRef")).get("name") == cluster
        and spec.get("deletionPolicy") == "Delete"
    )


def _moment(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
