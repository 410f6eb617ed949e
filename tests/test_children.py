"""Children are answered in one order, whether built on this call or encoded before it."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from hooks import jsonio
from hooks.children import (
    LAST_APPLIED,
    EncodedChild,
    answered_children,
    applied_child,
    as_applied,
    encoded_child,
    sort_children,
)


def child(api_version: str, kind: str, name: str) -> dict[str, Any]:
    return {"apiVersion": api_version, "kind": kind, "metadata": {"name": name}}


def test_encoded_and_built_children_sort_alike() -> None:
    built = [child("v1", "Service", "b"), child("apps/v1", "StatefulSet", "a"), child("v1", "ConfigMap", "c")]
    mixed = [built[0], encoded_child(built[1]), encoded_child(built[2])]

    answer = jsonio.loads(jsonio.dumps({"children": answered_children(mixed)}))

    assert answer["children"] == sort_children(built)


def test_an_encoded_child_is_the_child_as_dumps_encodes_it() -> None:
    built = child("v1", "ConfigMap", "c")
    assert encoded_child(built).data == jsonio.dumps(built)
    assert encoded_child(built) == encoded_child(child("v1", "ConfigMap", "c"))


def observed_config_map(name: str, record: Any) -> dict[str, Any]:
    annotations = {} if record is None else {LAST_APPLIED: record}
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "uid": "u-1", "resourceVersion": "7", "annotations": annotations},
        "data": {"k": "observed"},
    }


RECORD = jsonio.dumps(
    {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}, "data": {"k": "applied"}}
)


@pytest.mark.parametrize(
    "obj",
    [
        observed_config_map("a", RECORD.decode()),
        observed_config_map("b", RECORD.decode()),  # a record of another object
        observed_config_map("a", "{not json"),
        observed_config_map("a", None),
    ],
    ids=["record", "other-object", "damaged", "none"],
)
def test_a_kept_child_encoded_once_is_the_child_as_applied(obj: dict[str, Any]) -> None:
    first, again = applied_child(obj), applied_child(copy.deepcopy(obj))
    as_sent = [jsonio.loads(c.data) if isinstance(c, EncodedChild) else c for c in (first, again)]
    assert as_sent == [as_applied(obj), as_applied(obj)]
    if isinstance(first, EncodedChild):
        assert again is first
