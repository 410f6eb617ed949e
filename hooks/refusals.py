"""What is wrong with a spec, as `field: problem` lines in one path style.

Paths read like the spec: `spec.pools[2].pinot.properties['a.b']` (fields after dots, list
indices and map keys in brackets). pydantic's own errors are rewritten into that style: a map key
is told from a field by walking the model the error came from, a pattern registered with a
meaning (`hooks.crds.extensions.pattern`) is reported in words instead of as a regex, and a common
mistake gets a hint (`hooks.hints`).
"""

from __future__ import annotations

import types
import typing
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from hooks.crds.extensions import MEANINGS
from hooks.hints import hint


@dataclass(frozen=True)
class SpecError:
    field: str
    problem: str

    def __str__(self) -> str:
        return f"{self.field}: {self.problem}"


def refusals(
    exc: ValidationError, model: Any, within: Sequence[int | str] = (), root: str = "spec"
) -> list[SpecError]:
    """Every error of `exc`, raised while validating `model` (a model class or a type such as
    `list[Pool]`) found at `within` below `root`."""
    found = []
    for error in exc.errors(include_url=False):
        path, parent = _path(root, within, error["loc"], model)
        problem = _problem(error)
        last = error["loc"][-1] if error["loc"] else ""
        expected = str(error.get("ctx", {}).get("expected", ""))
        advice = hint(error["type"], path, last, parent, error.get("input"), expected)
        found.append(SpecError(path, f"{problem} ({advice})" if advice else problem))
    return found


def _problem(error: Any) -> str:
    kind = error["type"]
    if kind == "string_pattern_mismatch":
        meaning = MEANINGS.get(str(error.get("ctx", {}).get("pattern")))
        if meaning is not None:
            return meaning
    if kind == "value_error":
        return str(error["ctx"]["error"])
    return str(error["msg"])


def _path(root: str, within: Sequence[int | str], loc: Sequence[int | str], model: Any) -> tuple[str, Any]:
    """The error's path, and the (unwrapped) type holding its last part."""
    path = root
    shape: Any = model
    parent: Any = None
    for part in within:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    for part in loc:
        if part == "[key]":  # the problem is the map key itself, already named
            continue
        parent = _unwrap(shape)
        shape, is_key = _step(shape, part)
        if isinstance(part, int):
            path += f"[{part}]"
        elif is_key or not part.isidentifier():
            path += f"[{part!r}]"
        else:
            path += f".{part}"
    return path, parent


def _step(shape: Any, part: int | str) -> tuple[Any, bool]:
    """The type found at `part` inside `shape`, and whether `part` is a map key there."""
    shape = _unwrap(shape)
    origin = typing.get_origin(shape)
    if isinstance(shape, type) and issubclass(shape, BaseModel):
        for name, field in shape.model_fields.items():
            if part in (name, field.alias):
                return field.annotation, False
        return None, False
    if origin is dict:
        return typing.get_args(shape)[1], True
    if origin is list:
        return typing.get_args(shape)[0], False
    return None, False


def _unwrap(shape: Any) -> Any:
    """`Annotated[X, ...]` and `X | None` as X."""
    while True:
        origin = typing.get_origin(shape)
        if origin is typing.Annotated:
            shape = typing.get_args(shape)[0]
        elif origin in (typing.Union, types.UnionType):
            members = [arg for arg in typing.get_args(shape) if arg is not type(None)]
            if len(members) != 1:
                return shape
            shape = members[0]
        else:
            return shape
