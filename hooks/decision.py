"""What a pure hook function returns to the HTTP shell."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

from hooks import jsonio


@dataclass(frozen=True)
class Decision:
    """The answer to send, and a one-line summary of what was decided (for the log).

    `answer` is JSON, except that a part may already be encoded (`jsonio.Encoded`): a hook keeps
    the JSON of what it builds alike on every call (a pool's pod template) and the answer is
    encoded around it. `body` is the answer as plain JSON, exactly as it is sent.
    """

    answer: dict[str, Any]
    summary: str

    def encode(self) -> bytes:
        return jsonio.dumps(self.answer)

    @cached_property
    def body(self) -> dict[str, Any]:
        decoded: dict[str, Any] = jsonio.loads(self.encode())
        return decoded


@dataclass(frozen=True)
class ClockFreeDecision(Decision):
    """A decision the hook would make alike at any other moment, for the same request.

    A hook returns it only when nothing in its answer came from the clock: no transition time
    taken from `now`, no deadline reached or resync delay counted from it. The HTTP layer then
    answers a byte-identical request with the same body again without calling the hook (a
    periodic resync of a settled parent sends exactly such requests).
    """
