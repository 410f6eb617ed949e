"""The comparison rule: only what the desired document sets, lists element by element."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hooks.pinotapi.normalise import differences, matches
from hooks.pinotapi.schemas import normalised_schema

from .documents import schema


@pytest.mark.parametrize(
    ("desired", "held", "paths"),
    [
        pytest.param({"a": 1}, {"a": 1, "added": True}, [], id="keys Pinot adds are ignored"),
        pytest.param({"a": {"b": 1}}, {"a": {"b": 1, "c": 2}}, [], id="recursively"),
        pytest.param({"a": 1}, {"a": 2}, ["/a"], id="a changed scalar"),
        pytest.param({"a": 1}, {}, ["/a"], id="a key Pinot lacks"),
        pytest.param({"a": None}, {}, [], id="null matches absent"),
        pytest.param({"a": {}}, {}, [], id="empty object matches absent"),
        pytest.param({"a": []}, {"a": None}, [], id="empty list matches null"),
        pytest.param({"a": []}, {"a": [1]}, ["/a"], id="an empty list does not match a full one"),
        pytest.param({"l": [{"n": "x"}]}, {"l": [{"n": "x", "d": 1}]}, [], id="list elements gain defaults"),
        pytest.param({"l": [1, 2]}, {"l": [2, 1]}, ["/l/0", "/l/1"], id="list order matters"),
        pytest.param({"l": [1]}, {"l": [1, 2]}, ["/l"], id="an element Pinot has more"),
        pytest.param({"r": "1"}, {"r": 1}, [], id="a numeric string equals its number"),
        pytest.param({"r": 2}, {"r": "2.0"}, [], id="a number equals its numeric string"),
        pytest.param({"r": "01.10"}, {"r": "1.1"}, ["/r"], id="two strings compare as text"),
        pytest.param({"f": True}, {"f": 1}, ["/f"], id="a boolean is not a number"),
        pytest.param({"f": False}, {"f": "false"}, ["/f"], id="a boolean is not a string"),
        pytest.param({"o": {"x": 1}}, {"o": [1]}, ["/o"], id="an object is not a list"),
        pytest.param({"a/b": 1, "t~": 2}, {}, ["/a~1b", "/t~0"], id="paths are JSON pointers"),
    ],
)
def test_differences(desired: Any, held: Any, paths: list[str]) -> None:
    assert differences(desired, held) == paths


def test_schema_field_spec_defaults_stated_or_omitted_are_equal() -> None:
    stated = schema()
    stated["dimensionFieldSpecs"][0] |= {"singleValueField": True, "notNull": False}
    held_without_defaults = schema()

    assert matches(normalised_schema(stated), normalised_schema(held_without_defaults))


def test_a_multi_value_column_differs_from_the_default() -> None:
    multi = schema()
    multi["dimensionFieldSpecs"][0]["singleValueField"] = False

    assert differences(normalised_schema(multi), normalised_schema(schema())) == [
        "/dimensionFieldSpecs/0/singleValueField"
    ]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=3), children, max_size=3)
    ),
    max_leaves=12,
)
json_objects = st.dictionaries(st.text(max_size=4), json_values, max_size=4)


@given(json_values)
def test_every_document_matches_itself(document: Any) -> None:
    assert differences(document, document) == []


@given(json_objects, st.dictionaries(st.text(min_size=5, max_size=6), json_values, max_size=3))
def test_keys_only_pinot_holds_never_count(document: dict[str, Any], added: dict[str, Any]) -> None:
    assert matches(document, {**added, **document})


@given(json_objects, st.text(min_size=1, max_size=4), st.integers())
def test_a_changed_setting_is_always_seen(document: dict[str, Any], key: str, value: int) -> None:
    desired = {**document, key: value}
    held = {**document, key: value + 1}

    assert differences(desired, held) == ["/" + key.replace("~", "~0").replace("/", "~1")]
