"""Bounded memos of pure functions, keyed by the exact JSON of their inputs.

Most sync calls repeat most of the previous call's work: a pod became ready, one pool's spec
changed, a resync came after the answer cache let go. The pure steps that work pool by pool
(validating, layering and rendering a pool) remember their results, so that a call costs what
changed in it. Equal key bytes mean equal inputs, so a remembered result is the result.
Remembered values are shared between calls and must be immutable, or be copied on the way out.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable
from typing import Any, Generic, TypeVar

import orjson

V = TypeVar("V")


def json_key(*inputs: Any) -> bytes:
    """The inputs as JSON (dataclasses and enums included), in the order given."""
    return orjson.dumps(inputs)


class Memo(Generic[V]):
    """Least recently used first out, at most `entries` keys."""

    def __init__(self, entries: int) -> None:
        self.entries = entries
        self._found: OrderedDict[Hashable, V] = OrderedDict()

    def get(self, key: Hashable) -> V | None:
        found = self._found.get(key)
        if found is not None:
            self._found.move_to_end(key)
        return found

    def put(self, key: Hashable, value: V) -> None:
        self._found[key] = value
        while len(self._found) > self.entries:
            self._found.popitem(last=False)

    def clear(self) -> None:
        self._found.clear()

    def __len__(self) -> int:
        return len(self._found)
