"""The server's bounds on connections, against a real uvicorn on loopback with raw sockets: slow
headers, idle connections, too many connections, oversized heads, stalled bodies, clients that do
not read their answer."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from datetime import datetime

import httpx
import pytest
from fastapi import FastAPI

from hooks import jsonio
from hooks.app import Route, create_app, default_routes
from hooks.contract import HookRequest
from hooks.decision import Decision
from hooks.server import ConnectionLimits
from tests.cluster.builders import NOW, parent, request_body
from tests.conftest import serve
from tests.support.sockets import read_until_closed

BOUNDS = ConnectionLimits(max_connections=6, header_timeout=0.5, max_header_bytes=4096, write_timeout=0.5)
BIG_ANSWER = 24 * 1024 * 1024


def huge(_: HookRequest, __: datetime) -> Decision:
    """An answer far larger than any socket buffer, to find out whether the client reads it."""
    return Decision({"status": {"padding": "x" * BIG_ANSWER}, "children": []}, "huge")


@pytest.fixture(scope="module")
def app() -> FastAPI:
    routes = [
        *default_routes(),
        Route("/sync/huge", "huge", HookRequest, huge),
    ]
    return create_app(clock=lambda: NOW, max_body_bytes=256 * 1024, routes=routes, body_timeout=0.5)


@pytest.fixture(scope="module")
def url(app: FastAPI) -> Iterator[str]:
    yield from serve(app, BOUNDS)


def connect(url: str, receive_buffer: int | None = None) -> socket.socket:
    host, port = url.removeprefix("http://").split(":")
    sock = socket.socket()
    if receive_buffer is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
    sock.connect((host, int(port)))
    sock.settimeout(10)
    return sock


def refused(app: FastAPI, reason: str) -> float:
    metrics = app.state.metrics.exposition().decode()
    for line in metrics.splitlines():
        if line.startswith(f'pinot_control_plane_connections_refused_total{{reason="{reason}"}}'):
            return float(line.split()[-1])
    return 0.0


def test_headers_sent_too_slowly_get_408_and_the_connection_closes(url: str, app: FastAPI) -> None:
    before = refused(app, "header_timeout")
    with connect(url) as sock:
        sock.sendall(b"POST /sync/pinotcluster HTTP/1.1\r\nHost: x\r\n")
        answer, waited = read_until_closed(sock)
    assert answer.startswith(b"HTTP/1.1 408 ")
    assert jsonio.loads(answer.partition(b"\r\n\r\n")[2]) == {
        "error": "request headers not received within 0.5 s"
    }
    assert 0.4 < waited < 3
    assert refused(app, "header_timeout") == before + 1


def test_trickled_headers_do_not_extend_the_deadline(url: str) -> None:
    with connect(url) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\n")
        started = time.monotonic()
        closed = False
        while time.monotonic() - started < 3:
            try:
                sock.sendall(b"X-Slow: 1\r\n")
            except OSError:
                closed = True
                break
            sock.settimeout(0.1)
            try:
                if sock.recv(65536) == b"":
                    closed = True
                    break
            except TimeoutError:
                pass
            except ConnectionResetError:
                # Closed with headers unread: the kernel answers the next segment with a reset.
                closed = True
                break
        assert closed
        assert time.monotonic() - started < 2


def test_a_connection_that_sends_nothing_is_closed_silently(url: str) -> None:
    with connect(url) as sock:
        answer, waited = read_until_closed(sock)
    assert answer == b""
    assert 0.4 < waited < 3


def test_at_the_connection_limit_the_oldest_idle_connection_makes_room(url: str, app: FastAPI) -> None:
    before = refused(app, "evicted")
    idle = [connect(url) for _ in range(BOUNDS.max_connections)]
    try:
        time.sleep(0.1)
        # A probe still gets through, within its timeout: the oldest was evicted (counted below),
        # where without eviction a new connection gets 503 (next test).
        assert httpx.get(f"{url}/healthz", timeout=1).text == "ok"
        oldest, _ = read_until_closed(idle[0])
        assert oldest == b""  # it had sent nothing: closed without an answer
        assert refused(app, "evicted") == before + 1
    finally:
        for sock in idle:
            sock.close()


def test_at_the_connection_limit_with_every_connection_busy_a_new_one_gets_503(
    url: str, app: FastAPI
) -> None:
    body = jsonio.dumps(request_body(parent()))
    request = (  # the whole head and half the body: a request in progress on each connection
        b"POST /sync/pinotcluster HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        + f"Content-Length: {len(body)}\r\n\r\n".encode()
        + body[: len(body) // 2]
    )
    busy = [connect(url) for _ in range(BOUNDS.max_connections)]
    try:
        for sock in busy:
            sock.sendall(request)
        time.sleep(0.2)
        with connect(url) as extra:
            answer, waited = read_until_closed(extra)
        assert answer.startswith(b"HTTP/1.1 503 ")
        assert b"retry-after: 1" in answer.lower()
        assert waited < 2  # at once (a head that timed out would have got 408 after 0.5 s)
    finally:
        for sock in busy:
            sock.close()


def test_an_oversized_head_gets_431(url: str) -> None:
    with connect(url) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        try:
            for _ in range(100):
                sock.sendall(b"X-Padding: " + b"p" * 1000 + b"\r\n")
                time.sleep(0.001)
        except OSError:
            pass
        answer, _ = read_until_closed(sock)
    assert answer.startswith(b"HTTP/1.1 431 ")


def test_a_body_that_stalls_gets_408_and_the_connection_closes(url: str) -> None:
    with connect(url) as sock:
        sock.sendall(
            b"POST /sync/pinotcluster HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b'Content-Length: 1000\r\n\r\n{"parent":'
        )
        answer, waited = read_until_closed(sock)
    assert answer.startswith(b"HTTP/1.1 408 ")
    assert b"request body not received within 0.5 s" in answer
    assert waited < 3


def test_an_early_answer_closes_instead_of_reading_the_rest(url: str) -> None:
    with connect(url) as sock:
        sock.sendall(
            b"POST /sync/pinotcluster HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999\r\n\r\n" + b"x" * 1000
        )
        answer, waited = read_until_closed(sock)
    assert answer.startswith(b"HTTP/1.1 413 ")
    assert waited < 2  # at once: the status, not the time, tells it from the body's deadline (408)


def test_a_client_that_does_not_read_its_answer_is_disconnected(url: str, app: FastAPI) -> None:
    before = refused(app, "write_timeout")
    body = jsonio.dumps(request_body(parent()))
    with connect(url, receive_buffer=4096) as sock:
        sock.sendall(
            b"POST /sync/huge HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            + f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body
        )
        deadline = time.monotonic() + 10
        while refused(app, "write_timeout") == before:
            assert time.monotonic() < deadline, "the server kept waiting for a client that does not read"
            time.sleep(0.1)
        with pytest.raises(OSError):
            received, _ = read_until_closed(sock)
            assert len(received) < BIG_ANSWER  # the answer was cut, not completed
            raise ConnectionResetError
    # The reservation of that call was returned: the budget is whole again.
    admission = app.state.admission
    assert (admission.available, admission.calls) == (admission.capacity, 0)


def test_keep_alive_requests_are_served_one_after_another(url: str) -> None:
    with httpx.Client() as client:
        for _ in range(3):
            response = client.post(f"{url}/sync/pinotcluster", json=request_body(parent()))
            assert response.status_code == 200
            time.sleep(0.1)
