"""What a version change looks like in the PinotCluster's status: per pool the version its pods run
and the one the spec asks, the cluster's version (`status.pinotVersion`, the Version column), the
change under way (`status.upgrade`), the Progressing reason of its phase, refusals, and warnings about
what no order can make safe."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from hooks.cluster.rollout import PoolState, PoolStep, PreviousPool
from hooks.cluster.running import PoolRun, Run, running_text
from hooks.cluster.spec import Role
from hooks.cluster.upgrade import Direction, Plan
from hooks.cluster.versions import PinotVersion, parse_version
from hooks.conditions import Condition

JsonObject = dict[str, Any]
PLURAL = {
    Role.CONTROLLER: "Controllers",
    Role.BROKER: "Brokers",
    Role.SERVER: "Servers",
    Role.MINION: "Minions",
}


def _text(version: PinotVersion | None) -> str:
    return "unknown" if version is None else str(version)


def pool_versions(
    plan: Plan, step: PoolStep, runs: Mapping[str, PoolRun], recorded: Mapping[str, tuple[Run, ...]]
) -> JsonObject:
    """`runningVersion` and `desiredVersion` of a pool's status entry (each when known), as they are
    once the answer is applied."""
    name = step.pool.name
    run = runs.get(name)
    if name in plan.held:
        target = run.template.version if run is not None else None
    else:
        target = parse_version(step.pool.version) if step.pool.version else None
    found: JsonObject = {}
    text = running_text(run, recorded.get(name, ()), target)
    if text:
        found["runningVersion"] = text
    wanted = plan.desired.get(name)
    if wanted is not None:
        found["desiredVersion"] = str(wanted)
    return found


def listed(versions: Sequence[PinotVersion | None]) -> str:
    """Each known version once, in the order given: `1.2.0,1.3.0`."""
    return ",".join(str(v) for v in dict.fromkeys(versions) if v is not None)


def change(plan: Plan) -> tuple[str, str]:
    """The versions the moving pools leave, and the ones they go to."""
    leaving = [v for name in plan.moving for v in plan.running.get(name, ()) if v != plan.desired[name]]
    return listed(leaving), listed([plan.desired[name] for name in plan.moving])


def phase(plan: Plan, steps: Sequence[PoolStep]) -> str:
    """The Progressing reason of a version change now, "" when none is under way."""
    if plan.refusals:
        return plan.refusals[0].reason
    if plan.preparing:
        return "PreparingServers"
    if plan.direction is None or not plan.moving:
        return ""
    first = next((s for s in steps if s.state is not PoolState.READY and s.pool.name not in plan.held), None)
    if first is None:
        return ""
    verb = "Upgrading" if plan.direction is Direction.UP else "RollingBack"
    return verb + PLURAL[first.pool.role]


def upgrade_status(plan: Plan, steps: Sequence[PoolStep]) -> JsonObject | None:
    """`status.upgrade`, while versions move or a move is refused."""
    if not plan.moving and not plan.refusals:
        return None
    leaving, going = change(plan)
    found: JsonObject = {"from": leaving, "to": going, "phase": phase(plan, steps)}
    if plan.direction is not None:
        found["direction"] = plan.direction.value
    if plan.steps:
        found["knownSteps"] = list(plan.steps)
    return {key: value for key, value in found.items() if value != ""}


def version_status(
    plan: Plan,
    steps: Sequence[PoolStep],
    recorded: Mapping[str, tuple[Run, ...]],
    tenants: Mapping[str, tuple[str, ...]],
) -> JsonObject:
    """The status fields a version change adds (`upgrade`, `warnings`), those it has; the cluster's
    version is a printer column's (hooks.cluster.summary)."""
    found: JsonObject = {}
    upgrade = upgrade_status(plan, steps)
    if upgrade:
        found["upgrade"] = upgrade
    said = warnings(plan, steps, recorded, tenants)
    if said:
        found["warnings"] = said
    return found


def held_steps(
    plan: Plan, steps: Sequence[PoolStep], previous: Mapping[str, PreviousPool], now_text: str
) -> list[PoolStep]:
    """Held pools wait (their children are kept as observed); pools not created yet that must wait
    are not created."""
    adjusted = []
    for step in steps:
        name = step.pool.name
        if name in plan.held:
            step = step._replace(state=PoolState.WAITING, message=plan.held[name], emit=True)
        elif name in plan.waiting:
            step = step._replace(state=PoolState.PENDING, message=plan.waiting[name], emit=False)
        else:
            adjusted.append(step)
            continue
        before = previous.get(name)
        kept = before is not None and before.state == step.state and before.revision == step.template_hash
        adjusted.append(step._replace(since=before.since if kept and before and before.since else now_text))
    return adjusted


def warnings(
    plan: Plan,
    steps: Sequence[PoolStep],
    recorded: Mapping[str, tuple[Run, ...]],
    tenants: Mapping[str, tuple[str, ...]],
) -> list[str]:
    """What no rollout order can make query-safe: a tenant (or the cluster) served by a single broker
    that must restart (a pool records what its pods run exactly while its template changes), and a
    jump across release lines. `tenants`: broker pool -> the tenants it serves (none: untagged)."""
    found = []
    brokers = [s.pool for s in steps if s.pool.role is Role.BROKER]
    serving: dict[str, int] = {}  # tenant ("" for brokers that name none) -> broker replicas
    for pool in brokers:
        for tenant in tenants.get(pool.name) or ("",):
            serving[tenant] = serving.get(tenant, 0) + pool.replicas
    for pool in brokers:
        if not recorded.get(pool.name):
            continue
        for tenant in tenants.get(pool.name) or ("",):
            if serving[tenant] != 1:
                continue
            if not tenant and len(serving) == 1:
                found.append(
                    f"the cluster has a single broker (pool {pool.name}): every query fails while it "
                    "restarts; run two or more broker replicas to roll without downtime"
                )
            else:
                served = f"tenant {tenant}" if tenant else "the brokers without a tenant"
                found.append(
                    f"{served} has a single broker (pool {pool.name}): every query to its tables fails "
                    "while it restarts; run two or more broker replicas for it to roll without downtime"
                )
    for jump in plan.jumps:
        found.append(
            f"{jump} skips release lines Pinot tests together: while the versions are mixed, some queries "
            "may be answered differently by old and new components"
        )
    return found


def conditions(
    plan: Plan, found: Sequence[Condition], steps: Sequence[PoolStep], paused: bool
) -> list[Condition]:
    """The cluster's conditions with what the version change adds: refusals make the cluster not Ready
    and Degraded, the phase becomes Progressing's reason, a pause says where the change stands."""
    if not plan.moving and not plan.refusals and not plan.preparing:
        return list(found)
    now = phase(plan, steps)
    refused = "; ".join(r.message for r in plan.refusals)
    leaving, going = change(plan)
    story = f"{(plan.direction or Direction.UP).value.lower()} {leaving} -> {going}" if plan.moving else ""
    adjusted = []
    for condition in found:
        kind, status, reason, message = condition.type, condition.status, condition.reason, condition.message
        if plan.refusals:
            if kind == "Ready":
                status, reason, message = "False", now, refused
            elif kind == "Degraded" and status != "True":
                status, reason, message = "True", now, refused
            elif kind == "Progressing" and status != "True" and reason != "Paused":
                status, reason, message = "False", now, refused
        elif kind == "Progressing" and status == "True" and reason == "RollingOut" and now:
            reason, message = now, f"{story}: {message}" if story else message
        if kind == "Progressing" and reason == "Paused" and story:
            where = ", ".join(
                f"{name} {' -> '.join(map(str, plan.running[name]))}"
                for name in plan.moving
                if name in plan.running
            )
            message = f"{message}; the {story} holds where it stands: {where}"
        adjusted.append(Condition(kind, status, reason, message))
    return adjusted
