"""Which Pinot object names the Jobs can address, refused before anything is sent.

A name is one segment of a REST path (`/schemas/{name}`, `/tables/{raw}`, `/tenants/{name}`). Some
names cannot be one: `.` and `..` are dot segments, which URL libraries (httpx among them) and HTTP
servers remove or resolve, so `DELETE /tables/.?type=OFFLINE` reaches Pinot as `DELETE
/tables?type=OFFLINE`, a 404 that reads as "already absent". `/`, `?` and `#` end a segment, and control
characters have no place in a name and are dropped or refused by the proxies on the way. Such names are
refused with `InvalidInput` (exit status 2); what Pinot itself allows in a name (it refuses more) stays
Pinot's verdict.
"""

from __future__ import annotations

import unicodedata
from typing import Final

__all__ = ["MAX_NAME_LENGTH", "name_problem"]

MAX_NAME_LENGTH: Final = 512
DOT_SEGMENTS: Final = frozenset({".", ".."})
SEPARATORS: Final = frozenset("/?#")


def name_problem(what: str, name: str) -> str | None:
    """Why `name` cannot be sent as the `what` (e.g. "schema name") in a REST path, or None if it can."""
    if not name:
        return f"the {what} is empty"
    if name in DOT_SEGMENTS:
        return f"the {what} {name!r} is a dot segment, which is removed from a URL path on the way to Pinot"
    if len(name) > MAX_NAME_LENGTH:
        return f"the {what} is longer than {MAX_NAME_LENGTH} characters"
    for character in name:
        if character in SEPARATORS:
            return f"the {what} {name!r} contains {character!r}, which would end its URL path segment"
        if unicodedata.category(character) == "Cc":
            return f"the {what} {name!r} contains the control character {character!r}"
    return None
