"""PinotCluster status: per-pool progress and the summary conditions, from the rollout plan.

The plan itself is computed from observed children only, so everything here describes what
Kubernetes reports, not what we asked for.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Any, NamedTuple, Protocol

from hooks.cluster.rollout import Observation, PoolState
from hooks.conditions import REASON_PATTERN, Condition

MAX_REASON = 1024  # metav1.Condition's limit, which Condition enforces

JsonObject = dict[str, Any]


class Unit(Protocol):
    """A pool, or the managed ZooKeeper ensemble listed with them (hooks.cluster.ensemble)."""

    @property
    def name(self) -> str: ...
    @property
    def role(self) -> StrEnum: ...
    @property
    def replicas(self) -> int: ...


class Step(Protocol):
    """What status reads of a step of the rollout (hooks.cluster.rollout.PoolStep)."""

    @property
    def pool(self) -> Unit: ...
    @property
    def state(self) -> PoolState: ...
    @property
    def message(self) -> str: ...
    @property
    def since(self) -> str: ...
    @property
    def template_hash(self) -> str: ...
    @property
    def observation(self) -> Observation | None: ...


def pool_status(step: Step, pinot: JsonObject | None = None) -> JsonObject:
    """The pool's entry; `pinot` is Pinot's side of it (`hooks.membership`), when there is one."""
    observation = step.observation
    entry: JsonObject = {
        "name": step.pool.name,
        "role": step.pool.role.value,
        "replicas": step.pool.replicas,
        "readyReplicas": observation.ready if observation else 0,
        "updatedReplicas": observation.updated if observation else 0,
        "state": step.state.value,
        "message": step.message,
        "revision": step.template_hash,
        "lastTransitionTime": step.since,
    }
    if pinot is not None:
        entry["pinot"] = pinot
    return entry


class Membership(NamedTuple):
    """What Pinot's side of the pools adds to the conditions (`hooks.membership.cluster`)."""

    progress_reason: str = "RollingOut"  # Tagging, Rebalancing, Draining or Dropping while Pinot works
    degraded: tuple[str, str] | None = None  # (reason, message) of a step that needs a person
    removing: tuple[str, ...] = ()  # "pool x ...": removed pools and where they stand
    blocked: tuple[str, ...] = ()  # pools kept at their size: Pinot's tables need their servers


def _names(steps: Sequence[Step], state: PoolState) -> list[str]:
    return [step.pool.name for step in steps if step.state is state]


NO_MEMBERSHIP = Membership()


def cluster_conditions(
    steps: Sequence[Step],
    paused: bool,
    problems: list[str],
    membership: Membership = NO_MEMBERSHIP,
    held: Sequence[str] = (),
) -> list[Condition]:
    """`held`: pools a paused spec would change once unpaused."""
    removing = membership.removing
    degraded = [s for s in steps if s.state is PoolState.DEGRADED and s.pool.name not in membership.blocked]
    rolling = [step for step in steps if step.state is PoolState.ROLLING_OUT]
    waiting = _names(steps, PoolState.WAITING) + _names(steps, PoolState.PENDING)
    not_ready = [step for step in steps if step.state is not PoolState.READY]

    if not not_ready and not removing:
        ready = Condition("Ready", "True", "AllPoolsReady", f"all {len(steps)} pools are ready")
    else:
        parts = [f"pool {s.pool.name} is {s.state.value}: {s.message}" for s in not_ready[:5]]
        parts += list(removing)
        reason = "PoolDegraded" if degraded else "PoolsNotReady"
        ready = Condition("Ready", "False", reason, "; ".join(parts))

    if paused:
        message = "spec.paused is true: children are kept as observed"
        if held:
            message += f"; a change is held for pools {', '.join(held)}"
        progressing = Condition("Progressing", "False", "Paused", message)
    elif degraded and not rolling:
        first = degraded[0]
        progressing = Condition(
            "Progressing", "False", "ProgressDeadlineExceeded", f"pool {first.pool.name}: {first.message}"
        )
    elif membership.blocked and membership.degraded and not (rolling or waiting or removing):
        progressing = Condition("Progressing", "False", *membership.degraded)
    elif rolling or waiting or removing:
        parts = [f"pool {s.pool.name} rolling out ({s.message})" for s in rolling]
        parts += list(removing)
        if waiting:
            parts.append("waiting: " + ", ".join(waiting))
        progressing = Condition("Progressing", "True", membership.progress_reason, "; ".join(parts))
    else:
        progressing = Condition("Progressing", "False", "Complete", "every pool runs its current spec")

    if degraded:
        detail = "; ".join(f"pool {s.pool.name} ({s.pool.role.value}): {s.message}" for s in degraded)
        degraded_condition = Condition("Degraded", "True", "ProgressDeadlineExceeded", detail)
    elif problems:
        degraded_condition = Condition("Degraded", "True", "ImmutableFieldChanged", "; ".join(problems))
    elif membership.degraded is not None:
        degraded_condition = Condition("Degraded", "True", *membership.degraded)
    else:
        degraded_condition = Condition("Degraded", "False", "AsExpected", "no pool is stuck")

    paused_condition = (
        Condition("Paused", "True", "Paused", "spec.paused is true")
        if paused
        else Condition("Paused", "False", "Reconciling", "changes are applied")
    )
    return [ready, progressing, degraded_condition, paused_condition]


def invalid_spec_conditions(message: str, previous: Mapping[str, Mapping[str, Any]]) -> list[Condition]:
    """Ready=False/InvalidSpec; the other conditions keep what they said (or Unknown at first)."""
    conditions = [Condition("Ready", "False", "InvalidSpec", message)]
    for type_ in ("Progressing", "Degraded", "Paused"):
        before = previous.get(type_) or {}
        reason = before.get("reason") or "Unknown"
        if before.get("status") in ("True", "False", "Unknown") and _is_reason(reason):
            conditions.append(Condition(type_, before["status"], reason, str(before.get("message", ""))))
        else:  # absent, or not a condition we could have written
            conditions.append(Condition(type_, "Unknown", "InvalidSpec", "the spec is invalid"))
    return conditions


def _is_reason(value: Any) -> bool:
    return isinstance(value, str) and len(value) <= MAX_REASON and REASON_PATTERN.match(value) is not None
