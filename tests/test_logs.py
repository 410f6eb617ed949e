"""The hook server's log: one JSON line per hook call, other records formatted as usual."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from collections.abc import Iterator

import httpx
import pytest

from hooks import jsonio, logs
from hooks.app import create_app
from tests.cluster.builders import NOW, parent, request_body


@pytest.fixture
def stream() -> Iterator[io.StringIO]:
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    out = io.StringIO()
    logs.configure("info", out)
    yield out
    root.handlers, root.level = saved[0], saved[1]


def test_a_hook_call_logs_one_json_line(stream: io.StringIO) -> None:
    async def call() -> int:
        transport = httpx.ASGITransport(app=create_app(clock=lambda: NOW))
        async with httpx.AsyncClient(transport=transport, base_url="http://hooks") as client:
            reply = await client.post("/sync/pinotcluster", content=jsonio.dumps(request_body(parent())))
            return reply.status_code

    assert asyncio.run(call()) == 200
    [line] = [line for line in stream.getvalue().splitlines() if line.startswith("{")]  # not httpx's
    logged = json.loads(line)
    assert set(logged) == {"hook", "parent", "generation", "decision", "status", "durationMs"}
    assert logged["hook"] == "sync-pinotcluster"
    assert (logged["parent"], logged["generation"], logged["status"]) == ("analytics/demo", 1, 200)


def test_records_with_arguments_or_a_traceback_are_formatted(stream: io.StringIO) -> None:
    log = logging.getLogger("pinot_control_plane.test")
    log.info("hook %s failed", "sync-x")
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        log.exception("with a traceback")

    text = stream.getvalue()
    assert text.startswith("hook sync-x failed\nwith a traceback\nTraceback (most recent call last):")
    assert "RuntimeError: boom" in text
