"""The CLI the Jobs run, exercised in-process exactly as the console script parses it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from hooks.pinotapi.command import main
from hooks.pinotapi.outcome import TERMINATION_MESSAGE_LIMIT, Outcome
from tests.support.fake_pinot import FakePinot

from .documents import schema, table

URL = "http://pinot-controller:9000"


class Job:
    """One run of the CLI against a fake Pinot, with its termination log, stdout and waits."""

    def __init__(self, pinot: FakePinot, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        self.pinot = pinot
        self.tmp_path = tmp_path
        self.capsys = capsys
        self.log = tmp_path / "termination-log"
        self.sleeps: list[float] = []
        self.environ: dict[str, str] = {}

    def file(self, document: Any, name: str = "doc.json") -> str:
        path = self.tmp_path / name
        path.write_text(json.dumps(document))
        return str(path)

    def run(self, *argv: str, log: bool = True) -> int:
        extra = ["--termination-log", str(self.log)] if log else []
        return main(
            [*argv, "--controller-url", URL, *extra],
            self.pinot.transport(),
            sleep=self.sleeps.append,
            environ=self.environ,
        )

    @property
    def outcome(self) -> Outcome:
        return Outcome.from_line(self.log.read_text())


@pytest.fixture
def job(pinot: FakePinot, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Job:
    return Job(pinot, tmp_path, capsys)


def test_apply_writes_one_line_to_stdout_and_the_termination_log(job: Job) -> None:
    code = job.run("apply", "schema", "--file", job.file(schema()))

    stdout = job.capsys.readouterr().out
    assert code == 0
    assert stdout == job.log.read_text() + "\n"
    assert (job.outcome.result, job.outcome.reason, job.outcome.pinotName) == (
        "Succeeded",
        "Created",
        "events",
    )


@pytest.mark.parametrize(
    ("argv", "reason", "code"),
    [
        pytest.param(["apply", "schema"], "Unchanged", 0, id="apply schema"),
        pytest.param(["apply", "table"], "Created", 0, id="apply table"),
        pytest.param(
            ["delete", "table", "--name", "events", "--type", "REALTIME"], "AlreadyAbsent", 0, id="delete"
        ),
        pytest.param(["delete", "schema", "--name", "events"], "Deleted", 0, id="delete schema"),
    ],
)
def test_exit_status_zero_on_success(job: Job, argv: list[str], reason: str, code: int) -> None:
    job.run("apply", "schema", "--file", job.file(schema()))
    if argv[0] == "apply":
        argv = [*argv, "--file", job.file(table() if argv[1] == "table" else schema())]

    assert job.run(*argv) == code
    assert job.outcome.reason == reason


def test_exit_status_one_on_failure_with_pinots_words(job: Job) -> None:
    code = job.run("apply", "table", "--file", job.file(table()))

    assert code == 1
    assert job.outcome.reason == "SchemaNotFound"
    assert "Failed to find schema for table: events_OFFLINE" in job.outcome.message


@pytest.mark.parametrize(
    "argv",
    [
        pytest.param(["apply", "schema"], id="no --file"),
        pytest.param(["apply", "index", "--file", "x"], id="unknown kind"),
        pytest.param(["delete", "table", "--name", "events"], id="delete table without --type"),
        pytest.param(["delete", "tenant", "--name", "t"], id="delete tenant without --role"),
        pytest.param(["delete", "table", "--name", "events", "--type", "HYBRID"], id="bad type"),
        pytest.param(["apply", "schema", "--file", "x", "--password", "p"], id="credentials as arguments"),
        pytest.param(["apply", "schema", "--file", "x", "--timeout", "0"], id="zero timeout"),
        pytest.param(["apply", "schema", "--file", "x", "--retries", "-1"], id="negative retries"),
    ],
)
def test_exit_status_two_on_usage_errors(job: Job, argv: list[str]) -> None:
    assert job.run(*argv) == 2
    assert job.pinot.requests == []
    assert "usage:" in job.capsys.readouterr().err


def test_a_bad_controller_url_is_a_usage_error(job: Job) -> None:
    code = main(["apply", "schema", "--file", "x", "--controller-url", "pinot:9000"], job.pinot.transport())

    assert code == 2


@pytest.mark.parametrize(
    ("content", "message"),
    [(None, "cannot read"), ("{not json", "not valid JSON"), ("[]", "JSON object")],
    ids=["missing file", "not json", "not an object"],
)
def test_an_unreadable_document_is_invalid_input(job: Job, content: str | None, message: str) -> None:
    path = job.tmp_path / "doc.json"
    if content is not None:
        path.write_text(content)

    assert job.run("apply", "schema", "--file", str(path)) == 2
    assert (job.outcome.reason, message in job.outcome.message) == ("InvalidInput", True)
    assert job.pinot.requests == []


def test_credentials_come_from_the_environment(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    job = Job(FakePinot(users={"admin": "s3cret"}), tmp_path, capsys)
    job.environ = {"PINOT_USERNAME": "admin", "PINOT_PASSWORD": "s3cret"}

    assert job.run("apply", "schema", "--file", job.file(schema())) == 0
    assert {r.headers["Authorization"] for r in job.pinot.requests} == {"Basic YWRtaW46czNjcmV0"}


@pytest.mark.parametrize(
    ("environ", "status"),
    [
        ({}, 401),
        ({"PINOT_USERNAME": "admin", "PINOT_PASSWORD": "wrong"}, 401),
        ({"PINOT_USERNAME": "viewer", "PINOT_PASSWORD": "v"}, 403),
    ],
    ids=["no credentials", "wrong password", "read-only user"],
)
def test_refused_credentials_are_unauthorized(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], environ: dict[str, str], status: int
) -> None:
    job = Job(FakePinot(users={"admin": "s3cret"}, read_only_users={"viewer": "v"}), tmp_path, capsys)
    job.environ = environ

    assert job.run("apply", "schema", "--file", job.file(schema())) == 1
    assert (job.outcome.reason, job.outcome.httpStatus) == ("Unauthorized", status)
    assert job.pinot.schemas == {}


def test_a_password_without_a_username_is_invalid(job: Job) -> None:
    job.environ = {"PINOT_PASSWORD": "s3cret"}

    assert job.run("apply", "schema", "--file", job.file(schema())) == 2
    assert job.outcome.reason == "InvalidInput"
    assert job.pinot.requests == []


def test_timeout_and_retries_options_reach_every_request(job: Job) -> None:
    job.pinot.fail_next(2, status=503)

    code = job.run("apply", "schema", "--file", job.file(schema()), "--timeout", "2.5", "--retries", "2")

    assert code == 0
    assert job.sleeps == [0.5, 1.0]
    assert {r.extensions["timeout"]["read"] for r in job.pinot.requests} == {2.5}
    assert {r.extensions["timeout"]["connect"] for r in job.pinot.requests} == {2.5}


def test_retries_are_bounded_by_the_option(job: Job) -> None:
    job.pinot.drop_next(100, error=httpx.ConnectError)

    assert job.run("apply", "schema", "--file", job.file(schema()), "--retries", "1") == 1
    assert job.outcome.reason == "Unreachable"
    assert len(job.pinot.requests) == 2


def test_a_huge_pinot_message_still_gives_a_valid_termination_log(job: Job) -> None:
    def huge(request: httpx.Request) -> httpx.Response:
        return httpx.Response(500, json={"code": 500, "error": "Exception: " + '\u00e9"{}\n' * 100_000})

    code = main(
        ["delete", "schema", "--name", "events", "--controller-url", URL, "--termination-log", str(job.log)],
        httpx.MockTransport(huge),
        sleep=job.sleeps.append,
    )

    raw = job.log.read_bytes()
    assert code == 1
    assert len(raw) <= TERMINATION_MESSAGE_LIMIT
    assert b"\n" not in raw
    parsed = json.loads(raw)
    assert parsed["reason"] == "PinotError"
    assert parsed["message"].startswith('Exception: \u00e9"{}\n')


def test_without_a_termination_log_directory_the_line_goes_to_stdout_only(job: Job) -> None:
    log = job.tmp_path / "missing-dir" / "termination-log"

    code = main(
        [
            "apply",
            "schema",
            "--file",
            job.file(schema()),
            "--controller-url",
            URL,
            "--termination-log",
            str(log),
        ],
        job.pinot.transport(),
    )

    assert code == 0
    assert not log.parent.exists()
    assert Outcome.from_line(job.capsys.readouterr().out).reason == "Created"


@pytest.mark.parametrize("role", ["server", "BROKER"])
def test_delete_tenant_takes_the_role_in_any_case(job: Job, role: str) -> None:
    assert job.run("delete", "tenant", "--name", "DefaultTenant", "--role", role) == 0
    assert job.outcome.reason == "Deleted"
    assert job.pinot.calls("DELETE")[0].url.params["type"] == role.upper()


def test_apply_reload_and_force_reach_pinot(job: Job) -> None:
    job.run("apply", "schema", "--file", job.file(schema()))
    job.run("apply", "table", "--file", job.file(table()))

    code = job.run("apply", "schema", "--file", job.file(schema("events", "country")), "--reload", "--force")

    assert code == 0
    put = job.pinot.calls("PUT", "/schemas/events")[0]
    assert (put.url.params["reload"], put.url.params["force"]) == ("true", "true")
    assert job.pinot.reloads == ["events_OFFLINE"]


def test_the_console_script_dispatches_to_these_commands() -> None:
    from hooks import cli
    from hooks.pinotapi import command

    args = cli.build_parser().parse_args(
        ["delete", "table", "--name", "events", "--type", "offline", "--controller-url", URL]
    )

    assert args.run is command.run
    assert (args.kind, args.name, args.table_type) == ("table", "events", "OFFLINE")
