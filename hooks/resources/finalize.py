"""The finalize hook: what deleting a resource does in Pinot, by `spec.deletionPolicy`.

- Retain (the default): nothing in Pinot; finalized at once.
- Delete: a Job runs `pinot-control-plane delete` (a table always names its half with `--type`) and
  the resource is finalized only once that Job is observed Complete. A failed delete is retried
  after a backoff, and the conditions carry Pinot's reason; setting the policy to Retain ends it.

A finalizer never wedges a namespace: if the cluster is gone or being deleted, or the spec cannot
say what to delete, there is nothing the hook could do, and it finishes at once. Pinot is never
touched unless the resource itself is being deleted (`finalizing` true).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from hooks.conditions import Condition
from hooks.contract import HookRequest
from hooks.decision import Decision
from hooks.resources import jobs
from hooks.resources.context import Context, previous_pinot_name
from hooks.resources.gates import cluster_view
from hooks.resources.kinds import ResourceKind
from hooks.resources.naming import name_errors
from hooks.resources.observation import Phase
from hooks.resources.retry import retry
from hooks.resources.runs import Run
from hooks.resources.status import Report, retry_note, running_message, waiting
from hooks.resources.sync import sync_resource, tenant_claim

DELETING = "Deleting"
WAIT_FOR_CLUSTER_SECONDS = 30
CLUSTER_ANSWER_SECONDS = 30  # how long a resource deleted with its cluster waits for the cluster to say
CLUSTER_ANSWER_RECHECK_SECONDS = 5


def finalize_resource(kind: ResourceKind, image: str, request: HookRequest, now: datetime) -> Decision:
    if not request.finalizing:
        return sync_resource(kind, image, request, now)
    ctx = Context.of(kind, image, request, now)
    reading = kind.read(ctx.spec)
    target = reading.target
    pinot_name = target.pinot_name if target else previous_pinot_name(ctx.previous_status)
    shown = repr(pinot_name) if pinot_name else "the Pinot object"

    if deletion_policy(ctx.spec) == "Retain":
        return finished(
            ctx, "Retained", f"spec.deletionPolicy is Retain: {shown} is kept in Pinot", pinot_name
        )
    errors = name_errors(ctx.name) + list(reading.errors)
    if errors or target is None or reading.spec is None:
        problems = "; ".join(str(e) for e in errors)
        return finished(
            ctx,
            "InvalidSpec",
            f"nothing was deleted in Pinot, the spec does not say what: {problems}",
            pinot_name,
        )
    cluster_name = reading.spec.clusterRef.name
    cluster = cluster_view(cluster_name, ctx.namespace, ctx.related)
    claim = tenant_claim(kind, ctx.spec, cluster_name, ctx.related)
    if claim is not None:  # deleting the tenant in Pinot would untag the pool's instances
        return finished(ctx, claim.reason, f"nothing was deleted in Pinot: {claim.message}", pinot_name)
    if (
        cluster.deleting
        and not cluster.holding
        and _just_deleted(request.parent.metadata.deletionTimestamp, now)
    ):
        # Deleted together with its cluster, whose first finalize call may not have answered yet.
        message = f"waiting for PinotCluster {cluster_name!r}, being deleted too, to say whether it holds"
        return ctx.respond(waiting(DELETING, message), pinot_name, [], CLUSTER_ANSWER_RECHECK_SECONDS)
    if not cluster.present or (cluster.deleting and not cluster.holding):
        gone = "does not exist" if not cluster.present else "is being deleted"
        return finished(
            ctx,
            "ClusterNotFound",
            f"PinotCluster {cluster_name!r} {gone}: nothing is left to delete in Pinot",
            pinot_name,
        )

    others, kept = ctx.busy("apply")
    if others:
        message = f"waiting for Job {', '.join(others)} to finish before deleting {shown}"
        return ctx.respond(waiting(DELETING, message), pinot_name, kept)
    if cluster.connection is None:
        message = f"cannot delete {shown} yet: PinotCluster {cluster_name!r} has no status.controllerService"
        return ctx.respond(waiting("ClusterNotReady", message), pinot_name, [], WAIT_FOR_CLUSTER_SECONDS)

    run = Run.delete(target, cluster.connection)
    observation = ctx.observe(run)
    outcome = observation.outcome
    if observation.phase is Phase.SUCCEEDED and outcome is not None:
        report = Report(
            Condition("Ready", "False", "Deleted", f"{shown} is gone from Pinot (Job {observation.name})"),
            Condition(
                "Synced", "True", outcome.reason, outcome.message or f"Job {observation.name} succeeded"
            ),
            outcome=outcome,
        )
        # The finished Job stays until the resource is gone: a call after `finalized` (another
        # finalizer may hold the resource) sees it and answers the same, instead of deleting again.
        return ctx.respond(report, pinot_name, jobs.children(ctx.owner, run, image), finalized=True)

    plan = retry(observation, now, always=True)
    children = jobs.children(ctx.owner, run, image, with_job=plan is None or not plan.due)
    if observation.phase is Phase.FAILED and outcome is not None:
        note = retry_note(plan)
        report = Report(
            Condition(
                "Ready",
                "False",
                outcome.reason,
                f"deleting {shown} waits: Job {observation.name} failed; {note}; set spec.deletionPolicy "
                "to Retain to keep it in Pinot and finish",
            ),
            Condition("Synced", "False", outcome.reason, outcome.message),
            outcome=outcome,
        )
        return ctx.respond(report, pinot_name, children, plan.resync_seconds if plan else 0)
    message = running_message(observation, f"Job {observation.name} deletes {shown} from Pinot")
    return ctx.respond(waiting(DELETING, message), pinot_name, children)


def deletion_policy(spec: Mapping[str, Any]) -> str:
    """The policy at deletion time, read leniently: anything but an explicit Delete keeps the
    Pinot object, whatever else the spec gets wrong."""
    return "Delete" if spec.get("deletionPolicy") == "Delete" else "Retain"


def _just_deleted(since: str | None, now: datetime) -> bool:
    if not since:
        return False
    try:
        started = datetime.fromisoformat(since.replace("Z", "+00:00"))
    except ValueError:
        return False
    return (now - started).total_seconds() < CLUSTER_ANSWER_SECONDS


def finished(ctx: Context, reason: str, message: str, pinot_name: str) -> Decision:
    return ctx.respond(waiting(reason, message), pinot_name, [], finalized=True)
