"""Does what Pinot holds already say what we want? The comparison behind Created/Updated/Unchanged.

Pinot never hands back exactly the document it was given: it adds the defaults of every field it
knows (a field spec gains `singleValueField` and `notNull`, a table config gains `metadata`, `loadMode`,
...) and may omit values equal to their default. Comparing whole documents would therefore see a change
on every run. The rule, applied recursively from the top of the desired document:

1. **Objects: only the keys the desired document sets are compared.** Keys that only the held document
   has are Pinot's additions and are ignored.
2. A desired key whose value is `null`, `{}` or `[]` also matches a key that Pinot does not hold (or
   holds as `null`), because Pinot omits empty and null values when it serialises.
3. **Lists are compared element-wise** after normalising: same length, and each desired element
   matches the held element at the same position by these same rules (so a field spec inside
   `dimensionFieldSpecs` may gain defaults, but a column added, removed or reordered is a change).
4. **Scalars must be equal**, except that a number and a string holding the same number are equal
   (Pinot keeps some numeric settings as strings, e.g. `segmentsConfig.replication: "1"`). Booleans
   are never numbers here: `true` does not match `1`.

Kind-specific steps happen before this comparison, on both sides (see `schemas.py` for field-spec
defaults and `tables.py` for the table name's type suffix).

Consequence worth knowing: deleting an optional key from the desired document is not, by itself, seen
as a change (rule 1 cannot tell "the user removed it" from "Pinot added it"). Setting it to `null`
says "must be absent" explicitly. Whenever any difference is found the whole desired document is sent,
which replaces what Pinot holds, so removed keys disappear with the next real change.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

__all__ = ["differences", "matches"]

_ABSENT: Final = object()


def matches(desired: Any, held: Any) -> bool:
    """True when `held` (what Pinot returned) satisfies `desired` under the module's rule."""
    return not differences(desired, held)


def differences(desired: Any, held: Any) -> list[str]:
    """JSON-pointer paths (RFC 6901) where `held` does not satisfy `desired`; empty when it does."""
    found: list[str] = []
    _compare(desired, held, "", found)
    return found


def _compare(desired: Any, held: Any, path: str, found: list[str]) -> None:
    if _is_empty(desired) and (held is _ABSENT or held is None):
        return
    if isinstance(desired, Mapping):
        if not isinstance(held, Mapping):
            found.append(path or "/")
            return
        for key, value in desired.items():
            _compare(value, held.get(key, _ABSENT), f"{path}/{_escape(str(key))}", found)
    elif _is_list(desired):
        if not _is_list(held) or len(held) != len(desired):
            found.append(path or "/")
            return
        for index, (want, have) in enumerate(zip(desired, held, strict=True)):
            _compare(want, have, f"{path}/{index}", found)
    elif not _same_scalar(desired, held):
        found.append(path or "/")


def _is_empty(value: Any) -> bool:
    return value is None or ((isinstance(value, Mapping) or _is_list(value)) and len(value) == 0)


def _is_list(value: Any) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, str | bytes)


def _same_scalar(desired: Any, held: Any) -> bool:
    if held is _ABSENT:
        return False
    if isinstance(desired, bool) or isinstance(held, bool):
        return type(desired) is type(held) and desired == held
    if isinstance(desired, str) and _is_number(held):
        return bool(_parse_number(desired) == held)
    if isinstance(held, str) and _is_number(desired):
        return bool(_parse_number(held) == desired)
    return bool(desired == held)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _parse_number(text: str) -> int | float | None:
    """The number a string spells in JSON syntax, or None (so "1e3" is 1000, "1_000" is not a number)."""
    text = text.strip()
    if not text or not all(c in "0123456789+-.eE" for c in text):
        return None
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return None


def _escape(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")
