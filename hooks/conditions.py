"""Conditions in the standard Kubernetes shape (`metav1.Condition`).

`lastTransitionTime` is the only clock-dependent value a hook emits. It is carried over from the
observed parent status whenever a condition keeps its status, so a response changes only when
something really happened (no status-only loops), and `now` is passed in by the caller.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any, Literal

ConditionStatus = Literal["True", "False", "Unknown"]

REASON_PATTERN = re.compile(r"^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$")
MAX_MESSAGE = 32768


@dataclass(frozen=True)
class Condition:
    type: str
    status: ConditionStatus
    reason: str
    message: str

    def __post_init__(self) -> None:
        if not REASON_PATTERN.match(self.reason) or len(self.reason) > 1024:
            raise ValueError(f"invalid condition reason {self.reason!r}")


def rfc3339(moment: datetime) -> str:
    """Seconds precision, UTC, `Z` suffix: the format the API server stores."""
    return _second((moment.astimezone(UTC) - EPOCH) // ONE_SECOND)  # exact, unlike a float timestamp


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
ONE_SECOND = timedelta(seconds=1)


@lru_cache(maxsize=64)
def _second(epoch_seconds: int) -> str:
    # strftime cost more than the rest of a sync's status: each second is written once.
    return (EPOCH + epoch_seconds * ONE_SECOND).strftime("%Y-%m-%dT%H:%M:%SZ")


def previous_conditions(status: Mapping[str, Any] | None) -> dict[str, Mapping[str, Any]]:
    conditions = (status or {}).get("conditions")
    if not isinstance(conditions, list):
        return {}
    return {c["type"]: c for c in conditions if isinstance(c, dict) and isinstance(c.get("type"), str)}


def render_conditions(
    conditions: Iterable[Condition],
    previous: Mapping[str, Mapping[str, Any]],
    generation: int,
    now: str,
) -> list[dict[str, Any]]:
    """Standard-shape dicts sorted by type; transition times kept unless the status flipped."""
    rendered = []
    for condition in sorted(conditions, key=lambda c: c.type):
        before = previous.get(condition.type)
        since = now
        if before is not None and before.get("status") == condition.status:
            kept = before.get("lastTransitionTime")
            if isinstance(kept, str) and kept:
                since = kept
        rendered.append(
            {
                "type": condition.type,
                "status": condition.status,
                "reason": condition.reason,
                "message": truncate(condition.message),
                "lastTransitionTime": since,
                "observedGeneration": generation,
            }
        )
    return rendered


def truncate(message: str, limit: int = MAX_MESSAGE) -> str:
    if len(message) <= limit:
        return message
    marker = " ... (truncated)"
    return message[: limit - len(marker)] + marker


def find(conditions: Sequence[Mapping[str, Any]] | None, type_: str) -> Mapping[str, Any] | None:
    for condition in conditions or ():
        if isinstance(condition, Mapping) and condition.get("type") == type_:
            return condition
    return None


def is_true(status: Mapping[str, Any] | None, type_: str) -> bool:
    conditions = (status or {}).get("conditions")
    found = find(conditions if isinstance(conditions, list) else None, type_)
    return found is not None and found.get("status") == "True"
