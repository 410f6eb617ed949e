"""Retry: a failed Job is dropped (and so re-created) after a backoff when its cause may heal."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.resources.builders import (
    NOW,
    condition,
    default_related,
    job_in,
    of_kind,
    outcome_line,
    parent,
    pod_of,
    stored,
    sync,
    the_job,
)

JsonObject = dict[str, Any]
FAILED_AT = "2026-11-25T11:59:00Z"  # NOW - 60s


def after_failure(
    reason: str | None, seconds_after: int, kind: str = "PinotSchema"
) -> tuple[JsonObject, JsonObject]:
    """The response `seconds_after` the current Job failed with `reason` (None: no outcome line)."""
    first = sync(parent(kind))
    job = job_in(the_job(first), "failed", at=FAILED_AT)
    pods = (
        [pod_of(job, outcome_line("Failed", reason, f"{reason} says Pinot"), exit_code=1)] if reason else []
    )
    observed = [job] + [stored(c) for c in of_kind(first["children"], "ConfigMap")]
    now = NOW - timedelta(seconds=60) + timedelta(seconds=seconds_after)
    return first, sync(parent(kind), observed, related=default_related(kind) + pods, now=now)


RETRIED = [
    ("Unreachable", 60),
    ("PinotError", 60),
    ("InsufficientInstances", 60),
    ("SchemaNotFound", 60),
    ("Unauthorized", 300),
    (None, 60),
]


@pytest.mark.parametrize(("reason", "backoff"), RETRIED)
def test_a_retriable_failure_keeps_its_job_until_the_backoff_has_passed(
    reason: str | None, backoff: int
) -> None:
    first, body = after_failure(reason, 20)
    assert body["children"] == first["children"]
    assert body["resyncAfterSeconds"] == backoff - 20
    at = NOW - timedelta(seconds=60) + timedelta(seconds=backoff)
    assert f"retrying at {at:%Y-%m-%dT%H:%M:%SZ}" in condition(body, "Ready")["message"]


@pytest.mark.parametrize(("reason", "backoff"), RETRIED)
def test_a_retriable_failure_drops_its_job_once_the_backoff_has_passed(
    reason: str | None, backoff: int
) -> None:
    first, body = after_failure(reason, backoff)
    assert of_kind(body["children"], "Job") == []
    assert of_kind(body["children"], "ConfigMap") == of_kind(first["children"], "ConfigMap")
    assert 0 < body["resyncAfterSeconds"] <= 10
    assert "retrying now" in condition(body, "Ready")["message"]
    assert condition(body, "Synced")["reason"] == (reason or "JobFailed")


@pytest.mark.parametrize("kind", ["PinotSchema", "PinotTable", "PinotTenant"])
def test_the_dropped_job_is_recreated_under_the_same_name(kind: str) -> None:
    first, dropped = after_failure("Unreachable", 600, kind)
    again = sync(parent(kind, status=dropped["status"]), [stored(c) for c in dropped["children"]])
    assert again["children"] == first["children"]
    assert condition(again, "Synced")["reason"] == "Applying"
    assert again["status"]["lastOutcome"]["reason"] == "Unreachable"


@pytest.mark.parametrize("reason", ["Rejected", "IncompatibleSchema", "InvalidInput"])
def test_a_definitive_failure_is_kept_until_the_spec_changes(reason: str) -> None:
    first, body = after_failure(reason, 24 * 3600)
    assert body["children"] == first["children"]
    assert body["resyncAfterSeconds"] == 0
    assert "the spec must change before it is tried again" in condition(body, "Ready")["message"]


def test_a_job_being_deleted_for_a_retry_counts_as_gone() -> None:
    first = sync(parent("PinotSchema"))
    job = job_in(the_job(first), "failed")
    job["metadata"]["deletionTimestamp"] = "2026-11-25T12:00:00Z"
    body = sync(parent("PinotSchema"), [job])
    assert body["children"] == first["children"]
    assert condition(body, "Synced")["reason"] == "Applying"
