"""A resource's status: `Ready` and `Synced`, the Pinot name, the last applied hash and outcome.

`Synced` tells what happened to the current run (with Pinot's own message when it failed);
`Ready` says whether Pinot holds the current spec. Everything is computed from the request (the
observed Job, its Pods, the previous status) and `now`, so the same request gives the same bytes,
and a status never holds a countdown (a retry is announced by its time, not by "in 42s").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from hooks.conditions import Condition, previous_conditions, render_conditions, rfc3339
from hooks.resources.observation import JobObservation, Outcome, Phase
from hooks.resources.retry import Retry

JsonObject = dict[str, Any]
APPLYING = "Applying"
APPLIED = "Applied"


@dataclass(frozen=True)
class Report:
    """The two conditions, and what the status records besides them."""

    ready: Condition
    synced: Condition
    applied_hash: str = ""
    outcome: Outcome | None = None


def waiting(reason: str, message: str) -> Report:
    return Report(Condition("Ready", "False", reason, message), Condition("Synced", "False", reason, message))


def run_report(observation: JobObservation, digest: str, pinot_name: str, retry: Retry | None) -> Report:
    """What the current apply run says about the resource."""
    job = observation.name
    outcome = observation.outcome
    if observation.phase is Phase.SUCCEEDED and outcome is not None:
        return Report(
            Condition(
                "Ready", "True", APPLIED, f"Pinot holds the current spec as {pinot_name!r} (Job {job})"
            ),
            Condition("Synced", "True", outcome.reason, outcome.message or f"Job {job} succeeded"),
            digest,
            outcome,
        )
    if observation.phase is Phase.FAILED and outcome is not None:
        return Report(
            Condition("Ready", "False", outcome.reason, f"Job {job} failed; {retry_note(retry)}"),
            Condition("Synced", "False", outcome.reason, outcome.message),
            outcome=outcome,
        )
    return waiting(APPLYING, running_message(observation, f"Job {job} applies the spec to Pinot"))


def running_message(observation: JobObservation, doing: str) -> str:
    """The same words before and after the Job is first observed, so that materialising the
    Job we asked for does not rewrite the status (contract §7 item 15); only what the Job
    reports (a waiting reason, a failed attempt) adds detail."""
    return f"{doing}: {observation.detail}" if observation.detail else doing


def retry_note(retry: Retry | None, give_up: str = "the spec must change before it is tried again") -> str:
    if retry is None:
        return give_up
    if retry.due:
        return "retrying now"
    return f"retrying at {rfc3339(retry.at)}"


def render_status(
    report: Report,
    pinot_name: str,
    previous_status: Mapping[str, Any] | None,
    generation: int,
    now: str,
) -> JsonObject:
    """The whole `.status` (Metacontroller adds `observedGeneration`).

    `appliedHash` and `lastOutcome` keep their previous values until a run finishes: a failed
    update never erases the record of what Pinot last accepted.
    """
    previous = previous_status or {}
    status: JsonObject = {
        "conditions": render_conditions(
            [report.ready, report.synced], previous_conditions(previous), generation, now
        ),
    }
    if pinot_name:
        status["pinotName"] = pinot_name
    elif isinstance(previous.get("pinotName"), str) and previous["pinotName"]:
        status["pinotName"] = previous["pinotName"]
    applied = report.applied_hash or previous.get("appliedHash")
    if isinstance(applied, str) and applied:
        status["appliedHash"] = applied
    outcome = report.outcome or Outcome.from_status(previous.get("lastOutcome"))
    if outcome is not None:
        status["lastOutcome"] = outcome.to_status()
    return status
