"""The `apply` and `delete` subcommands that the schema, table and tenant Jobs run.

    pinot-control-plane apply schema|table|tenant --file PATH --controller-url URL
        [--reload] [--force] [--termination-log PATH] [--timeout SECONDS] [--retries N]
    pinot-control-plane delete schema --name NAME --controller-url URL [common options]
    pinot-control-plane delete table --name RAW --type OFFLINE|REALTIME --controller-url URL [...]
    pinot-control-plane delete tenant --name NAME --role SERVER|BROKER --controller-url URL [...]
    pinot-control-plane membership tag|rebalance|drain|drop ... (see membership_command.py)

Credentials come only from the environment (`PINOT_USERNAME`, `PINOT_PASSWORD`, set by the Job from a
Secret), never from arguments (visible in the Pod spec and `ps`), the controller URL, or files. The outcome
is one JSON line (`outcome.py`) on stdout and in the termination log, so the owning hook can read Pinot's
words from the Pod's status. Everything the command writes (that line, and anything on stdout or stderr,
tracebacks included, which Kubernetes falls back to when there is no line) has the credentials redacted
(`redaction.py`). Exit status: 0 succeeded, 1 failed, 2 usage error or input refused before Pinot was
asked (`InvalidInput`: an unreadable document, a name that cannot be addressed, see `names.py`).

`main(argv, transport)` runs exactly what the console script runs, in-process, over any httpx
transport: the unit tests use an in-memory fake Pinot, a real-Pinot suite can pass None.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Final, TextIO
from urllib.parse import urlsplit

import httpx
import orjson

from hooks.pinotapi.client import DEFAULT_TIMEOUT, PinotController, RetryPolicy, UnsafePath
from hooks.pinotapi.membership_command import membership_outcome, register_membership
from hooks.pinotapi.outcome import Outcome
from hooks.pinotapi.redaction import Redactor
from hooks.pinotapi.schemas import apply_schema, delete_schema
from hooks.pinotapi.tables import TABLE_TYPES, apply_table, delete_table
from hooks.pinotapi.tenants import ROLES, apply_tenant, delete_tenant

__all__ = ["DEFAULT_TERMINATION_LOG", "main", "register", "run"]

DEFAULT_TERMINATION_LOG: Final = "/dev/termination-log"
USERNAME_VARIABLE: Final = "PINOT_USERNAME"
PASSWORD_VARIABLE: Final = "PINOT_PASSWORD"
KINDS: Final = ("schema", "table", "tenant")
MAX_DOCUMENT_BYTES: Final = 4 * 1024 * 1024


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `apply` and `delete` to the product's console script; both set `run` (this module's) as handler."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--controller-url", required=True, type=_url, help="e.g. http://pinot-controller:9000"
    )
    common.add_argument(
        "--termination-log",
        default=DEFAULT_TERMINATION_LOG,
        help="where the outcome line is also written (skipped when its directory does not exist)",
    )
    common.add_argument(
        "--timeout", type=_positive_float, default=DEFAULT_TIMEOUT, help="seconds per request"
    )
    common.add_argument(
        "--retries", type=_non_negative_int, default=RetryPolicy().retries, help="retries after a failure"
    )

    apply = subparsers.add_parser(
        "apply", parents=[common], help="create or update a Pinot schema, table or tenant from a JSON file"
    )
    apply.add_argument("kind", choices=KINDS)
    apply.add_argument("--file", required=True, type=Path, help="the Pinot JSON document")
    apply.add_argument("--reload", action="store_true", help="reload segments after a change")
    apply.add_argument("--force", action="store_true", help="let Pinot accept a backward-incompatible change")
    apply.set_defaults(run=run, pinot_action="apply")

    delete = subparsers.add_parser("delete", help="delete a Pinot schema, table half or tenant")
    kinds = delete.add_subparsers(dest="kind", required=True, metavar="{schema,table,tenant}")
    schema = kinds.add_parser("schema", parents=[common], help="DELETE /schemas/{name}")
    schema.add_argument("--name", required=True)
    table = kinds.add_parser("table", parents=[common], help="DELETE /tables/{raw}?type=")
    table.add_argument("--name", required=True, help="raw table name")
    table.add_argument("--type", required=True, type=str.upper, choices=TABLE_TYPES, dest="table_type")
    tenant = kinds.add_parser("tenant", parents=[common], help="DELETE /tenants/{name}?type=")
    tenant.add_argument("--name", required=True)
    tenant.add_argument("--role", required=True, type=str.upper, choices=ROLES)
    delete.set_defaults(run=run, pinot_action="delete")
    register_membership(subparsers, common, run)


def run(args: argparse.Namespace) -> int:
    """Execute parsed `apply`/`delete` arguments against the real network; returns the exit status."""
    return execute(args)


def main(
    argv: Sequence[str],
    transport: httpx.BaseTransport | None = None,
    *,
    sleep: Callable[[float], None] = time.sleep,
    environ: Mapping[str, str] | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> int:
    """Parse `argv` exactly as the console script does and run it over `transport` (None: the network)."""
    parser = argparse.ArgumentParser(prog="pinot-control-plane")
    register(parser.add_subparsers(dest="command", required=True))
    try:
        args = parser.parse_args(list(argv))
    except SystemExit as exit_:  # argparse has printed the usage error (or the help)
        return exit_.code if isinstance(exit_.code, int) else 2
    return execute(args, transport, sleep=sleep, environ=environ, clock=clock)


def execute(
    args: argparse.Namespace,
    transport: httpx.BaseTransport | None = None,
    *,
    sleep: Callable[[float], None] = time.sleep,
    environ: Mapping[str, str] | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> int:
    environ = os.environ if environ is None else environ
    username, password = environ.get(USERNAME_VARIABLE, ""), environ.get(PASSWORD_VARIABLE, "")
    redact = Redactor.for_basic_auth(username, password)
    stdout = sys.stdout
    with (
        contextlib.redirect_stdout(RedactingStream(sys.stdout, redact)),
        contextlib.redirect_stderr(RedactingStream(sys.stderr, redact)),
    ):
        try:
            outcome = _outcome(args, transport, sleep, username, password, clock)
        except Exception:
            # A bug of ours: no outcome line, so Kubernetes takes the (redacted) end of the log instead.
            traceback.print_exc()
            return 1
        # Its texts are redacted field by field: redacting the line as text would also replace a
        # short password where it spells part of the line's own JSON, and break it.
        report(outcome.redacted(redact), args.termination_log, stdout)
    return outcome.exit_code


class RedactingStream:
    """A text stream that writes through `redact` to the stream it wraps."""

    def __init__(self, stream: TextIO, redact: Callable[[str], str]) -> None:
        self._stream = stream
        self._redact = redact

    def write(self, text: str) -> int:
        self._stream.write(self._redact(text))
        return len(text)

    def flush(self) -> None:
        self._stream.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def report(outcome: Outcome, termination_log: str, stdout: TextIO | None = None) -> None:
    """The line to stdout, and to the termination log when its directory exists (it does in a Pod)."""
    line = outcome.to_line()
    print(line, file=stdout or sys.stdout, flush=True)
    path = Path(termination_log)
    if not path.parent.is_dir():
        return
    try:
        path.write_text(line, encoding="utf-8")
    except OSError as error:
        print(f"could not write the termination log {path}: {error}", file=sys.stderr)


def _outcome(
    args: argparse.Namespace,
    transport: httpx.BaseTransport | None,
    sleep: Callable[[float], None],
    username: str,
    password: str,
    clock: Callable[[], float],
) -> Outcome:
    if password and not username:
        return Outcome.failed(
            "InvalidInput", "", f"{PASSWORD_VARIABLE} is set but {USERNAME_VARIABLE} is not"
        )
    document: Any = None
    if args.pinot_action == "apply":
        document = _read_document(args.file)
        if isinstance(document, Outcome):
            return document
    with httpx.Client(transport=transport, timeout=httpx.Timeout(args.timeout)) as client:
        controller = PinotController(
            client,
            args.controller_url,
            auth=(username, password) if username else None,
            timeout=args.timeout,
            retry=RetryPolicy(retries=args.retries),
            sleep=sleep,
        )
        try:
            if args.pinot_action == "membership":
                return membership_outcome(args, controller, sleep, clock)
            return _dispatch(args, controller, document)
        except UnsafePath as refused:
            return Outcome.failed("InvalidInput", "", str(refused))


def _dispatch(args: argparse.Namespace, controller: PinotController, document: Any) -> Outcome:
    if args.pinot_action == "apply":
        if args.kind == "schema":
            return apply_schema(controller, document, reload=args.reload, force=args.force)
        if args.kind == "table":
            return apply_table(controller, document, reload=args.reload, force=args.force)
        return apply_tenant(controller, document)
    if args.kind == "schema":
        return delete_schema(controller, args.name)
    if args.kind == "table":
        return delete_table(controller, args.name, args.table_type)
    return delete_tenant(controller, args.name, args.role)


def _read_document(path: Path) -> Any:
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_DOCUMENT_BYTES + 1)
    except OSError as error:
        return Outcome.failed("InvalidInput", "", f"cannot read {path}: {error.strerror or error}")
    if len(data) > MAX_DOCUMENT_BYTES:
        return Outcome.failed("InvalidInput", "", f"{path} is larger than {MAX_DOCUMENT_BYTES} bytes")
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as error:
        return Outcome.failed("InvalidInput", "", f"{path} is not valid JSON: {error}")


def _url(text: str) -> str:
    parts = urlsplit(text)
    if "@" in parts.netloc:  # checked first: the URL is not repeated in the error
        raise argparse.ArgumentTypeError(
            f"credentials do not belong in the URL: set {USERNAME_VARIABLE} and {PASSWORD_VARIABLE}"
        )
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise argparse.ArgumentTypeError(f"not an http(s) URL: {text!r}")
    if parts.query or parts.fragment or "?" in text or "#" in text:
        raise argparse.ArgumentTypeError(f"the controller URL takes no query or fragment: {text!r}")
    return text


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds: {text!r}")
    return value


def _non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must not be negative: {text!r}")
    return value
