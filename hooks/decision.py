"""What a pure hook function returns to the HTTP shell."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Decision:
    """The JSON body to answer with, and a one-line summary of what was decided (for the log)."""

    body: dict[str, Any]
    summary: str
