"""The arguments every emitted Job runs are what the product's console script parses."""

from __future__ import annotations

from typing import Any

import pytest

from hooks.cli import build_parser
from tests.resources.builders import URL, parent, sync, the_job
from tests.resources.builders import finalize as finalize_call

JsonObject = dict[str, Any]
KINDS = ["PinotSchema", "PinotTable", "PinotTenant"]


def parsed(job: JsonObject) -> dict[str, Any]:
    (container,) = job["spec"]["template"]["spec"]["containers"]
    assert container["command"] == ["pinot-control-plane"]
    return vars(build_parser().parse_args(container["args"]))


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("PinotSchema", {"kind": "schema", "reload": True, "force": False}),
        ("PinotTable", {"kind": "table", "reload": False, "force": False}),
        ("PinotTenant", {"kind": "tenant", "reload": False, "force": False}),
    ],
)
def test_apply_jobs_parse(kind: str, expected: dict[str, Any]) -> None:
    args = parsed(the_job(sync(parent(kind))))
    assert args["command"] == "apply"
    assert {k: args[k] for k in expected} == expected
    assert str(args["file"]) == f"/etc/pinot-control-plane/{expected['kind']}.json"
    assert args["controller_url"] == URL
    assert args["termination_log"] == "/dev/termination-log"


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("PinotSchema", {"kind": "schema", "name": "events"}),
        ("PinotTable", {"kind": "table", "name": "events", "table_type": "OFFLINE"}),
        ("PinotTenant", {"kind": "tenant", "name": "analytics", "role": "SERVER"}),
    ],
)
def test_delete_jobs_parse(kind: str, expected: dict[str, Any]) -> None:
    obj = parent(kind)
    obj["spec"]["deletionPolicy"] = "Delete"
    args = parsed(the_job(finalize_call(obj)))
    assert args["command"] == "delete"
    assert {k: args[k] for k in expected} == expected
    assert args["controller_url"] == URL
