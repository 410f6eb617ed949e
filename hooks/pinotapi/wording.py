"""Short, plain sentences shared by the kind modules, so messages read alike whatever the kind."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

from hooks.jsonio import dumps

__all__ = ["changed_fields", "describe_unrecognized"]

_MAX_LISTED: Final = 8


def changed_fields(paths: Sequence[str]) -> str:
    """`/a/b, /c` for the first few JSON-pointer paths, with a count of the rest."""
    listed = ", ".join(paths[:_MAX_LISTED])
    rest = len(paths) - _MAX_LISTED
    return f"{listed} and {rest} more" if rest > 0 else listed


def describe_unrecognized(properties: Mapping[str, Any]) -> str:
    """Why unrecognised properties matter, followed by Pinot's own list of them."""
    return (
        "Pinot does not recognise these properties and ignores them, so what it holds cannot match the "
        f"document; remove or correct them: {dumps(dict(properties)).decode()}"
    )
