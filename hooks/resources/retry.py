"""When a failed run is tried again.

A failed Job is kept as the record of its failure; to retry, the hook leaves it out of the
children once the backoff has passed, Metacontroller deletes it, and the next sync creates it
afresh under the same name. `resyncAfterSeconds` brings that sync without any other event.

Retried (the cause may go away without a spec change):
- Unreachable, PinotError: the controller was down, restarting or overloaded.
- InsufficientInstances: servers or brokers may be added, or untagged.
- SchemaNotFound: the table's schema may still arrive.
- Unauthorized: the Secret may be fixed in place (its name, not its content, is in the run's hash),
  so it is retried too, but slowly, to stay clear of lockouts.
- JobFailed: no outcome line at all (a crash, the deadline, a lost Pod).

Kept until the spec changes (Pinot's answer will not change): Rejected, IncompatibleSchema,
InvalidInput. A delete is always retried: a schema that tables still use may be deletable later.
The backoff is fixed per reason: the run's name is reused, so nothing could count attempts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from hooks.resources.observation import JOB_FAILED, JobObservation, Phase

BACKOFF_SECONDS: dict[str, int] = {
    "Unreachable": 60,
    "PinotError": 60,
    "InsufficientInstances": 60,
    "SchemaNotFound": 60,
    JOB_FAILED: 60,
    "Unauthorized": 300,
}
DELETE_BACKOFF_SECONDS = 60
RECHECK_SECONDS = 5  # after dropping a Job: in case its deletion event is missed


@dataclass(frozen=True)
class Retry:
    """A failed run that will be tried again at `at`; `due` means now (leave the Job out)."""

    at: datetime
    due: bool
    resync_seconds: float


def retry(
    observation: JobObservation, now: datetime, always: bool = False, backoff_seconds: int | None = None
) -> Retry | None:
    """None when the run is not retried (not failed, or failed for good). `backoff_seconds` retries
    whatever the reason, after that long."""
    if observation.phase is not Phase.FAILED:
        return None
    reason = observation.outcome.reason if observation.outcome else JOB_FAILED
    backoff = DELETE_BACKOFF_SECONDS if always else BACKOFF_SECONDS.get(reason)
    if backoff_seconds is not None:
        backoff = backoff_seconds
    if backoff is None:
        return None
    try:
        at = observation.failed_at + timedelta(seconds=backoff) if observation.failed_at else None
    except OverflowError:  # a failure time at the end of the calendar: read as no time at all
        at = None
    if at is None or at <= now:
        return Retry(at or now, True, RECHECK_SECONDS)
    return Retry(at, False, max(1, math.ceil((at - now).total_seconds())))
