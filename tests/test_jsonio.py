"""One encoding for everything we emit, also for parts encoded ahead of the whole."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from hooks import jsonio


def nested(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = {"x": value}
    return value


def test_a_part_encoded_ahead_reads_as_if_encoded_in_place() -> None:
    part = {"b": [1, {"d": None, "c": "é"}], "a": 2.5}
    whole = {"z": 1, "children": [jsonio.Encoded(jsonio.dumps_nested(part, 2))]}

    assert jsonio.dumps(whole) == jsonio.dumps({"z": 1, "children": [part]})
    assert jsonio.dumps_nested(part, 3) == jsonio.dumps(part)


def test_a_part_too_deep_for_its_place_is_refused_like_the_whole() -> None:
    deepest = nested(250)
    jsonio.dumps(deepest)  # fits on its own
    with pytest.raises(orjson.JSONEncodeError):
        jsonio.dumps([[[[[deepest]]]]])
    with pytest.raises(orjson.JSONEncodeError):
        jsonio.dumps_nested(deepest, 5)
