"""Resource answers marked clock-free are the same at any moment, so replaying them is safe."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest

from hooks import jsonio
from hooks.decision import ClockFreeDecision
from tests.resources.builders import (
    NOW,
    call,
    cluster,
    default_related,
    job_in,
    outcome_line,
    parent,
    pod_of,
    stored,
    sync,
    the_job,
)

SHIFTS = [timedelta(seconds=1), timedelta(seconds=59), timedelta(minutes=10), timedelta(days=400)]
KINDS = ["PinotSchema", "PinotTable", "PinotTenant"]


def _settled(kind: str, state: str, outcome: str | None) -> tuple[dict[str, Any], list[Any], list[Any]]:
    """The parent (with the status the previous answer gave it), children and related objects."""
    resource = parent(kind)
    first = sync(resource)
    job = the_job(first)
    children = [stored(c) for c in first["children"] if c["kind"] != "Job"] + [job_in(job, state)]
    related = default_related(kind)
    if outcome is not None:
        related.append(pod_of(stored(job), outcome, exit_code=0 if state == "complete" else 1))
    resource["status"] = sync(resource, children, related, now=NOW - timedelta(minutes=1))["status"]
    return resource, children, related


STATES: dict[str, Callable[[str], tuple[dict[str, Any], list[Any], list[Any]]]] = {
    "applied": lambda k: _settled(k, "complete", outcome_line("Succeeded", "Created", "created")),
    "running": lambda k: _settled(k, "running", None),
    "refused": lambda k: _settled(k, "failed", outcome_line("Failed", "Rejected", "no", 400)),
    "unreachable": lambda k: _settled(k, "failed", outcome_line("Failed", "Unreachable", "down")),
    "cluster-not-ready": lambda k: (parent(k), [], [cluster(ready=False)]),
}


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("state", sorted(STATES))
def test_clock_free_answers_do_not_change_with_time(kind: str, state: str) -> None:
    resource, children, related = STATES[state](kind)
    decision = call(resource, children, related)
    if not isinstance(decision, ClockFreeDecision):
        return
    for shift in SHIFTS:
        later: datetime = NOW + shift
        assert jsonio.dumps(call(resource, children, related, now=later).body) == jsonio.dumps(decision.body)


@pytest.mark.parametrize("kind", KINDS)
def test_an_applied_resource_is_clock_free(kind: str) -> None:
    resource, children, related = STATES["applied"](kind)
    assert isinstance(call(resource, children, related), ClockFreeDecision)


@pytest.mark.parametrize("kind", KINDS)
def test_a_pending_retry_is_not_clock_free(kind: str) -> None:
    resource, children, related = STATES["unreachable"](kind)
    assert not isinstance(call(resource, children, related), ClockFreeDecision)


def test_a_first_answer_with_new_transition_times_is_not_clock_free() -> None:
    assert not isinstance(call(parent("PinotSchema")), ClockFreeDecision)
