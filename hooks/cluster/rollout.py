"""Which pools may be created or released now, decided from observed state only.

Rules (see docs and DESIGN):
- Pools are walked in rollout order (role by `deploymentOrder`, then position in `spec.pools`).
- Creation: a pool's StatefulSet is created only when every pool of every earlier role has
  converged. Pools of one role are created together.
- Release: a pool with a pending change (new template, or a rollout not finished) is released
  (partition 0) only when every pool before it has converged; otherwise it is held with
  `partition = replicas`, so its pods keep their old template and config.
- A released pool that does not converge within the progress deadline is Degraded. The clock
  starts when the pool starts rolling towards its current template, so a newer spec restarts it.
- A pool whose StatefulSet converged but whose instances Pinot has not settled yet (`held`: tagged,
  rebalanced, drained; `hooks.membership`) is still rolling out, without a deadline: a rebalance
  takes as long as the data it moves. Pools after it wait.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from functools import lru_cache
from typing import Any, NamedTuple

from hooks.cluster import naming
from hooks.cluster.settings import PoolSettings
from hooks.cluster.spec import Role
from hooks.contract import as_int, as_list, as_object

JsonObject = dict[str, Any]


class PoolState(StrEnum):
    PENDING = "Pending"
    WAITING = "Waiting"
    ROLLING_OUT = "RollingOut"
    READY = "Ready"
    DEGRADED = "Degraded"


class Observation(NamedTuple):
    """What the StatefulSet of a pool reports, as Kubernetes fills it in.

    The records of this module are named tuples: immutable, and built several times per pool on
    every sync, where a frozen dataclass took five times as long to build."""

    template_hash: str
    spec_replicas: int
    generation: int
    observed_generation: int
    replicas: int
    ready: int
    updated: int
    current_revision: str
    update_revision: str
    partition: int = 0

    @classmethod
    def of(cls, sts: Mapping[str, Any]) -> Observation:
        meta = as_object(sts.get("metadata"))
        spec = as_object(sts.get("spec"))
        status = as_object(sts.get("status"))
        strategy = as_object(as_object(spec.get("updateStrategy")).get("rollingUpdate"))
        # Positional: built for every observed StatefulSet of every sync.
        return cls(
            str(as_object(meta.get("annotations")).get(naming.TEMPLATE_HASH_ANNOTATION, "")),
            as_int(spec.get("replicas"), 1),
            as_int(meta.get("generation")),
            as_int(status.get("observedGeneration")),
            as_int(status.get("replicas")),
            as_int(status.get("readyReplicas")),
            as_int(status.get("updatedReplicas")),
            str(status.get("currentRevision", "")),
            str(status.get("updateRevision", "")),
            as_int(strategy.get("partition")),
        )

    @property
    def caught_up(self) -> bool:
        return self.observed_generation >= self.generation

    def converged(self, template_hash: str, replicas: int) -> bool:
        return (
            self.template_hash == template_hash
            and self.caught_up
            and self.spec_replicas == replicas
            and self.replicas == self.ready == self.updated == replicas
            and self.current_revision == self.update_revision
        )

    def pending_change(self, template_hash: str, replicas: int) -> bool:
        # A StatefulSet its controller has never reported on (observedGeneration 0) has no pods
        # yet, so there is nothing to hold back: it is being created, not updated. A new replica
        # count is a change too: once written, the set is not caught up until its controller
        # reports, and it must be held from the first sync on, not only from the second.
        return (
            self.template_hash != template_hash
            or self.spec_replicas != replicas
            or (not self.caught_up and self.observed_generation > 0)
            or self.current_revision != self.update_revision
        )


class PoolStep(NamedTuple):
    pool: PoolSettings
    template_hash: str
    emit: bool
    partition: int
    state: PoolState
    message: str
    since: str
    observation: Observation | None

    @property
    def converged(self) -> bool:
        return self.state is PoolState.READY


class PreviousPool(NamedTuple):
    state: str
    revision: str
    since: str

    @classmethod
    def by_name(cls, status: Mapping[str, Any] | None) -> dict[str, PreviousPool]:
        out = {}
        for entry in as_list((status or {}).get("pools")):
            if isinstance(entry, dict) and isinstance(entry.get("name"), str):
                out[entry["name"]] = cls(
                    state=str(entry.get("state", "")),
                    revision=str(entry.get("revision", "")),
                    since=str(entry.get("lastTransitionTime", "")),
                )
        return out


def _progress(observation: Observation, replicas: int) -> str:
    if observation.observed_generation == 0:
        # Not yet seen by the StatefulSet controller: say what we said before it existed, so the
        # status does not change merely because our own create landed (fixed point).
        return "creating"
    return f"{observation.ready}/{replicas} ready, {observation.updated}/{replicas} updated"


def plan(
    pools: list[PoolSettings],
    hashes: Mapping[str, str],
    observed: Mapping[str, Observation],
    previous: Mapping[str, PreviousPool],
    order: list[Role],
    now: datetime,
    now_text: str,
    deadline_seconds: int,
    ahead: str | None = None,
    held: Mapping[str, str] | None = None,
) -> list[PoolStep]:
    """`ahead` names what comes before every pool and has not converged (a managed ZooKeeper
    ensemble, hooks.cluster.ensemble): pools wait for it as for an earlier pool. `held`: pools whose
    StatefulSet converged but whose Pinot side has not (hooks.membership), with what is under way."""
    held = held or {}
    steps: list[PoolStep] = []
    blocker: str | None = ahead  # first pool, in order, that has not converged
    role_blocker: str | None = None  # first non-converged pool of an earlier role
    current_role: Role | None = None
    for pool in pools:
        if pool.role != current_role:
            current_role = pool.role
            role_blocker = blocker
        digest = hashes[pool.name]
        observation = observed.get(pool.name)
        if observation is None:
            if role_blocker is None:
                step = _rolling(pool, digest, None, "creating", previous, now, now_text, deadline_seconds)
            else:
                step = PoolStep(
                    pool,
                    digest,
                    False,
                    0,
                    PoolState.PENDING,
                    f"waiting for pool {role_blocker} to be ready before creating",
                    now_text,
                    None,
                )
        elif observation.converged(digest, pool.replicas) and pool.name in held:
            step = _held(pool, digest, observation, held[pool.name], previous.get(pool.name), now_text)
        elif observation.converged(digest, pool.replicas):
            step = PoolStep(
                pool,
                digest,
                True,
                0,
                PoolState.READY,
                _progress(observation, pool.replicas),
                now_text,
                observation,
            )
        elif observation.pending_change(digest, pool.replicas) and blocker is not None:
            step = PoolStep(
                pool,
                digest,
                True,
                pool.replicas,
                PoolState.WAITING,
                f"update held until pool {blocker} is ready",
                now_text,
                observation,
            )
        else:
            step = _rolling(
                pool,
                digest,
                observation,
                _progress(observation, pool.replicas),
                previous,
                now,
                now_text,
                deadline_seconds,
            )
        if (
            observation is not None
            and (blocker is not None or step.converged)
            and observation.partition > step.partition
        ):
            # Never lower a partition while an earlier pool has not converged, nor on a pool that
            # has (no pod has anywhere to go): the write would make the set look not caught up
            # until its controller reports, so the next sync would hold it, or the pools after it,
            # again (a flip-flop). A pool is released only when nothing before it is pending.
            step = step._replace(partition=observation.partition)
        if not step.converged and blocker is None:
            blocker = pool.name
        steps.append(_keep_since(step, previous.get(pool.name)))
    return steps


def _rolling(
    pool: PoolSettings,
    digest: str,
    observation: Observation | None,
    message: str,
    previous: Mapping[str, PreviousPool],
    now: datetime,
    now_text: str,
    deadline_seconds: int,
) -> PoolStep:
    before = previous.get(pool.name)
    since = now_text
    if before and before.revision == digest and before.state in (PoolState.ROLLING_OUT, PoolState.DEGRADED):
        since = before.since or now_text
    state = PoolState.ROLLING_OUT
    if elapsed_seconds(since, now) >= deadline_seconds:
        state = PoolState.DEGRADED
        message = f"not ready after {deadline_seconds}s: {message}"
    return PoolStep(pool, digest, True, 0, state, message, since, observation)


def _held(
    pool: PoolSettings,
    digest: str,
    observation: Observation,
    message: str,
    before: PreviousPool | None,
    now_text: str,
) -> PoolStep:
    since = now_text
    if before and before.revision == digest and before.state == PoolState.ROLLING_OUT and before.since:
        since = before.since
    # Its pods run the current template: the partition stays as observed, as a converged pool's does.
    partition = observation.partition
    return PoolStep(pool, digest, True, partition, PoolState.ROLLING_OUT, message, since, observation)


def _keep_since(step: PoolStep, before: PreviousPool | None) -> PoolStep:
    """A pool that stays in the same state keeps its transition time."""
    if step.state in (PoolState.ROLLING_OUT, PoolState.DEGRADED):
        return step
    if before and before.state == step.state and before.revision == step.template_hash and before.since:
        return step._replace(since=before.since)
    return step


def elapsed_seconds(since: str, now: datetime) -> float:
    started = _moment(since)
    if started is None:
        return 0.0
    return (now - started.replace(tzinfo=now.tzinfo)).total_seconds()


@lru_cache(maxsize=1024)
def _moment(text: str) -> datetime | None:
    """`strptime` is slow, and the same few transition times are read on every sync."""
    try:
        return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ")
    except ValueError:
        return None


def resync_after(steps: list[PoolStep], now: datetime, deadline_seconds: int) -> float:
    """Wake up when the earliest rolling pool reaches its deadline, even if nothing else happens."""
    waits = [
        deadline_seconds - elapsed_seconds(step.since, now)
        for step in steps
        if step.state is PoolState.ROLLING_OUT
    ]
    positive = [w for w in waits if w > 0]
    return float(int(min(positive)) + 1) if positive else 0.0
