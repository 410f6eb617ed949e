"""Shared fixtures: a real uvicorn server on a loopback port serving the real app."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
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


@dataclass
class Running:
    """A hook server on a loopback port, run by a thread of the test process."""

    server: http_server.HookServer
    thread: threading.Thread
    url: str

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        assert not self.thread.is_alive(), "uvicorn did not stop"


def start(
    app: FastAPI,
    bounds: http_server.ConnectionLimits = http_server.DEFAULT_LIMITS,
    log_level: str = "warning",
    probes: http_server.ProbeSettings | None = None,
) -> Running:
    """Run `app` on a free loopback port, configured as `serve` runs it (uvicorn with the bounded
    protocol, refusals counted in the app's metrics, and the probe listener when asked)."""
    port = free_port()
    metrics = getattr(app.state, "metrics", None)
    refusal = metrics.refusal if metrics is not None else http_server.BoundedHttpToolsProtocol.on_refusal
    config = http_server.config(app, "127.0.0.1", port, bounds, refusal, log_level)
    instance = http_server.HookServer(config, probes)
    thread = threading.Thread(target=instance.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not instance.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    return Running(instance, thread, f"http://127.0.0.1:{port}")


def serve(
    app: FastAPI,
    bounds: http_server.ConnectionLimits = http_server.DEFAULT_LIMITS,
    log_level: str = "warning",
) -> Iterator[str]:
    """`start` for the life of a fixture: its URL."""
    running = start(app, bounds, log_level)
    yield running.url
    running.stop()
