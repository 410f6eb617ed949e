"""What became of a run: its Job's state, and the outcome line its Pod left in its termination message.

The Job CLI writes one JSON line (`{"result", "reason", "message", "httpStatus", "pinotName"}`) to
the termination log; Kubernetes copies it into the Pod's status, which the customize hook makes
Metacontroller send along. Pinot's own message travels in it verbatim. A message that is not such a
line (a crash, whose log tail `FallbackToLogsOnError` keeps) is still shown, as raw text.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any, NamedTuple

from hooks.conditions import REASON_PATTERN, truncate
from hooks.contract import as_list, as_object
from hooks.jsonio import loads

JsonObject = dict[str, Any]
RESULTS = ("Succeeded", "Failed")
JOB_FAILED = "JobFailed"  # failed without an outcome line: crash, deadline, lost Pod
JOB_SUCCEEDED = "Succeeded"  # completed without an outcome line (its Pod is gone)
MAX_REASON = 64
QUIET_WAITING = frozenset({"ContainerCreating", "PodInitializing"})
TERMINATION_MESSAGE_LIMIT = 4096  # bytes of a termination message the kubelet keeps


class Phase(enum.Enum):
    ABSENT = "Absent"
    RUNNING = "Running"
    SUCCEEDED = "Succeeded"
    FAILED = "Failed"


class Outcome(NamedTuple):
    result: str
    reason: str
    message: str
    http_status: int | None = None
    # Pinot's side of a pool as a membership Job saw it (names to counts); other Jobs report none.
    view: tuple[tuple[str, int], ...] = ()

    @property
    def ok(self) -> bool:
        return self.result == "Succeeded"

    def to_status(self) -> JsonObject:
        """`status.lastOutcome`, in the CRD's shape (no nulls)."""
        shown: JsonObject = {"result": self.result, "reason": self.reason, "message": truncate(self.message)}
        if self.http_status is not None:
            shown["httpStatus"] = self.http_status
        return shown

    @classmethod
    def from_status(cls, value: Any) -> Outcome | None:
        if not isinstance(value, Mapping):
            return None
        return _outcome(value)


class JobObservation(NamedTuple):
    """A named tuple, as Outcome: every membership Job is observed on every sync of its cluster."""

    name: str
    phase: Phase
    outcome: Outcome | None = None
    failed_at: datetime | None = None
    detail: str = ""


def recall(observation: JobObservation, previous_status: Mapping[str, Any], digest: str) -> JobObservation:
    """A completed run whose Pod is gone keeps the outcome the status recorded for it."""
    if observation.phase is not Phase.SUCCEEDED or (
        observation.outcome and observation.outcome.reason != JOB_SUCCEEDED
    ):
        return observation
    remembered = Outcome.from_status(previous_status.get("lastOutcome"))
    if remembered is None or not remembered.ok or previous_status.get("appliedHash") != digest:
        return observation
    return observation._replace(outcome=remembered)


def parse_outcome(text: str) -> Outcome | None:
    """The outcome line in a termination message: the whole text, or its last line that is one.

    Only the last TERMINATION_MESSAGE_LIMIT characters are read: the kubelet keeps no more, and the
    Job CLI's line fits in them. Reading every line of a longer text took seconds per megabyte.
    """
    stripped = text[-TERMINATION_MESSAGE_LIMIT:].strip()
    if not stripped:
        return None
    for candidate in (stripped, *reversed(stripped.splitlines())):
        try:
            data = loads(candidate)
        except ValueError:
            continue
        if isinstance(data, Mapping) and (found := _outcome(data)) is not None:
            return found
    return None


def _outcome(data: Mapping[str, Any]) -> Outcome | None:
    result, reason, message = data.get("result"), data.get("reason"), data.get("message", "")
    status = data.get("httpStatus")
    if result not in RESULTS or not isinstance(reason, str) or not isinstance(message, str):
        return None
    if len(reason) > MAX_REASON or not REASON_PATTERN.match(reason):
        return None
    if isinstance(status, bool) or not isinstance(status, int | None):
        status = None
    view = data.get("view")
    counts = (
        tuple(
            sorted(
                (str(k), v)
                for k, v in view.items()
                if isinstance(v, int) and not isinstance(v, bool) and 0 <= v < 2**31
            )
        )
        if isinstance(view, Mapping)
        else ()
    )
    return Outcome(str(result), reason, message, status, counts)


def observe(job: Mapping[str, Any] | None, name: str, pods: Iterable[Mapping[str, Any]]) -> JobObservation:
    if job is None or (job.get("metadata") or {}).get("deletionTimestamp"):
        return JobObservation(name, Phase.ABSENT)
    status = as_object(job.get("status"))
    mine = [pod for pod in pods if _belongs(pod, job)]
    complete = _condition(status, "Complete")
    failed = _condition(status, "Failed")
    if complete is not None:
        return JobObservation(name, Phase.SUCCEEDED, _final(mine, True, ""))
    if failed is not None:
        detail = _text(failed.get("reason")) + (
            ": " + _text(failed.get("message")) if failed.get("message") else ""
        )
        return JobObservation(
            name, Phase.FAILED, _final(mine, False, detail), _time(failed.get("lastTransitionTime")), detail
        )
    return JobObservation(name, Phase.RUNNING, detail=_waiting(mine))


def _final(pods: list[Mapping[str, Any]], succeeded: bool, detail: str) -> Outcome:
    text = _newest_message(pods)
    parsed = parse_outcome(text) if text else None
    if parsed is not None and parsed.ok == succeeded:
        return parsed
    if succeeded:
        return Outcome("Succeeded", JOB_SUCCEEDED, text.strip() or "the Job completed")
    return Outcome("Failed", JOB_FAILED, text.strip() or detail or "the Job failed without a message")


def _newest_message(pods: list[Mapping[str, Any]]) -> str:
    finished: list[tuple[str, str, str]] = []
    for pod in pods:
        pod_name = str((pod.get("metadata") or {}).get("name", ""))
        for container in as_list(as_object(pod.get("status")).get("containerStatuses")):
            terminated = as_object(as_object(as_object(container).get("state")).get("terminated"))
            message = terminated.get("message")
            if isinstance(message, str) and message.strip():
                finished.append((str(terminated.get("finishedAt") or ""), pod_name, message))
    return max(finished)[2] if finished else ""


def _waiting(pods: list[Mapping[str, Any]]) -> str:
    """Why a running Job's Pod does not start, e.g. a missing Secret (CreateContainerConfigError)."""
    notes = []
    for pod in sorted(pods, key=lambda p: str((p.get("metadata") or {}).get("name", ""))):
        for container in as_list(as_object(pod.get("status")).get("containerStatuses")):
            waiting = as_object(as_object(as_object(container).get("state")).get("waiting"))
            reason = waiting.get("reason")
            if isinstance(reason, str) and reason and reason not in QUIET_WAITING:
                message = _text(waiting.get("message"))
                notes.append(f"{reason}: {message}" if message else reason)
    return "; ".join(notes)


def _belongs(pod: Mapping[str, Any], job: Mapping[str, Any]) -> bool:
    """A Pod of this very Job object: by owner UID (a retried Job reuses its name), else by name."""
    meta = job.get("metadata") or {}
    pod_meta = pod.get("metadata") or {}
    uid = meta.get("uid")
    if uid:
        owners = as_list(pod_meta.get("ownerReferences"))
        labels = pod_meta.get("labels") or {}
        return any(as_object(o).get("uid") == uid for o in owners) or uid in (
            labels.get("batch.kubernetes.io/controller-uid"),
            labels.get("controller-uid"),
        )
    labels = pod_meta.get("labels") or {}
    return meta.get("name") in (labels.get("batch.kubernetes.io/job-name"), labels.get("job-name"))


def _condition(status: Mapping[str, Any], type_: str) -> Mapping[str, Any] | None:
    for condition in as_list(status.get("conditions")):
        if (
            isinstance(condition, Mapping)
            and condition.get("type") == type_
            and condition.get("status") == "True"
        ):
            return condition
    return None


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""
