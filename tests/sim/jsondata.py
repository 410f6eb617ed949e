"""JSON values as Kubernetes objects are held: fast deep copies."""

from __future__ import annotations

from typing import TypeVar

import orjson

T = TypeVar("T")


def clone(value: T) -> T:
    """A deep copy of JSON data (several times faster than `copy.deepcopy`)."""
    copied: T = orjson.loads(orjson.dumps(value))
    return copied
