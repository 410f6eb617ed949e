"""What one resource asks of Pinot: the object it names, and the document it wants Pinot to hold."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

JsonObject = dict[str, Any]


@dataclass(frozen=True)
class PinotObject:
    """Enough to name the object in Pinot and to delete it (the `delete` command's arguments)."""

    cli_kind: str
    pinot_name: str
    delete_args: tuple[str, ...]


@dataclass(frozen=True)
class Desired:
    """The `apply` command's input: the document and its flags (sorted, so hashes are stable)."""

    target: PinotObject
    document: JsonObject
    flags: tuple[str, ...] = ()


def flags(**enabled: bool) -> tuple[str, ...]:
    return tuple(sorted(f"--{name}" for name, on in enabled.items() if on))
