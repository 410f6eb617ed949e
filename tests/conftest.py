"""Shared fixtures: a real uvicorn server on a loopback port serving the real app."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from datetime import datetime

import pytest
from fastapi import FastAPI

from hooks import server as http_server
from hooks.app import Route, create_app, default_routes
from hooks.contract import HookRequest
from hooks.decision import Decision
from tests.cluster.builders import NOW


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    def explode(_: HookRequest, __: datetime) -> Decision:
        raise RuntimeError("boom")

    routes = [Route("/sync/explode", "explode", HookRequest, explode)]
    yield from serve(
        create_app(clock=lambda: NOW, max_body_bytes=64 * 1024, routes=default_routes() + routes)
    )


def serve(
    app: FastAPI,
    bounds: http_server.ConnectionLimits = http_server.DEFAULT_LIMITS,
    log_level: str = "warning",
) -> Iterator[str]:
    """Run `app` on a free loopback port for the life of a fixture, configured as `serve` runs it
    (uvicorn with the bounded protocol, and refusals counted in the app's metrics)."""
    port = free_port()
    metrics = getattr(app.state, "metrics", None)
    refusal = metrics.refusal if metrics is not None else http_server.BoundedHttpToolsProtocol.on_refusal
    config = http_server.config(app, "127.0.0.1", port, bounds, refusal, log_level)
    instance = http_server.HookServer(config)
    thread = threading.Thread(target=instance.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not instance.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    instance.should_exit = True
    thread.join(timeout=10)
