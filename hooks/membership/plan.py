"""What may change now in each pool's membership, decided from observed state only.

For each broker, server and minion pool, from its StatefulSet (spec.replicas R, pods, readiness), the
replicas D it should have, and the membership Jobs observed with their outcomes:

- D >= R (steady, or growing): once every pod is ready, a `tag` Job (the pods' instances registered,
  carrying the pool's tags), then, for servers, a `rebalance` Job (the tables of those tags spread
  over the instances). Until both succeeded for D pods, the pool is not ready.
- D < R (shrinking, or removed with D = 0): a `drain` Job for the instances of ordinals >= D first,
  with R kept. Once Pinot reports them empty, R is lowered (servers one pod at a time, each step once
  the previous pod is gone). When R = D and the pods are gone, a `drop` Job removes the instances from
  Helix; then the pool is tagged and rebalanced as in the steady case, and the drain and drop Jobs go
  (at once for a pool scaled to zero: nothing is left to tag).
- A drain refused because tables would be left short (`ScaleInBlocked`) keeps R and is tried again
  later; it does not hold the other pools.

Jobs run one at a time per role, in rollout order, spec pools before removed ones: two rebalances of
one table must not overlap. A running Job is kept until it finishes even when the spec moved on,
and a failed one is retried after a backoff (`hooks.resources.retry`). Nothing here depends on
anything but the request, so a hook that restarts anywhere in this sequence carries on from there.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, NamedTuple

from hooks.children import EncodedChild, as_applied
from hooks.cluster.rollout import Observation
from hooks.cluster.spec import Role
from hooks.membership.runs import (
    ATTEMPT_LABEL,
    CLUSTER_LABEL,
    OPERATION_LABEL,
    POOL_LABEL,
    ROLE_LABEL,
    MembershipRun,
    Target,
    membership_run,
)
from hooks.membership.tags import MEMBER_ROLES
from hooks.resources.naming import RUN_LABEL
from hooks.resources.observation import JobObservation, Phase, observe
from hooks.resources.retry import Retry, retry
from hooks.resources.status import retry_note

JsonObject = dict[str, Any]
BACKOFF_SECONDS = {"ScaleInBlocked": 300}
DEFAULT_BACKOFF_SECONDS = 60
RETRY_RECHECK_SECONDS = 10  # a retry that is due waits for another Job of its role


class MembershipPhase(StrEnum):
    WAITING = "Waiting"
    TAGGING = "Tagging"
    REBALANCING = "Rebalancing"
    DRAINING = "Draining"
    DROPPING = "Dropping"
    SETTLED = "Settled"
    BLOCKED = "Blocked"


PHASE_OF = {
    "tag": MembershipPhase.TAGGING,
    "rebalance": MembershipPhase.REBALANCING,
    "drain": MembershipPhase.DRAINING,
    "drop": MembershipPhase.DROPPING,
}
DOING = {
    "tag": "registers and tags",
    "rebalance": "rebalances the tables of",
    "drain": "moves everything off the leaving instances of",
    "drop": "drops the leaving instances of",
}


# The records built for every pool on every sync are named tuples: a frozen dataclass took several
# times as long to build.
class PoolInput(NamedTuple):
    name: str
    role: Role
    desired: int  # replicas the spec asks for (0 for a removed pool)
    tags: tuple[str, ...] | None
    observation: Observation | None
    removed: bool = False
    force: bool = False


class PoolMembership(NamedTuple):
    name: str
    role: Role
    replicas: int  # spec.replicas the StatefulSet gets now
    phase: MembershipPhase
    message: str
    job: str = ""
    view: tuple[tuple[str, int], ...] = ()
    failure: str = ""  # the reason of a failed Job the phase waits on
    kept: tuple[MembershipRun, ...] = ()  # runs whose Jobs are records of what is true
    next: MembershipRun | None = None
    done: bool = False  # a removed pool that is gone from Pinot

    @property
    def held(self) -> bool:
        return self.phase not in (MembershipPhase.SETTLED, MembershipPhase.BLOCKED)

    def status(self) -> JsonObject:
        shown: JsonObject = {"phase": self.phase.value, "message": self.message}
        if self.job:
            shown["job"] = self.job
        if self.view:
            shown["view"] = dict(self.view)
        return shown


@dataclass(frozen=True)
class MembershipPlan:
    pools: dict[str, PoolMembership] = field(default_factory=dict)
    children: list[JsonObject | EncodedChild] = field(default_factory=list)
    resync_seconds: float = 0.0

    def replicas(self, pool: str, default: int) -> int:
        found = self.pools.get(pool)
        return found.replicas if found is not None else default

    @property
    def active(self) -> PoolMembership | None:
        """The first pool whose membership is under way (its phase names the cluster's progress)."""
        return next(
            (p for p in self.pools.values() if p.held and p.phase is not MembershipPhase.WAITING), None
        )


MAX_DECISIONS = 64  # decisions remembered per JobRecords (`JobRecords.decided`)


class JobRecords:
    """The membership Jobs of one cluster observed, and their Pods' outcomes. What is read of them
    is remembered in the object: the PinotCluster sync builds it once per observation
    (`hooks.contract.Observed.derive`), for every request that observes the same objects."""

    def __init__(self, jobs: Mapping[str, JsonObject], pods: Sequence[JsonObject], cluster: str) -> None:
        self.jobs = {name: job for name, job in jobs.items() if _labels(job).get(OPERATION_LABEL)}
        self.pods = [pod for pod in pods if _labels(pod).get(CLUSTER_LABEL) == cluster]
        # The attempts observed of each run (its digest and pool), found once instead of per run asked.
        self.attempts: dict[tuple[str, str], list[int]] = {}
        for job in self.jobs.values():
            labels = _labels(job)
            digest, pool = labels.get(RUN_LABEL), labels.get(POOL_LABEL)
            if isinstance(digest, str) and isinstance(pool, str):
                self.attempts.setdefault((digest, pool), []).append(_attempt(job))
        self.seen: dict[str, JobObservation] = {}  # by Job name: a Job is asked about more than once
        self.decisions: dict[tuple[Target, PoolInput], PoolMembership | None] = {}

    def decided(self, target: Target, pool: PoolInput) -> PoolMembership | None:
        """`_decide(target, pool, self)`: it reads nothing else, and nothing of the clock."""
        key = (target, pool)
        if key not in self.decisions:
            if len(self.decisions) >= MAX_DECISIONS:
                self.decisions.clear()
            self.decisions[key] = _decide(target, pool, self)
        return self.decisions[key]

    def observe(self, run: MembershipRun) -> JobObservation:
        return self.observed(run.name)

    def observed(self, name: str) -> JobObservation:
        found = self.seen.get(name)
        if found is None:
            found = self.seen[name] = observe(self.jobs.get(name), name, self.pods)
        return found

    def current(self, run: MembershipRun) -> tuple[MembershipRun, JobObservation]:
        """The newest attempt of `run` observed (the first when none is), and what became of it."""
        newest = run.at(max(self.attempts.get((run.digest, run.pool), ()), default=1))
        return newest, self.observe(newest)

    def running(self) -> dict[str, str]:
        """Running Jobs by name, with the role of their pool."""
        return {
            name: str(_labels(job).get(ROLE_LABEL, ""))
            for name, job in self.jobs.items()
            if self.observed(name).phase is Phase.RUNNING  # mostly asked already, by the runs
        }


def plan_membership(
    target: Target,
    pools: Sequence[PoolInput],
    observed: JobRecords,
    controller_ready: bool,
    now: datetime,
) -> MembershipPlan:
    """`observed`: the Jobs and Pods of `target.cluster` (`JobRecords`)."""
    decided: dict[str, PoolMembership] = {}
    for pool in pools:
        found = observed.decided(target, pool) if pool.role in MEMBER_ROLES else None
        if found is not None:
            decided[pool.name] = found
    all_running = observed.running()
    children: list[JsonObject | EncodedChild] = []
    emitted: set[str] = set()
    resync = 0.0
    started: dict[str, str] = {}  # role -> the one Job of that role that may start now
    for name, found in decided.items():
        role = found.role.value
        running = sorted(n for n, r in all_running.items() if r == role)
        starting = started.get(role)
        if found.done:
            continue  # a removed pool gone from Pinot: its Jobs go with its StatefulSet
        runs = list(found.kept)
        run = found.next
        if run is not None:
            seen = observed.observe(run)
            joining = _joining(decided, found) if run.operation == "drain" else None
            if seen.phase is Phase.ABSENT:
                if running or starting is not None or not controller_ready or joining is not None:
                    decided[name] = _waiting(found, running, starting, controller_ready, joining)
                    run = None
                else:
                    started[role] = run.name
            elif seen.phase is Phase.FAILED:
                plan = _retry(seen, now)
                if plan is not None and plan.due and not running and starting is None and controller_ready:
                    run = run.again()  # the failed Job goes, its next attempt starts
                    started[role] = run.name
                    decided[name] = found._replace(next=run, job=run.name, message=_starting(run), view=())
                else:
                    if plan is not None:
                        wait = plan.resync_seconds if not plan.due else RETRY_RECHECK_SECONDS
                        resync = min(resync or wait, wait)
                    decided[name] = _with_failure(found, seen, plan)
            if run is not None:
                runs.append(run)
        # A Job observed already is answered as encoded once (alike on every sync), a new one as an
        # object: the HTTP layer counts the Jobs an answer creates (hooks.metrics.new_jobs).
        children += [r.encoded_job if r.name in observed.jobs else r.job() for r in runs]
        emitted.update(r.name for r in runs)
    # A Job still running for a spec that moved on finishes first: a rebalance is never cut short.
    children += [as_applied(observed.jobs[n]) for n in sorted(all_running) if n not in emitted]
    return MembershipPlan(decided, children, resync)


def _joining(decided: Mapping[str, PoolMembership], draining: PoolMembership) -> str | None:
    """A pool of the same role still joining: a drain waits for it (a renamed pool's successor takes
    the segments, and the drain's check counts its instances only once they carry their tags)."""
    for other in decided.values():
        growing = other.phase in (
            MembershipPhase.WAITING,
            MembershipPhase.TAGGING,
            MembershipPhase.REBALANCING,
        )
        if other.role is draining.role and other.name != draining.name and growing:
            return other.name
    return None


def _decide(target: Target, pool: PoolInput, jobs: JobRecords) -> PoolMembership | None:
    obs = pool.observation
    if obs is None or (obs.observed_generation == 0 and not pool.removed):
        # Not created yet, or not yet seen by its controller: nothing runs in Pinot, in the same words
        # as while its pods start (a fixed point), and a drain of its role waits for it.
        message = f"waiting for {pool.desired} ready pods before Pinot is told"
        return PoolMembership(pool.name, pool.role, pool.desired, MembershipPhase.WAITING, message)
    role = pool.role.value
    desired, current, pods = pool.desired, obs.spec_replicas, obs.replicas
    # Every pod there and ready. Not whether the StatefulSet controller caught up with our last write:
    # what this decides must not change merely because that write landed (a fixed point).
    settled = pods == obs.ready == current

    def run(operation: str) -> MembershipRun:
        tags = pool.tags if operation in ("tag", "rebalance") else None
        force = pool.force and operation in ("drain", "drop")
        return membership_run(operation, target, pool.name, role, desired, tags, force)

    base = PoolMembership(pool.name, pool.role, desired, MembershipPhase.SETTLED, "")
    drain, drained = jobs.current(run("drain"))
    if desired < current:
        if drained.phase is not Phase.SUCCEEDED:
            return _step(base, drain, drained, replicas=current)
        step = current - 1 if pool.role is Role.SERVER and settled else current
        replicas = max(desired, step) if pool.role is Role.SERVER else desired
        message = _scaling_in(pool, pods, desired)
        return _replace(base, replicas, MembershipPhase.DRAINING, message, drain.name, drained, (drain,))
    kept: tuple[MembershipRun, ...] = ()
    if drained.phase is Phase.SUCCEEDED:
        kept = (drain,)
        if pods > desired:
            message = _scaling_in(pool, pods, desired)
            return _replace(base, desired, MembershipPhase.DRAINING, message, drain.name, drained, kept)
        drop, dropped = jobs.current(run("drop"))
        if dropped.phase is not Phase.SUCCEEDED:
            return _step(base, drop, dropped, kept=kept)
        kept += (drop,)
        if pool.removed:
            return _replace(
                base, desired, MembershipPhase.SETTLED, "gone from Pinot", drop.name, dropped, kept, done=True
            )
    if pool.removed or desired == 0:
        # A spec pool at zero has nothing to tag: its drain and drop Jobs go in this answer, so it shows
        # what it shows once they are gone, naming no Job and no Job's view (a fixed point).
        return _replace(base, desired, MembershipPhase.SETTLED, "no instance", done=pool.removed)
    records: tuple[MembershipRun, ...] = ()
    view: tuple[tuple[str, int], ...] = ()
    for operation in ("tag", "rebalance") if pool.role is Role.SERVER else ("tag",):
        current_run, seen = jobs.current(run(operation))
        if seen.phase is Phase.ABSENT and not (settled and current == desired):
            # A Job starts once every pod is up; one that ran already stays true through restarts.
            message = f"waiting for {desired} ready pods before Pinot is told"
            return _replace(base, desired, MembershipPhase.WAITING, message, kept=kept + records)
        if seen.phase is not Phase.SUCCEEDED:
            return _step(base, current_run, seen, kept=kept + records)
        records += (current_run,)
        view = _merge(view, seen)
    said = f"{desired} instance(s) registered" + (f" and tagged {', '.join(pool.tags)}" if pool.tags else "")
    if pool.role is Role.SERVER:
        said += "; tables rebalanced"
    failure = ""
    if dict(view).get("unbalancedTables") and seen.outcome is not None:
        said += f", except: {seen.outcome.message}"
        failure = "TablesUnderReplicated"
    last = records[-1].name
    return PoolMembership(
        pool.name, pool.role, desired, MembershipPhase.SETTLED, said, last, view, failure, records
    )


def _scaling_in(pool: PoolInput, pods: int, desired: int) -> str:
    """The same words whether or not the last lowering of replicas has landed (a fixed point)."""
    message = (
        f"instances of ordinals {desired} and up hold nothing in Pinot; {pods} pod(s), going to {desired}"
    )
    return message + (" one at a time" if pool.role is Role.SERVER else "")


def _starting(run: MembershipRun) -> str:
    """What a run does, in the same words before and after its Job is first observed."""
    return f"Job {run.name} {DOING[run.operation]} {run.statefulset}"


def _step(
    base: PoolMembership,
    run: MembershipRun,
    seen: JobObservation,
    replicas: int | None = None,
    kept: tuple[MembershipRun, ...] = (),
) -> PoolMembership:
    phase = PHASE_OF[run.operation]
    doing = _starting(run)
    message = f"{doing}: {seen.detail}" if seen.detail else doing
    return PoolMembership(
        base.name,
        base.role,
        base.replicas if replicas is None else replicas,
        phase,
        message,
        run.name,
        seen.outcome.view if seen.outcome else (),
        kept=kept,
        next=run,
    )


def _replace(
    base: PoolMembership,
    replicas: int,
    phase: MembershipPhase,
    message: str,
    job: str = "",
    seen: JobObservation | None = None,
    kept: tuple[MembershipRun, ...] = (),
    done: bool = False,
) -> PoolMembership:
    view = seen.outcome.view if seen is not None and seen.outcome is not None else ()
    return PoolMembership(base.name, base.role, replicas, phase, message, job, view, kept=kept, done=done)


def _merge(view: tuple[tuple[str, int], ...], seen: JobObservation) -> tuple[tuple[str, int], ...]:
    merged = dict(view)
    if seen.outcome is not None:
        merged.update(seen.outcome.view)
    return tuple(sorted(merged.items()))


def _retry(seen: JobObservation, now: datetime) -> Retry | None:
    """Every membership failure is tried again: instances register late, controllers restart, and a
    refused scale-in may be allowed once other pools grow (more slowly, it asks a person)."""
    reason = seen.outcome.reason if seen.outcome else ""
    return retry(seen, now, backoff_seconds=BACKOFF_SECONDS.get(reason, DEFAULT_BACKOFF_SECONDS))


def _with_failure(found: PoolMembership, seen: JobObservation, plan: Retry | None) -> PoolMembership:
    outcome = seen.outcome
    reason = outcome.reason if outcome else "JobFailed"
    said = outcome.message if outcome else seen.detail
    blocked = reason == "ScaleInBlocked"
    what = "scale-in refused" if blocked else f"Job {seen.name} failed"
    message = f"{what} ({reason}): {said}; {retry_note(plan)}"
    return PoolMembership(
        found.name,
        found.role,
        found.replicas,
        MembershipPhase.BLOCKED if blocked else found.phase,
        message,
        found.job,
        found.view,
        reason,
        found.kept,
        found.next,
    )


def _waiting(
    found: PoolMembership,
    running: list[str],
    starting: str | None,
    controller_ready: bool,
    joining: str | None,
) -> PoolMembership:
    assert found.next is not None
    if not controller_ready:
        why = "no controller pool is ready"
    elif joining is not None and not running and starting is None:
        why = f"pool {joining} joins Pinot first"
    else:
        others = running or ([starting] if starting else [])
        why = f"Job {', '.join(sorted(others))} runs first"
    message = f"Job {found.next.name} waits: {why}"
    return PoolMembership(
        found.name, found.role, found.replicas, found.phase, message, found.job, found.view, kept=found.kept
    )


def _attempt(job: Mapping[str, Any]) -> int:
    text = str(_labels(job).get(ATTEMPT_LABEL, "1"))
    return int(text) if text.isdigit() and 0 < int(text) < 10**6 else 1


def _labels(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    labels = (obj.get("metadata") or {}).get("labels")
    return labels if isinstance(labels, dict) else {}
