"""Pinot object names the Jobs cannot address are refused before anything is sent; every other name
reaches Pinot as exactly one path segment, byte for byte."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import unquote

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hooks.pinotapi.command import main
from hooks.pinotapi.names import name_problem
from hooks.pinotapi.outcome import Outcome

from .documents import schema, table

URL = "http://pinot-controller:9000"
UNADDRESSABLE = [".", "..", "a/b", "a?b", "a#b", "a\nb", "a\x00b", "\x7f", "tab\there", "x" * 513]


class Recorder:
    """A Pinot that answers 404 to everything and records the exact raw path (with query) it received."""

    def __init__(self) -> None:
        self.paths: list[bytes] = []

    def transport(self) -> httpx.MockTransport:
        def handle(request: httpx.Request) -> httpx.Response:
            self.paths.append(request.url.raw_path)
            return httpx.Response(404, json={"code": 404, "error": "not found"})

        return httpx.MockTransport(handle)


def run(tmp_path: Path, pinot: Recorder, *argv: str) -> tuple[int, Outcome]:
    log = tmp_path / "termination-log"
    code = main([*argv, "--controller-url", URL, "--termination-log", str(log)], pinot.transport())
    return code, Outcome.from_line(log.read_text())


def delete_argv(kind: str, name: str) -> list[str]:
    extra = {"schema": [], "table": ["--type", "OFFLINE"], "tenant": ["--role", "SERVER"]}[kind]
    return ["delete", kind, f"--name={name}", *extra]


def apply_document(kind: str, name: str) -> dict[str, object]:
    if kind == "schema":
        return {**schema(), "schemaName": name}
    if kind == "table":
        return {**table(), "tableName": name}
    return {"tenantRole": "SERVER", "tenantName": name, "numberOfInstances": 1, "offlineInstances": 1}


@pytest.mark.parametrize("name", UNADDRESSABLE)
@pytest.mark.parametrize("kind", ["schema", "table", "tenant"])
def test_delete_of_an_unaddressable_name_is_a_usage_error(tmp_path: Path, kind: str, name: str) -> None:
    pinot = Recorder()

    code, outcome = run(tmp_path, pinot, *delete_argv(kind, name))

    assert (code, outcome.result, outcome.reason) == (2, "Failed", "InvalidInput")
    assert "name" in outcome.message
    assert pinot.paths == []


@pytest.mark.parametrize("name", UNADDRESSABLE)
@pytest.mark.parametrize("kind", ["schema", "table", "tenant"])
def test_apply_of_a_document_with_an_unaddressable_name_is_refused(
    tmp_path: Path, kind: str, name: str
) -> None:
    pinot = Recorder()
    document = tmp_path / "doc.json"
    document.write_text(json.dumps(apply_document(kind, name)))

    code, outcome = run(tmp_path, pinot, "apply", kind, "--file", str(document))

    assert (code, outcome.reason) == (2, "InvalidInput")
    assert pinot.paths == []


@pytest.mark.parametrize("name", [".", "..", "._OFFLINE", ".._OFFLINE"])
def test_delete_table_dot_never_reports_already_absent(tmp_path: Path, name: str) -> None:
    pinot = Recorder()

    code, outcome = run(tmp_path, pinot, "delete", "table", "--name", name, "--type", "OFFLINE")

    assert outcome.reason != "AlreadyAbsent"
    assert (code, outcome.reason) == (2, "InvalidInput")
    assert "dot segment" in outcome.message
    assert pinot.paths == []


@pytest.mark.parametrize(
    ("kind", "name", "raw"),
    [
        ("schema", "a b", b"/schemas/a%20b"),
        ("schema", "100%", b"/schemas/100%25"),
        ("table", "...", b"/tables/...?type=OFFLINE"),
        ("table", "my.db.events", b"/tables/my.db.events?type=OFFLINE"),
        ("tenant", "caf\u00e9", b"/tenants/caf%C3%A9?type=server"),
    ],
)
def test_an_addressable_name_reaches_pinot_as_one_exact_segment(
    tmp_path: Path, kind: str, name: str, raw: bytes
) -> None:
    pinot = Recorder()

    code, outcome = run(tmp_path, pinot, *delete_argv(kind, name))

    assert (code, outcome.reason) == (0, "AlreadyAbsent")
    assert pinot.paths[0] == raw


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.text(min_size=0, max_size=20))
def test_any_name_is_refused_or_sent_as_exactly_itself(tmp_path: Path, name: str) -> None:
    pinot = Recorder()

    code, outcome = run(tmp_path, pinot, "delete", "schema", f"--name={name}")

    if name_problem("schema name", name) is not None:
        assert (code, outcome.reason, pinot.paths) == (2, "InvalidInput", [])
        return
    [raw] = pinot.paths
    prefix, _, segment = raw.partition(b"?")[0].rpartition(b"/")
    assert prefix == b"/schemas"
    assert unquote(segment.decode("ascii"), errors="strict") == name
