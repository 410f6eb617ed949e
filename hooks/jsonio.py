"""One JSON encoding for everything we emit: sorted keys, so equal data gives equal bytes."""

from __future__ import annotations

from typing import Any

import orjson

# JSON already encoded by `dumps`, placed in a value to encode as it is (no copy, no re-encoding).
Encoded = orjson.Fragment


def dumps(value: Any) -> bytes:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)


def dumps_nested(value: Any, depth: int) -> bytes:
    """`dumps(value)` for a value that sits `depth` containers deep in what is finally encoded
    (as an `Encoded`): orjson's nesting limit then holds for the whole, as if it had been
    encoded in place, which `Encoded` alone would not check."""
    wrapped = value
    for _ in range(depth):
        wrapped = [wrapped]
    return dumps(wrapped)[depth:-depth] if depth else dumps(value)


def loads(data: bytes | str) -> Any:
    return orjson.loads(data)
