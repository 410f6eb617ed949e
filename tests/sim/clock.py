"""Simulated time: starts at a fixed instant and moves only when the simulation steps.

The hook app reads "now" through `create_app(clock=...)`; passing `SimClock.now` keeps condition
timestamps and progress deadlines deterministic (DESIGN: no clock except "now" passed in).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

EPOCH = datetime(2030, 1, 1, tzinfo=UTC)


class SimClock:
    def __init__(self, start: datetime = EPOCH) -> None:
        self._now = start

    def now(self) -> datetime:
        return self._now

    def advance(self, seconds: float) -> None:
        self._now += timedelta(seconds=seconds)

    def timestamp(self) -> str:
        """RFC 3339 with seconds precision, as the API server writes timestamps."""
        return self._now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
