"""The hook server's log: every line one JSON object with time, level and message, whoever logs it."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import signal
import subprocess
import sys
import threading
import time
import warnings
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from hooks import jsonio, logs
from hooks.app import Route, create_app
from hooks.contract import HookRequest
from hooks.decision import Decision
from tests.cluster.builders import NOW, parent, request_body
from tests.conftest import free_port, serve

ROOT = Path(__file__).resolve().parents[1]


def lines(text: str) -> list[dict[str, Any]]:
    """Every line parsed; fails on any line that is not a JSON object with time, level and message."""
    parsed = []
    for line in text.splitlines():
        entry = json.loads(line)
        assert isinstance(entry, dict), line
        assert {"time", "level", "message"} <= set(entry), line
        assert datetime.fromisoformat(entry["time"].replace("Z", "+00:00")).tzinfo is not None
        parsed.append(entry)
    return parsed


@pytest.fixture
def stream() -> Iterator[io.StringIO]:
    root = logging.getLogger()
    saved = (root.handlers[:], root.level, sys.excepthook, threading.excepthook)
    out = io.StringIO()
    logs.configure("info", out)
    yield out
    root.handlers, root.level = saved[0], saved[1]
    sys.excepthook, threading.excepthook = saved[2], saved[3]
    logging.captureWarnings(False)


def test_a_hook_call_logs_one_json_line(stream: io.StringIO) -> None:
    async def call() -> int:
        transport = httpx.ASGITransport(app=create_app(clock=lambda: NOW))
        async with httpx.AsyncClient(transport=transport, base_url="http://hooks") as client:
            reply = await client.post("/sync/pinotcluster", content=jsonio.dumps(request_body(parent())))
            return reply.status_code

    assert asyncio.run(call()) == 200
    [logged] = [entry for entry in lines(stream.getvalue()) if entry["message"] == "hook call"]
    assert list(logged)[:3] == ["time", "level", "message"]
    assert set(logged) == {
        "time",
        "level",
        "message",
        "hook",
        "parent",
        "generation",
        "decision",
        "status",
        "durationMs",
    }
    assert (logged["level"], logged["hook"]) == ("info", "sync-pinotcluster")
    assert (logged["parent"], logged["generation"], logged["status"]) == ("analytics/demo", 1, 200)


def test_records_with_arguments_or_a_traceback_are_json(stream: io.StringIO) -> None:
    log = logging.getLogger("pinot_control_plane.test")
    log.info("hook %s failed", "sync-x")
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        log.exception("with a traceback")

    first, second = lines(stream.getvalue())
    assert (first["message"], first["level"], first["logger"]) == (
        "hook sync-x failed",
        "info",
        "pinot_control_plane.test",
    )
    assert (second["message"], second["level"]) == ("with a traceback", "error")
    assert second["exception"].startswith("Traceback (most recent call last):")
    assert second["exception"].endswith("RuntimeError: boom")


def test_warnings_and_uncaught_exceptions_in_threads_are_json(stream: io.StringIO) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("always")  # the suite turns warnings into errors
        warnings.warn("careful", UserWarning, stacklevel=1)

    def fail() -> None:
        raise ValueError("lost in a thread")

    worker = threading.Thread(target=fail, name="doomed")
    worker.start()
    worker.join()
    sys.excepthook(*_raised(KeyError("nobody caught me")))

    warned, in_thread, uncaught = lines(stream.getvalue())
    assert warned["level"] == "warning" and "careful" in warned["message"]
    assert in_thread["message"] == "uncaught exception in thread doomed"
    assert in_thread["exception"].endswith("ValueError: lost in a thread")
    assert (uncaught["level"], uncaught["message"]) == ("critical", "uncaught exception")
    assert "KeyError: 'nobody caught me'" in uncaught["exception"]


def _raised(error: BaseException) -> tuple[type[BaseException], BaseException, Any]:
    try:
        raise error
    except BaseException as caught:
        return type(caught), caught, caught.__traceback__


def test_uvicorns_lines_and_a_hooks_traceback_are_json_under_a_real_uvicorn(stream: io.StringIO) -> None:
    def explode(_: HookRequest, __: datetime) -> Decision:
        raise RuntimeError("boom")

    app = create_app(routes=[Route("/sync/explode", "explode", HookRequest, explode)])
    for url in serve(app, log_level="info"):
        assert httpx.post(f"{url}/sync/explode", json=request_body(parent())).status_code == 500

    found = lines(stream.getvalue())
    messages = [entry["message"] for entry in found]
    assert any(m.startswith("Uvicorn running on http://127.0.0.1:") for m in messages)
    assert "Application startup complete." in messages
    assert "Shutting down" in messages
    [failed] = [entry for entry in found if entry["message"] == "hook explode failed"]
    assert failed["exception"].endswith("RuntimeError: boom")


def test_the_served_process_logs_only_json() -> None:
    port, probe_port = free_port(), free_port()
    process = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/pinot-control-plane"),
            *("serve", "--port", str(port), "--probe-port", str(probe_port)),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.05)
        httpx.post(f"http://127.0.0.1:{port}/sync/pinotcluster", json=request_body(parent()))
        httpx.get(f"http://127.0.0.1:{port}/no-such-page")
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=20)

    assert out == ""
    found = lines(err)
    messages = [entry["message"] for entry in found]
    assert any(m.startswith("Started server process") for m in messages)
    assert "hook call" in messages
    assert any(m.startswith("Finished server process") for m in messages)
