"""The one-line result of an apply or delete, as the Job writes it to its termination log.

The hook that owns the Job reads this line back from the Pod's termination message and turns it into the
custom resource's condition, so the line is the whole contract between the CLI and the hooks:

    {"httpStatus":400,"message":"Backward incompatible schema events. Only allow adding new columns",
     "pinotName":"events","reason":"IncompatibleSchema","result":"Failed"}

Membership Jobs (tag, rebalance, drain, drop a pool's instances) add `view`, Pinot's side of the pool as
the Job last saw it (counts of instances registered, tagged and holding segments), which the cluster's
status shows beside the Kubernetes side; the other Jobs leave it out.

Kubernetes keeps at most 4096 bytes of a termination message, so `to_line` shortens the message (never the
other fields, never into invalid JSON) until the line fits.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from typing import Any, Final, Literal, get_args

from hooks.jsonio import dumps, loads

__all__ = [
    "FAILURE_REASONS",
    "SUCCESS_REASONS",
    "TERMINATION_MESSAGE_LIMIT",
    "Outcome",
    "Reason",
    "Result",
]

Result = Literal["Succeeded", "Failed"]

SuccessReason = Literal[
    "Created",
    "Updated",
    "Unchanged",
    "Deleted",
    "AlreadyAbsent",
    "Tagged",
    "Rebalanced",
    "Balanced",
    "Drained",
    "Dropped",
]
FailureReason = Literal[
    "Rejected",
    "IncompatibleSchema",
    "SchemaNotFound",
    "InsufficientInstances",
    "Unauthorized",
    "Unreachable",
    "PinotError",
    "InvalidInput",
    "NotRegistered",
    "ScaleInBlocked",
    "RebalanceFailed",
    "StillLive",
    "InUse",
    "TimedOut",
]
Reason = Literal[SuccessReason, FailureReason]

SUCCESS_REASONS: Final = frozenset(get_args(SuccessReason))
FAILURE_REASONS: Final = frozenset(get_args(FailureReason))

TERMINATION_MESSAGE_LIMIT: Final = 4096
"""Bytes Kubernetes keeps of a container's termination message."""

_ELLIPSIS: Final = " …[truncated]"
_MAX_NAME: Final = 512


@dataclass(frozen=True)
class Outcome:
    """What happened to one Pinot object. `message` carries Pinot's own words wherever Pinot gave any."""

    result: Result
    reason: Reason
    message: str
    httpStatus: int | None
    pinotName: str
    view: dict[str, int] | None = None

    def __post_init__(self) -> None:
        if self.result not in ("Succeeded", "Failed"):
            raise ValueError(f"result must be Succeeded or Failed, not {self.result!r}")
        expected = SUCCESS_REASONS if self.result == "Succeeded" else FAILURE_REASONS
        if self.reason not in expected:
            raise ValueError(f"reason {self.reason!r} does not belong to result {self.result!r}")

    @classmethod
    def succeeded(
        cls, reason: Reason, pinot_name: str, message: str, http_status: int | None = None
    ) -> Outcome:
        return cls("Succeeded", reason, message, http_status, pinot_name)

    @classmethod
    def failed(cls, reason: Reason, pinot_name: str, message: str, http_status: int | None = None) -> Outcome:
        return cls("Failed", reason, message, http_status, pinot_name)

    def with_view(self, view: dict[str, int]) -> Outcome:
        return replace(self, view=dict(view))

    @property
    def ok(self) -> bool:
        return self.result == "Succeeded"

    @property
    def exit_code(self) -> int:
        """0 succeeded, 2 the input was refused before Pinot was asked, 1 any other failure."""
        if self.ok:
            return 0
        return 2 if self.reason == "InvalidInput" else 1

    def redacted(self, redact: Callable[[str], str]) -> Outcome:
        """The same outcome with `redact` applied to its texts (before `to_line` shortens them)."""
        return replace(self, message=redact(self.message), pinotName=redact(self.pinotName))

    def to_dict(self) -> dict[str, Any]:
        fields = asdict(self)
        if self.view is None:
            del fields["view"]
        return fields

    def to_line(self, limit: int = TERMINATION_MESSAGE_LIMIT) -> str:
        """Compact JSON on one line, at most `limit` bytes of UTF-8; the message is shortened to fit."""
        fields = self.to_dict()
        # Text that is not valid UTF-8 (lone surrogates) cannot be encoded; replace it rather than fail.
        fields["message"] = _valid_text(self.message)
        fields["pinotName"] = _valid_text(self.pinotName[:_MAX_NAME])
        line = dumps(fields)
        if len(line) <= limit:
            return line.decode()
        message: str = fields["message"]
        # Largest prefix of the message whose encoded line fits; JSON escaping makes bytes-per-character
        # vary, so search rather than compute.
        low, high = 0, len(message)
        while low < high:
            middle = (low + high + 1) // 2
            fields["message"] = message[:middle] + _ELLIPSIS
            if len(dumps(fields)) <= limit:
                low = middle
            else:
                high = middle - 1
        fields["message"] = message[:low] + _ELLIPSIS
        line = dumps(fields)
        if len(line) > limit:  # only when `limit` cannot even hold the other fields
            raise ValueError(f"an outcome line cannot fit in {limit} bytes")
        return line.decode()

    @classmethod
    def from_line(cls, line: str | bytes) -> Outcome:
        """Parse a line written by `to_line` (for the hooks that read termination messages)."""
        data = loads(line)
        if not isinstance(data, dict):
            raise ValueError("an outcome line is a JSON object")
        status = data.get("httpStatus")
        if status is not None and not isinstance(status, int):
            raise ValueError("httpStatus must be an integer or null")
        view = data.get("view")
        if view is not None and not (
            isinstance(view, dict)
            and all(isinstance(v, int) and not isinstance(v, bool) for v in view.values())
        ):
            raise ValueError("view must map names to integers")
        return cls(
            result=data["result"],
            reason=data["reason"],
            message=str(data.get("message", "")),
            httpStatus=status,
            pinotName=str(data.get("pinotName", "")),
            view=view,
        )


def _valid_text(text: str) -> str:
    return text.encode("utf-8", "replace").decode("utf-8")
