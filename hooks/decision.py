"""What a pure hook function returns to the HTTP shell."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Decision:
    """The JSON body to answer with, and a one-line summary of what was decided (for the log)."""

    body: dict[str, Any]
    summary: str


@dataclass(frozen=True)
class ClockFreeDecision(Decision):
    """A decision the hook would make alike at any other moment, for the same request.

    A hook returns it only when nothing in its answer came from the clock: no transition time
    taken from `now`, no deadline reached or resync delay counted from it. The HTTP layer then
    answers a byte-identical request with the same body again without calling the hook (a
    periodic resync of a settled parent sends exactly such requests).
    """
