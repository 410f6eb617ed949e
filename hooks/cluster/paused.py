"""Status while `spec.paused` holds every child as observed: what runs, not what would roll.

The rollout plan says what the spec asks for; while paused none of it is applied, so each pool is
reported from its observed StatefulSet alone: Ready when its pods run the template they have (its
`revision` is that template's hash), still rolling when Kubernetes had not finished a rollout released
before the pause, Pending when it was never created. A pool whose spec would change it says the change
is held.
"""

from __future__ import annotations

from collections.abc import Mapping

from hooks.cluster.rollout import PoolState, PoolStep, PreviousPool


def paused_steps(steps: list[PoolStep], previous: Mapping[str, PreviousPool]) -> list[PoolStep]:
    return [_as_running(step, previous.get(step.pool.name)) for step in steps]


def held_changes(steps: list[PoolStep]) -> list[str]:
    """Pools the spec would change (template or replicas), or create, once unpaused."""
    return [
        step.pool.name
        for step in steps
        if step.observation is None
        or step.observation.template_hash != step.template_hash
        or step.observation.spec_replicas != step.pool.replicas
    ]


def _as_running(step: PoolStep, before: PreviousPool | None) -> PoolStep:
    observation = step.observation
    if observation is None:
        return step._replace(state=PoolState.PENDING, message="not created: spec.paused holds it")
    running = observation.template_hash
    replicas = observation.spec_replicas
    progress = f"{observation.ready}/{replicas} ready, {observation.updated}/{replicas} updated"
    # Not converged: released before the pause, and Kubernetes carries on.
    state = PoolState.READY if observation.converged(running, replicas) else PoolState.ROLLING_OUT
    changed = running != step.template_hash or replicas != step.pool.replicas
    message = progress + ("; a change is held while spec.paused is true" if changed else "")
    since = step.since
    if before is not None and before.state == state.value and before.revision == running and before.since:
        since = before.since
    return step._replace(state=state, message=message, template_hash=running, since=since)
