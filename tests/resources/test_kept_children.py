"""Children kept as they are come back as what we last applied, never as the observed object.

Returning the observed object would make Metacontroller record all of it, including fields other
actors set, as ours; the next normal sync would then remove those fields."""

from __future__ import annotations

import copy

from hooks import jsonio
from hooks.children import LAST_APPLIED
from tests.resources.builders import default_related, parent, stored, sync


def test_an_invalid_spec_keeps_children_as_last_applied() -> None:
    first = sync(parent("PinotSchema"))
    observed = []
    for child in first["children"]:
        stored_child = stored(child)
        stored_child["metadata"].setdefault("annotations", {})[LAST_APPLIED] = jsonio.dumps(child).decode()
        stored_child["metadata"]["labels"]["added-by"] = "someone-else"
        observed.append(stored_child)
    broken = parent("PinotSchema", generation=2)
    broken["spec"]["schema"] = {"dimensionFieldSpecs": []}  # no schemaName
    answer = sync(broken, observed, default_related("PinotSchema"))
    assert sorted(jsonio.dumps(c) for c in answer["children"]) == sorted(
        jsonio.dumps(c) for c in first["children"]
    )


def test_a_child_without_a_record_is_kept_as_observed() -> None:
    first = sync(parent("PinotSchema"))
    observed = [stored(c) for c in first["children"]]
    broken = parent("PinotSchema", generation=2)
    broken["spec"]["schema"] = {"dimensionFieldSpecs": []}
    answer = sync(broken, copy.deepcopy(observed), default_related("PinotSchema"))
    assert {c["metadata"]["name"] for c in answer["children"]} == {c["metadata"]["name"] for c in observed}
    assert all("uid" not in c["metadata"] for c in answer["children"])
