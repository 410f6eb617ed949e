"""A memo keeps the most recently used results, by the exact JSON of the inputs."""

from __future__ import annotations

from enum import Enum

from hooks.memo import PROBATION, Memo, json_key


class Colour(Enum):
    RED = "red"


def test_a_result_asked_for_again_is_kept_least_recently_used_first_out() -> None:
    memo: Memo[int] = Memo(2)
    for key, value in ((b"a", 1), (b"b", 2), (b"c", 3)):
        memo.put(key, value)
        assert memo.get(key) == value  # asked for again: kept
    assert memo.get(b"a") is None  # the least recently used of the three went
    assert memo.get(b"b") == 2  # now c is the least recently used
    memo.put(b"d", 4)
    assert memo.get(b"d") == 4
    assert (memo.get(b"b"), memo.get(b"c"), memo.get(b"d")) == (2, None, 4)
    assert len(memo) == 2


def test_results_asked_for_once_do_not_push_out_those_asked_for_again() -> None:
    memo: Memo[int] = Memo(4)
    memo.put(b"kept", 0)
    assert memo.get(b"kept") == 0
    for n in range(PROBATION * 3):  # a pool edited on every call: each result asked for once
        memo.put(str(n).encode(), n)

    assert memo.get(b"kept") == 0
    assert memo.get(b"0") is None  # long gone from probation
    last = str(PROBATION * 3 - 1).encode()
    assert memo.get(last) == PROBATION * 3 - 1
    assert len(memo) == 1 + PROBATION


def test_a_result_put_again_starts_on_probation_with_its_new_value() -> None:
    memo: Memo[int] = Memo(4)
    memo.put(b"a", 1)
    assert memo.get(b"a") == 1
    memo.put(b"a", 2)
    assert memo.get(b"a") == 2
    assert len(memo) == 1


def test_keys_tell_apart_what_json_tells_apart() -> None:
    assert json_key(1, "1") != json_key("1", 1)
    assert json_key(1) != json_key(1.0)
    assert json_key({"a": 1}) != json_key({"a": 1}, None)
    assert json_key(Colour.RED) == json_key("red")  # an enum is its value: the same input
