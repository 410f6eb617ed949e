"""A memo keeps the most recently used results, by the exact JSON of the inputs."""

from __future__ import annotations

from enum import Enum

from hooks.memo import Memo, json_key


class Colour(Enum):
    RED = "red"


def test_the_least_recently_used_key_goes_first() -> None:
    memo: Memo[int] = Memo(2)
    memo.put(b"a", 1)
    memo.put(b"b", 2)
    assert memo.get(b"a") == 1  # now b is the least recently used
    memo.put(b"c", 3)

    assert (memo.get(b"a"), memo.get(b"b"), memo.get(b"c")) == (1, None, 3)
    assert len(memo) == 2


def test_keys_tell_apart_what_json_tells_apart() -> None:
    assert json_key(1, "1") != json_key("1", 1)
    assert json_key(1) != json_key(1.0)
    assert json_key({"a": 1}) != json_key({"a": 1}, None)
    assert json_key(Colour.RED) == json_key("red")  # an enum is its value: the same input
