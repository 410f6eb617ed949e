"""Children are answered in one order, whether built on this call or encoded before it."""

from __future__ import annotations

from typing import Any

from hooks import jsonio
from hooks.children import answered_children, encoded_child, sort_children


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
