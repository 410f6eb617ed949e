"""Outcomes: the Job's state and its Pod's termination message become conditions, Pinot's words verbatim."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from hooks.resources.observation import parse_outcome
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
INCOMPATIBLE = "Backward incompatible schema events. Only allow adding new columns"
REJECTED = (
    'Invalid table config: events_OFFLINE. Cannot deserialize value of type `int` from String "two": '
    "not a valid `int` value"
)


def observe(
    kind: str,
    state: str,
    message: str | None = None,
    exit_code: int = 0,
    spec_parent: JsonObject | None = None,
    status: JsonObject | None = None,
    now_offset: int = 0,
) -> JsonObject:
    """Sync once, let Kubernetes run the Job to `state`, and sync again."""
    obj = spec_parent or parent(kind)
    first = sync(obj)
    job = job_in(the_job(first), state)
    observed = [job] + [stored(c) for c in of_kind(first["children"], "ConfigMap")]
    pods = [pod_of(job, message, exit_code=exit_code)] if message is not None else []
    if status is not None:
        obj = {**obj, "status": status}
    return sync(obj, observed, related=default_related(kind) + pods, now=NOW + timedelta(seconds=now_offset))


SUCCESSES = [
    ("PinotSchema", "Created", "created schema events", 200),
    ("PinotSchema", "Updated", "updated schema events: added column country", 200),
    ("PinotTable", "Unchanged", "table events_OFFLINE already matches", None),
    ("PinotTenant", "Created", "created tenant analytics with 2 instances", 200),
]


@pytest.mark.parametrize(("kind", "reason", "message", "http"), SUCCESSES)
def test_a_completed_job_makes_the_resource_synced_and_ready(
    kind: str, reason: str, message: str, http: int | None
) -> None:
    body = observe(kind, "complete", outcome_line("Succeeded", reason, message, http))
    synced, ready = condition(body, "Synced"), condition(body, "Ready")
    assert (synced["status"], synced["reason"], synced["message"]) == ("True", reason, message)
    assert (ready["status"], ready["reason"]) == ("True", "Applied")
    expected = {"result": "Succeeded", "reason": reason, "message": message}
    if http is not None:
        expected["httpStatus"] = http
    assert body["status"]["lastOutcome"] == expected
    assert body["status"]["appliedHash"] == the_job(body)["metadata"]["name"].rsplit("-", 1)[1]
    assert body["resyncAfterSeconds"] == 0


FAILURES = [
    ("PinotSchema", "IncompatibleSchema", INCOMPATIBLE, 400),
    ("PinotTable", "Rejected", REJECTED, 400),
    ("PinotTable", "SchemaNotFound", "Invalid table config: events_OFFLINE. Failed to find schema", 400),
    ("PinotTenant", "InsufficientInstances", "Pinot has 1 untagged server instance, 2 are needed", 500),
    ("PinotSchema", "Unauthorized", "HTTP 401 Unauthorized", 401),
    (
        "PinotSchema",
        "Unreachable",
        "cannot reach http://pinot-controller.analytics.svc:9000: timed out",
        None,
    ),
    ("PinotSchema", "PinotError", "Internal error: ZooKeeper session expired", 500),
]


@pytest.mark.parametrize(("kind", "reason", "message", "http"), FAILURES)
def test_a_failed_job_carries_pinots_reason_and_words_verbatim(
    kind: str, reason: str, message: str, http: int | None
) -> None:
    body = observe(kind, "failed", outcome_line("Failed", reason, message, http), exit_code=1)
    synced, ready = condition(body, "Synced"), condition(body, "Ready")
    assert (synced["status"], synced["reason"], synced["message"]) == ("False", reason, message)
    assert (ready["status"], ready["reason"]) == ("False", reason)
    assert body["status"]["lastOutcome"]["message"] == message
    assert body["status"]["lastOutcome"]["reason"] == reason
    assert "appliedHash" not in body["status"]


@pytest.mark.parametrize("kind", ["PinotSchema", "PinotTable", "PinotTenant"])
def test_a_running_job_is_applying(kind: str) -> None:
    body = observe(kind, "running")
    for type_ in ("Ready", "Synced"):
        found = condition(body, type_)
        assert (found["status"], found["reason"]) == ("False", "Applying")
    assert of_kind(body["children"], "Job")


def test_a_pod_that_cannot_start_says_why_while_applying() -> None:
    first = sync(parent("PinotSchema"))
    job = job_in(the_job(first), "running")
    pod = pod_of(job, None, waiting=("CreateContainerConfigError", 'secret "pinot-admin" not found'))
    body = sync(parent("PinotSchema"), [job], related=[*default_related("PinotSchema"), pod])
    assert (
        'CreateContainerConfigError: secret "pinot-admin" not found' in condition(body, "Synced")["message"]
    )


def test_an_unparsable_termination_message_is_shown_raw() -> None:
    trace = 'Traceback (most recent call last):\n  File "x.py", line 1\nMemoryError'
    body = observe("PinotSchema", "failed", trace, exit_code=1)
    synced = condition(body, "Synced")
    assert (synced["reason"], synced["message"]) == ("JobFailed", trace)
    assert body["status"]["lastOutcome"] == {"result": "Failed", "reason": "JobFailed", "message": trace}


def test_a_failed_job_without_any_message_reports_the_jobs_own_reason() -> None:
    first = sync(parent("PinotSchema"))
    job = job_in(the_job(first), "failed")
    job["status"]["conditions"][-1].update(
        reason="DeadlineExceeded", message="Job was active longer than specified"
    )
    body = sync(parent("PinotSchema"), [job])
    synced = condition(body, "Synced")
    assert synced["reason"] == "JobFailed"
    assert synced["message"] == "DeadlineExceeded: Job was active longer than specified"


def test_a_completed_job_whose_pod_is_gone_is_still_applied() -> None:
    body = observe("PinotSchema", "complete")
    assert condition(body, "Ready")["status"] == "True"
    assert condition(body, "Synced")["reason"] == "Succeeded"


def test_a_completed_job_whose_pod_is_gone_keeps_the_recorded_outcome() -> None:
    created = observe(
        "PinotSchema", "complete", outcome_line("Succeeded", "Created", "created schema events")
    )
    later = observe("PinotSchema", "complete", status=created["status"])
    assert later["status"] == created["status"]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (outcome_line("Failed", "Rejected", "no"), "Rejected"),
        ("Starting\n" + outcome_line("Failed", "Unreachable", "down") + "\n", "Unreachable"),
        ('{"result": "Maybe", "reason": "Rejected"}', None),
        ('{"result": "Failed", "reason": "not a reason!"}', None),
        ("[1, 2]", None),
        ("", None),
    ],
    ids=["line", "log-tail", "unknown-result", "bad-reason", "not-an-object", "empty"],
)
def test_outcome_lines_are_read_strictly(text: str, reason: str | None) -> None:
    parsed = parse_outcome(text)
    assert (parsed.reason if parsed else None) == reason


def test_the_newest_pod_tells_the_outcome() -> None:
    first = sync(parent("PinotSchema"))
    job = job_in(the_job(first), "failed")
    older = pod_of(job, outcome_line("Failed", "Unreachable", "old"), "2026-11-25T11:58:10Z", 1, "aaaaa")
    newer = pod_of(job, outcome_line("Failed", "Rejected", "new"), "2026-11-25T11:58:50Z", 1, "bbbbb")
    for pods in ([older, newer], [newer, older]):
        body = sync(parent("PinotSchema"), [job], related=[*default_related("PinotSchema"), *pods])
        assert condition(body, "Synced")["message"] == "new"


def test_pods_of_an_earlier_job_of_the_same_name_are_ignored() -> None:
    first = sync(parent("PinotSchema"))
    earlier = job_in(the_job(first), "failed", uid="uid-first")
    stale = pod_of(earlier, outcome_line("Failed", "Unreachable", "down"), exit_code=1)
    retried = job_in(the_job(first), "complete", uid="uid-second")
    fresh = pod_of(retried, outcome_line("Succeeded", "Created", "created schema events"), suffix="zzzzz")
    body = sync(parent("PinotSchema"), [retried], related=[*default_related("PinotSchema"), stale, fresh])
    assert condition(body, "Synced")["reason"] == "Created"


# --- appliedHash ---------------------------------------------------------------------------------------


def test_applied_hash_is_kept_until_a_newer_run_succeeds() -> None:
    v1 = parent("PinotSchema")
    applied = observe("PinotSchema", "complete", outcome_line("Succeeded", "Created", "created"))
    first_hash = applied["status"]["appliedHash"]

    v2 = parent("PinotSchema", generation=2, status=applied["status"])
    v2["spec"]["schema"]["metricFieldSpecs"].append({"name": "w", "dataType": "LONG"})
    assert v1 != v2
    running = sync(v2)
    assert running["status"]["appliedHash"] == first_hash
    assert running["status"]["lastOutcome"]["reason"] == "Created"

    failed = observe(
        "PinotSchema",
        "failed",
        outcome_line("Failed", "IncompatibleSchema", INCOMPATIBLE, 400),
        1,
        spec_parent=v2,
        status=running["status"],
    )
    assert failed["status"]["appliedHash"] == first_hash
    assert failed["status"]["lastOutcome"]["reason"] == "IncompatibleSchema"

    done = observe(
        "PinotSchema",
        "complete",
        outcome_line("Succeeded", "Updated", "updated"),
        spec_parent=v2,
        status=failed["status"],
    )
    assert done["status"]["appliedHash"] != first_hash
    assert done["status"]["appliedHash"] == the_job(done)["metadata"]["name"].rsplit("-", 1)[1]
