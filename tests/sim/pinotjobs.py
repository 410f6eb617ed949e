"""Running the product's Job CLI in-process as a simulated Job's container.

`cli_binding(transport)` binds every Job whose command is `pinot-control-plane` to
`hooks.pinotapi.command.main`, talking to Pinot over `transport` (the fake Pinot of
`tests.support.fake_pinot`, or None for a real one). The Pod's world is rebuilt in a temporary
directory: its ConfigMap and Secret volumes are written out at their mount paths, paths in the
arguments are pointed there, the environment is the container's (Secret references resolved), and
the termination message is what the command wrote to its termination message path. Output is kept
as the Pod's log (the fallback of `FallbackToLogsOnError`).
"""

from __future__ import annotations

import contextlib
import io
import tempfile
from pathlib import Path

import httpx

from hooks.pinotapi import command
from tests.sim.controllers import Invocation, JobBinding, RunResult

PROGRAM = "pinot-control-plane"


def run_cli(invocation: Invocation, transport: httpx.BaseTransport | None) -> RunResult:
    with tempfile.TemporaryDirectory(prefix="sim-pod-") as root:
        base = Path(root)

        def inside(path: str) -> Path:
            return base / path.lstrip("/")

        for path, content in invocation.files.items():
            inside(path).parent.mkdir(parents=True, exist_ok=True)
            inside(path).write_text(content, encoding="utf-8")
        termination = inside(invocation.termination_message_path)
        termination.parent.mkdir(parents=True, exist_ok=True)
        known = {*invocation.files, invocation.termination_message_path}
        argv = [str(inside(arg)) if arg in known else arg for arg in invocation.argv[1:]]
        logs = io.StringIO()
        waited = [0.0]  # the command's clock moves only when it sleeps: its waits end at once

        def sleep(seconds: float) -> None:
            waited[0] += seconds

        with contextlib.redirect_stdout(logs), contextlib.redirect_stderr(logs):
            code = command.main(argv, transport, sleep=sleep, environ=invocation.env, clock=lambda: waited[0])
        message = termination.read_text(encoding="utf-8") if termination.exists() else ""
        return RunResult(code, message, logs.getvalue())


def cli_binding(transport: httpx.BaseTransport | None) -> JobBinding:
    return JobBinding(
        matches=lambda argv: bool(argv) and argv[0] == PROGRAM,
        run=lambda invocation: run_cli(invocation, transport),
    )
