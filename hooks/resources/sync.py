"""The sync hook of PinotSchema, PinotTable and PinotTenant.

    validate -> gates (cluster, schema) -> the current run -> its Job's outcome -> status

An invalid spec or a closed gate changes nothing: the observed children are returned as they are.
Once the current run's Job exists it is kept whatever the gates say later, so a cluster that
flickers never makes an applied spec run again.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from hooks.contract import HookRequest, Observed
from hooks.decision import Decision
from hooks.refusals import SpecError
from hooks.resources import jobs
from hooks.resources.context import Context, previous_pinot_name
from hooks.resources.gates import Blocked, cluster_view, pool_claim, schema_gate
from hooks.resources.kinds import ResourceKind
from hooks.resources.naming import name_errors
from hooks.resources.observation import Phase, recall
from hooks.resources.retry import retry
from hooks.resources.runs import Run
from hooks.resources.spec import PinotTableSpec
from hooks.resources.status import APPLYING, run_report, waiting
from hooks.resources.table import schema_requirement

MAX_ERRORS_SHOWN = 10


def sync_resource(kind: ResourceKind, image: str, request: HookRequest, now: datetime) -> Decision:
    ctx = Context.of(kind, image, request, now)
    reading = kind.read(ctx.spec)
    errors = name_errors(ctx.name) + list(reading.errors)
    desired, spec = reading.desired, reading.spec
    pinot_name = desired.target.pinot_name if desired else previous_pinot_name(ctx.previous_status)
    if errors or spec is None or desired is None:
        return invalid(ctx, errors, pinot_name)

    cluster = cluster_view(spec.clusterRef.name, ctx.namespace, ctx.related)
    claim = tenant_claim(kind, ctx.spec, spec.clusterRef.name, ctx.related)
    if claim is not None:
        return gated(ctx, claim, pinot_name)
    blocked = cluster.blocked
    if isinstance(spec, PinotTableSpec):
        gate = schema_gate(schema_requirement(spec, desired.target, ctx.spec), ctx.related)
        if isinstance(gate, list):
            return invalid(ctx, gate, pinot_name)
        blocked = blocked or gate
    if cluster.connection is None:
        return gated(ctx, blocked or Blocked("ClusterNotReady", "the cluster is not ready"), pinot_name)

    run = Run.apply(desired, cluster.connection)
    observation = recall(ctx.observe(run), ctx.previous_status, run.digest)
    if observation.phase is Phase.ABSENT and blocked is not None:
        return gated(ctx, blocked, pinot_name)
    if observation.phase is Phase.ABSENT:
        others, kept = ctx.busy("apply", observation.name)
        if others:
            message = (
                f"Job {', '.join(others)} of an earlier spec is still running; Job {observation.name} waits"
            )
            return ctx.respond(waiting(APPLYING, message), pinot_name, kept)

    plan = retry(observation, now)
    children = jobs.children(ctx.owner, run, image, with_job=plan is None or not plan.due)
    report = run_report(observation, run.digest, pinot_name, plan)
    return ctx.respond(report, pinot_name, children, plan.resync_seconds if plan else 0)


def tenant_claim(
    kind: ResourceKind, spec: Mapping[str, Any], cluster: str, related: Observed
) -> Blocked | None:
    """For a PinotTenant: whether a pool of its cluster owns the tenant (then it changes nothing)."""
    tenant = spec.get("tenant")
    if kind.kind != "PinotTenant" or not isinstance(tenant, Mapping):
        return None
    role, name = tenant.get("tenantRole"), tenant.get("tenantName")
    if not isinstance(role, str) or not isinstance(name, str):
        return None
    return pool_claim(role, name, cluster, related)


def invalid(ctx: Context, errors: list[SpecError], pinot_name: str) -> Decision:
    shown = "; ".join(str(e) for e in errors[:MAX_ERRORS_SHOWN])
    if len(errors) > MAX_ERRORS_SHOWN:
        shown += f"; and {len(errors) - MAX_ERRORS_SHOWN} more"
    message = f"invalid spec, nothing is run and children are kept as they are: {shown}"
    return ctx.respond(waiting("InvalidSpec", message), pinot_name, ctx.kept())


def gated(ctx: Context, blocked: Blocked, pinot_name: str) -> Decision:
    return ctx.respond(waiting(blocked.reason, blocked.message), pinot_name, ctx.kept())
