"""The Job CLI under arbitrary names and hostile answers: a name is refused before anything is sent,
or it reaches Pinot as exactly one path segment; the credentials never appear in what it writes,
whatever an answer echoes around them."""

from __future__ import annotations

import base64
import html
import json
import tempfile
from pathlib import Path
from urllib.parse import quote, unquote

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hooks.pinotapi.command import main
from hooks.pinotapi.names import name_problem
from hooks.pinotapi.outcome import Outcome
from hooks.pinotapi.redaction import REDACTED
from tests.fuzz.budget import fuzz_settings

pytestmark = pytest.mark.fuzz

URL = "http://pinot-controller:9000"
KINDS = {
    "schema": ("schemas", []),
    "table": ("tables", ["--type", "OFFLINE"]),
    "tenant": ("tenants", ["--role", "SERVER"]),
}
NAMES = st.one_of(
    st.text(max_size=30),
    st.sampled_from([".", "..", "...", "a/..", "%2e%2e", "a?b", "#", "\x00", "\u202e", "caf\u00e9"]),
    st.lists(st.sampled_from([".", "/", "%", "?", "#", "a", "\n", " ", "\\", ";"]), max_size=8).map("".join),
)


def run(argv: list[str], transport: httpx.BaseTransport, environ: dict[str, str]) -> tuple[int, str, str]:
    with tempfile.TemporaryDirectory() as directory:
        log = Path(directory) / "termination-log"
        code = main(
            [*argv, "--controller-url", URL, "--termination-log", str(log)],
            transport,
            sleep=lambda _: None,
            environ=environ,
        )
        return code, log.read_text() if log.exists() else "", directory


@fuzz_settings(300)
@given(kind=st.sampled_from(sorted(KINDS)), name=NAMES)
def test_a_name_is_refused_or_sent_as_exactly_one_segment(kind: str, name: str) -> None:
    collection, extra = KINDS[kind]
    paths: list[bytes] = []

    def pinot(request: httpx.Request) -> httpx.Response:
        paths.append(request.url.raw_path.partition(b"?")[0])
        return httpx.Response(404, json={"code": 404, "error": "absent"})

    code, line, _ = run(["delete", kind, f"--name={name}", *extra], httpx.MockTransport(pinot), {})
    outcome = Outcome.from_line(line)
    raw = name.removesuffix("_OFFLINE") if kind == "table" else name
    if name_problem("name", raw) is not None or not raw:
        assert (code, outcome.reason, paths) == (2, "InvalidInput", [])
        return
    assert outcome.reason == "AlreadyAbsent"
    for path in paths:
        prefix, _, segment = path.decode("ascii").rpartition("/")
        assert prefix == f"/{collection}"
        assert unquote(segment, errors="strict") == raw


SECRETS = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=16)
NOISE = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)


@fuzz_settings(300)
@given(
    password=SECRETS,
    before=NOISE,
    after=NOISE,
    spelling=st.sampled_from(["raw", "json", "html", "url", "header", "pair"]),
    shape=st.sampled_from(["error", "text", "status"]),
)
def test_an_echoed_secret_never_reaches_what_the_job_writes(
    password: str, before: str, after: str, spelling: str, shape: str
) -> None:
    username = "admin"
    pair = f"{username}:{password}"
    header = base64.b64encode(pair.encode()).decode()
    secret = {
        "raw": password,
        "json": json.dumps(password)[1:-1],
        "html": html.escape(password),
        "url": quote(password, safe=""),
        "header": f"Basic {header}",
        "pair": pair,
    }[spelling]
    echoed = before + secret + after

    def pinot(request: httpx.Request) -> httpx.Response:
        if shape == "error":
            return httpx.Response(500, json={"code": 500, "error": echoed})
        if shape == "status":
            return httpx.Response(200, json={"status": echoed})
        return httpx.Response(502, text=echoed)

    environ = {"PINOT_USERNAME": username, "PINOT_PASSWORD": password}
    code, line, _ = run(["delete", "schema", "--name", "events"], httpx.MockTransport(pinot), environ)
    outcome = Outcome.from_line(line)  # the line stays valid JSON, whatever the password is
    assert code in (0, 1)
    for leaked in (password, pair, header):
        # Checked in the texts the line carries (a password such as "0" or "Failed" also spells
        # part of the line's own JSON, which says nothing about it), unless the noise around the
        # echoed secret happens to spell it again.
        # The marker itself may spell a short password ("[", "d"): only the text around it counts.
        if leaked not in before + after:
            for text in (outcome.message, outcome.pinotName):
                # Between the markers (any character could be the password, "\0" too).
                assert all(leaked not in part for part in text.split(REDACTED)), (leaked, line)
