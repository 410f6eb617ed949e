"""The credentials a Job holds never reach what it writes, whatever an answer echoes back.

A fake Pinot (or a proxy in front of it) echoes the Authorization header and the password in the shapes
real ones do: Pinot's JSON error, a plain-text body, an HTML error page, a URL in a redirect notice, a
JSON document quoted verbatim. stdout, the termination log and stderr must carry none of them.
"""

from __future__ import annotations

import base64
import html
import json
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote, quote_plus

import httpx
import pytest

from hooks.pinotapi.command import main
from hooks.pinotapi.redaction import REDACTED, Redactor

URL = "http://pinot-controller:9000"
USERNAME = "admin"
PASSWORDS = ["s3cret-Pa55", 'p@ss "w0rd" \\ \u00e9/\u00fc+&<>?=', "admin-admin"]


def header(password: str) -> str:
    return base64.b64encode(f"{USERNAME}:{password}".encode()).decode()


def forbidden(password: str) -> list[str]:
    """Every spelling of a secret that must not appear in what the Job writes."""
    pair = f"{USERNAME}:{password}"
    value = header(password)
    urlsafe = base64.urlsafe_b64encode(pair.encode()).decode()
    secrets = [password, pair, value, value.rstrip("="), urlsafe, urlsafe.rstrip("=")]
    spellings = []
    for secret in secrets:
        spellings += [
            secret,
            json.dumps(secret)[1:-1],
            json.dumps(secret, ensure_ascii=False)[1:-1],
            html.escape(secret),
            quote(secret, safe=""),
            quote_plus(secret),
            quote(secret, safe="").lower(),
        ]
    return spellings


Echo = Callable[[httpx.Request, str], httpx.Response]


def pinot_error(request: httpx.Request, password: str) -> httpx.Response:
    auth = request.headers["Authorization"]
    return httpx.Response(
        500, json={"code": 500, "error": f"Invalid credentials {auth} (password {password})"}
    )


def plain_text(request: httpx.Request, password: str) -> httpx.Response:
    return httpx.Response(
        502, text=f"upstream refused; request headers: Authorization: {request.headers['Authorization']}"
    )


def html_page(request: httpx.Request, password: str) -> httpx.Response:
    body = (
        "<html><body><h1>403 Forbidden</h1><pre>"
        f"Authorization: {html.escape(request.headers['Authorization'])}\n"
        f"password={html.escape(password)}</pre></body></html>"
    )
    return httpx.Response(403, text=body, headers={"Content-Type": "text/html"})


def url_echo(request: httpx.Request, password: str) -> httpx.Response:
    pair = quote(f"{USERNAME}:{password}", safe="")
    return httpx.Response(
        400, text=f"see http://gateway/login?auth={quote(request.headers['Authorization'])}&pw={pair}"
    )


def json_verbatim(request: httpx.Request, password: str) -> httpx.Response:
    echoed = {"headers": {"authorization": request.headers["Authorization"]}, "password": password}
    return httpx.Response(500, text=json.dumps({"request": echoed}))  # no `error`: quoted as it came


def unicode_escaped(request: httpx.Request, password: str) -> httpx.Response:
    return httpx.Response(500, text=json.dumps({"note": f"bad password {password}"}, ensure_ascii=True))


def huge_answer(request: httpx.Request, password: str) -> httpx.Response:
    # The secret sits right where the verbatim text is cut: it must be gone before the cut.
    return httpx.Response(500, text="x" * 1985 + request.headers["Authorization"] + password * 3)


def ok_answer(request: httpx.Request, password: str) -> httpx.Response:
    if request.method == "GET":
        return httpx.Response(404, json={"code": 404, "error": "absent"})
    return httpx.Response(200, json={"status": f"Schema events added by {USERNAME}:{password}"})


ECHOES = [
    pinot_error,
    plain_text,
    html_page,
    url_echo,
    json_verbatim,
    unicode_escaped,
    huge_answer,
    ok_answer,
]


def run_job(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], transport: httpx.BaseTransport, password: str
) -> tuple[int, str, str, str]:
    document = tmp_path / "schema.json"
    document.write_text(json.dumps({"schemaName": "events", "dimensionFieldSpecs": []}))
    log = tmp_path / "termination-log"
    code = main(
        ["apply", "schema", "--file", str(document), "--controller-url", URL, "--termination-log", str(log)],
        transport,
        sleep=lambda _: None,
        environ={"PINOT_USERNAME": USERNAME, "PINOT_PASSWORD": password},
    )
    captured = capsys.readouterr()
    return code, captured.out, captured.err, log.read_text() if log.exists() else ""


@pytest.mark.parametrize("password", PASSWORDS, ids=["plain", "special", "contains-username"])
@pytest.mark.parametrize("echo", ECHOES, ids=lambda e: e.__name__)
def test_echoed_credentials_are_redacted_everywhere(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], echo: Echo, password: str
) -> None:
    transport = httpx.MockTransport(lambda request: echo(request, password))

    code, out, err, log = run_job(tmp_path, capsys, transport, password)

    assert log and out == log + "\n"
    written = out + err + log
    for spelling in forbidden(password):
        assert spelling not in written, (spelling, written)
    assert header(password)[:6] not in written  # not even a piece of it, cut off by shortening
    if echo is not huge_answer:  # there, the redacted secret lies beyond the cut
        assert REDACTED in json.loads(log)["message"]
    assert code in (0, 1)


def test_pinots_other_words_stay_readable(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    transport = httpx.MockTransport(lambda request: pinot_error(request, "s3cret-Pa55"))

    _, _, _, log = run_job(tmp_path, capsys, transport, "s3cret-Pa55")

    assert json.loads(log)["message"] == "Invalid credentials Basic [redacted] (password [redacted])"


def test_a_transport_error_quoting_the_header_is_redacted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError(f"proxy said no to {request.headers['Authorization']}", request=request)

    code, out, err, log = run_job(tmp_path, capsys, httpx.MockTransport(refuse), "s3cret-Pa55")

    assert json.loads(log)["reason"] == "Unreachable"
    assert header("s3cret-Pa55") not in out + err + log
    assert code == 1


def test_a_traceback_is_redacted_and_leaves_no_outcome_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def crash(request: httpx.Request) -> httpx.Response:
        raise RuntimeError(f"bug while sending {request.headers['Authorization']} and s3cret-Pa55")

    code, out, err, log = run_job(tmp_path, capsys, httpx.MockTransport(crash), "s3cret-Pa55")

    assert code == 1
    assert (out, log) == ("", "")
    assert "Traceback" in err and "RuntimeError: bug while sending Basic [redacted] and [redacted]" in err
    assert "s3cret-Pa55" not in err and header("s3cret-Pa55") not in err


def test_the_username_alone_is_not_redacted() -> None:
    redact = Redactor.for_basic_auth("admin", "pw-123")

    assert redact("user admin, pair admin:pw-123, pw-123") == "user admin, pair [redacted], [redacted]"


def test_redacting_twice_changes_nothing_even_for_a_password_the_marker_spells() -> None:
    for password in ("[", "d", "redacted", "x[redacted]y"):
        redact = Redactor.for_basic_auth("admin", password)
        once = redact(f"no: {password}!")
        assert once == f"no: {REDACTED}!"
        assert redact(once) == once


def test_without_credentials_nothing_is_redacted() -> None:
    assert Redactor.for_basic_auth("", "")("Basic Og== and anything") == "Basic Og== and anything"


def test_credentials_in_the_controller_url_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        ["delete", "schema", "--name", "events", "--controller-url", "http://admin:pw-123@pinot:9000"]
    )

    assert code == 2
    err = capsys.readouterr().err
    assert "credentials do not belong in the URL" in err and "pw-123" not in err
