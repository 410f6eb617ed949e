"""pydantic's errors as `field: problem` lines: map keys in brackets, patterns in words."""

from __future__ import annotations

import copy
from typing import Annotated, Any

import pytest
from pydantic import BaseModel, Field, TypeAdapter, ValidationError

from hooks.crds.extensions import pattern
from hooks.refusals import refusals

DIGITS = pattern(r"^[0-9]+$", "must be digits only")


class Item(BaseModel):
    code: str = Field(pattern=DIGITS)
    raw: str | None = Field(default=None, pattern=r"^x")


class Outer(BaseModel):
    items: list[Item] = []
    labels: dict[str, Annotated[str, Field(max_length=2)]] | None = None
    nested: dict[str, Item] = {}


def problems(value: Any, model: Any = Outer, within: tuple[int | str, ...] = ()) -> list[str]:
    with pytest.raises(ValidationError) as caught:
        TypeAdapter(model).validate_python(value)
    return [str(e) for e in refusals(caught.value, model, within)]


def test_fields_after_dots_indices_and_keys_in_brackets() -> None:
    assert problems({"items": [{"code": "1"}, {"code": "a"}]}) == ["spec.items[1].code: must be digits only"]
    assert problems({"labels": {"team": "toolong"}}) == [
        "spec.labels['team']: String should have at most 2 characters"
    ]
    assert problems({"nested": {"code": {"code": "z"}}}) == ["spec.nested['code'].code: must be digits only"]


def test_an_unregistered_pattern_keeps_pydantic_words() -> None:
    assert problems({"items": [{"code": "1", "raw": "y"}]}) == [
        "spec.items[0].raw: String should match pattern '^x'"
    ]


def test_errors_found_in_a_part_are_placed_within_it() -> None:
    assert problems([{"code": "q"}], list[Item], ("pools",)) == ["spec.pools[0].code: must be digits only"]


@pytest.mark.parametrize(
    ("edit", "said"),
    [
        (
            {"pools": {0: {"kubernetes": {"replicas": 2}}}},
            "replicas is a field of the pool: did you mean spec.pools[0].replicas?",
        ),
        (
            {"pools": {0: {"pinot": {"nodeSelector": {}}}}},
            "did you mean spec.pools[0].kubernetes.nodeSelector?",
        ),
        ({"defaults": {"server": {"jvmOpts": "-Xmx1G"}}}, "did you mean spec.defaults.server.pinot.jvmOpts?"),
        ({"defaults": {"properties": {}}}, "did you mean spec.defaults.common.pinot.properties?"),
        ({"zookeper": {}}, "did you mean spec.zookeeper?"),
        ({"pools": {0: {"kubernetes": {"podLabels": {"n": 1}}}}}, 'YAML read 1 as a number: quote it ("1")'),
        ({"pools": {0: {"role": "Controller"}}}, "did you mean 'controller'? Choices are case-sensitive"),
    ],
)
def test_hints_for_common_mistakes(edit: dict[str, Any], said: str) -> None:
    from hooks.cluster.validation import parse_spec
    from tests.cluster.builders import BASE_SPEC

    spec = copy.deepcopy(BASE_SPEC)
    for key, value in edit.items():
        if key == "pools":
            for index, change in value.items():
                spec["pools"][index].update(change)
        else:
            spec[key] = value
    problems = [str(e) for e in parse_spec(spec, "demo")[1]]
    assert any(said in problem for problem in problems), problems
