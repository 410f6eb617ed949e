"""The kubelet's probes on a port of their own (`hooks.probes`): answered within milliseconds while
the event loop computes, failing once the loop is wedged, bounded against clients that are not the
kubelet, and gone with the server. Real uvicorn servers on loopback, probed over real sockets."""

from __future__ import annotations

import asyncio
import contextlib
import http.client
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import httpx
import orjson
import pytest

from hooks import probes
from hooks.app import Route, create_app, default_routes
from hooks.contract import HookRequest
from hooks.decision import Decision
from hooks.server import HookServer, ProbeSettings, config
from tests.cluster.builders import NOW, parent, request_body
from tests.conftest import free_port, start
from tests.support.sockets import read_until_closed

ROOT = Path(__file__).resolve().parents[1]
STALL_TIMEOUT = 0.3
WEDGE_SECONDS = 2.5  # outlasts the probes below by more than the kubelet's timeout
KUBELET_TIMEOUT = 1.0  # timeoutSeconds of both probes in metacontroller/deployment.yaml and the chart


def wedge(_: HookRequest, __: datetime) -> Decision:
    """A hook that keeps the event loop from running anything else for WEDGE_SECONDS."""
    time.sleep(WEDGE_SECONDS)
    return Decision({"status": {}, "children": []}, "wedged")


@dataclass
class Probed:
    running: Probed
    probe_port: int

    @property
    def url(self) -> str:
        return self.running.url

    def stop(self) -> None:
        self.running.stop()


def start_probed(stall_timeout: float = STALL_TIMEOUT) -> Probed:
    """The app with a wedging hook, served as `serve` serves it, probes included, in a thread."""
    routes = [*default_routes(), Route("/sync/wedge", "wedge", HookRequest, wedge)]
    probe_port = free_port()
    settings = ProbeSettings(port=probe_port, stall_timeout=stall_timeout)
    return Probed(start(create_app(clock=lambda: NOW, routes=routes), probes=settings), probe_port)


@pytest.fixture(scope="module")
def running() -> Iterator[Probed]:
    instance = start_probed()
    yield instance
    instance.stop()


def probe(port: int, path: str = "/healthz") -> tuple[int, bytes, float]:
    """One kubelet-like probe (a new connection, GET, the deployed 1 s timeout): status, body, seconds."""
    started = time.perf_counter()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=KUBELET_TIMEOUT)
    try:
        connection.request("GET", path, headers={"User-Agent": "kube-probe/1.31", "Connection": "close"})
        answer = connection.getresponse()
        return answer.status, answer.read(), time.perf_counter() - started
    finally:
        connection.close()


def connect(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port))
    sock.settimeout(10)
    return sock


# Answers ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_the_probe_port_answers_as_the_loop_does(running: Probed, path: str) -> None:
    status, body, _ = probe(running.probe_port, path)
    loop = httpx.get(f"{running.url}{path}")
    assert (status, body) == (loop.status_code, loop.content) == (200, b"ok")


def test_the_probe_port_answers_its_two_paths_only_and_closes_each_connection(running: Probed) -> None:
    for request, status in (
        (b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", 404),
        (b"POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n", 405),
        (b"GET /healthz?verbose=1 HTTP/1.1\r\nHost: x\r\n\r\n", 200),
        (b"nonsense\r\n\r\n", 400),
    ):
        with connect(running.probe_port) as sock:
            sock.sendall(request)
            answer, _ = read_until_closed(sock)  # closed after one answer
        head, _, body = answer.partition(b"\r\n\r\n")
        assert head.startswith(f"HTTP/1.1 {status} ".encode()), answer
        assert b"connection: close" in head
        if status != 200:
            assert "error" in orjson.loads(body)


# The event loop busy or wedged --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spin_seconds", "clients", "requests"),
    [
        pytest.param(1.0, 1, 3, id="one-long-computation-at-a-time"),
        # A probe answered by the loop waits behind every computation queued before it.
        pytest.param(0.02, 16, 10, id="many-short-computations-queued"),
    ],
)
def test_probes_are_answered_within_milliseconds_while_the_loop_computes(
    spin_seconds: float, clients: int, requests: int
) -> None:
    port, probe_port = free_port(), free_port()
    server = subprocess.Popen(  # as deployed: a process of its own, probed from another one
        [sys.executable, "-m", "tests.support.spin_server", str(port), str(probe_port), str(spin_seconds)],
        cwd=ROOT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(probe_port)
        spinning = subprocess.Popen(
            [sys.executable, "-c", SPIN_CLIENTS, url, str(clients), str(requests)], cwd=ROOT
        )
        time.sleep(0.3)  # the loop is computing now
        latencies = []
        while spinning.poll() is None:
            status, body, seconds = probe(probe_port)
            assert (status, body) == (200, b"ok")
            latencies.append(seconds)
            time.sleep(0.02)
        assert spinning.returncode == 0
    finally:
        server.terminate()
        server.wait(timeout=10)
    assert len(latencies) > 20
    # The loop hands the interpreter over within the switch interval: a probe takes a few
    # milliseconds. One the loop answered waits behind the computations queued before it: measured
    # here, one probe in five over 0.1 s and some past the kubelet's timeout (`probe` gives up after
    # it, failing the test). The bound leaves room for a busy machine: make test runs this niced
    # beside Pinot, where the scheduler alone has held a single probe 0.74 s.
    latencies.sort()
    assert latencies[len(latencies) * 9 // 10] < 0.1, latencies


SPIN_CLIENTS = """
import sys, httpx
from concurrent.futures import ThreadPoolExecutor
from tests.cluster.builders import parent, request_body
url, clients, requests = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
def client(_):
    with httpx.Client(timeout=30) as session:
        for _ in range(requests):
            assert session.post(url + "/sync/spin", json=request_body(parent())).status_code == 200
with ThreadPoolExecutor(clients) as pool:
    list(pool.map(client, range(clients)))
"""


def wait_until_up(probe_port: int) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            if probe(probe_port)[0] == 200:
                return
        except OSError:
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.05)


def test_liveness_and_readiness_fail_while_the_loop_is_wedged_and_recover_after(running: Probed) -> None:
    wedging = threading.Thread(
        target=lambda: httpx.post(f"{running.url}/sync/wedge", json=request_body(parent()), timeout=10)
    )
    wedging.start()
    time.sleep(STALL_TIMEOUT + 0.3)  # the loop beat last before the wedging hook began
    try:
        for path in ("/healthz", "/readyz"):
            status, body, _ = probe(running.probe_port, path)
            assert status == 503
            message = orjson.loads(body)["error"]
            assert message.startswith("the event loop has not run for ")
            assert f"(more than {STALL_TIMEOUT:g} s)" in message
            # Not held up by the wedged loop: one that waited for it would pass the kubelet's
            # timeout, where `probe` gives up. No tighter bound: on a busy machine the scheduler
            # alone has held a probe 0.74 s.
    finally:
        wedging.join()
    deadline = time.monotonic() + 2
    while probe(running.probe_port)[0] != 200:
        assert time.monotonic() < deadline, "liveness did not recover once the loop ran again"
        time.sleep(0.02)


def test_the_heartbeat_beats_while_the_loop_turns() -> None:
    async def silences() -> list[float]:
        heartbeat = probes.Heartbeat(interval=0.05)
        heartbeat.start(asyncio.get_running_loop())
        seen = []
        for _ in range(6):
            await asyncio.sleep(0.07)
            seen.append(heartbeat.silence())
        heartbeat.stop()
        return seen

    # Without beats the silence would reach 0.42 s; the slack is for a busy machine.
    assert max(asyncio.run(silences())) < 0.05 + 0.2


# Clients that are not the kubelet ---------------------------------------------------------------


def test_silent_and_slow_clients_do_not_hold_up_the_next_probe(running: Probed) -> None:
    silent = [connect(running.probe_port) for _ in range(probes.PROBE_CONNECTIONS - 2)]
    trickling = connect(running.probe_port)
    trickling.sendall(b"GET /healthz HTTP/1.1\r\n")
    try:
        time.sleep(0.1)
        trickling.sendall(b"X-Slow: 1\r\n")  # well before its deadline: read, not left unread
        status, _, seconds = probe(running.probe_port)
        assert status == 200
        assert seconds < probes.READ_TIMEOUT / 2  # not behind the connections that hold on
        answer, waited = read_until_closed(silent[0])
        assert answer == b""  # it sent nothing: closed without an answer
        assert waited < probes.READ_TIMEOUT + 0.5
        answer, waited = read_until_closed(trickling)
        assert answer.startswith(b"HTTP/1.1 408 ")  # a request begun but not finished in time
        assert waited < probes.READ_TIMEOUT
    finally:
        for sock in [*silent, trickling]:
            sock.close()


def test_beyond_the_connection_bound_the_oldest_connection_makes_room(running: Probed) -> None:
    held = [connect(running.probe_port) for _ in range(probes.PROBE_CONNECTIONS)]
    try:
        time.sleep(0.05)
        started = time.monotonic()
        assert probe(running.probe_port)[:2] == (200, b"ok")
        assert time.monotonic() - started < probes.READ_TIMEOUT / 2
        answer, waited = read_until_closed(held[0])
        assert (answer, waited < probes.READ_TIMEOUT / 2) == (b"", True)  # before its deadline
    finally:
        for sock in held:
            sock.close()


def test_an_oversized_request_head_gets_431(running: Probed) -> None:
    with connect(running.probe_port) as sock:
        with contextlib.suppress(OSError):
            sock.sendall(b"GET /healthz HTTP/1.1\r\nX-Padding: " + b"p" * probes.MAX_PROBE_REQUEST_BYTES)
        answer, _ = read_until_closed(sock)
    assert answer.startswith(b"HTTP/1.1 431 ")


# Lifetime -----------------------------------------------------------------------------------------


def test_the_probe_listener_stops_with_the_server() -> None:
    def listeners() -> int:
        return sum(thread.name == "probes" for thread in threading.enumerate())

    before, switch_interval = listeners(), sys.getswitchinterval()
    instance = start_probed()
    assert probe(instance.probe_port)[0] == 200
    assert listeners() == before + 1
    assert sys.getswitchinterval() == min(probes.SWITCH_INTERVAL, switch_interval)
    instance.stop()
    assert (listeners(), sys.getswitchinterval()) == (before, switch_interval)
    with pytest.raises(ConnectionRefusedError):
        probe(instance.probe_port)


def test_a_probe_port_in_use_stops_the_server_before_it_serves() -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = free_port()
        server = HookServer(
            config(create_app(), "127.0.0.1", port), ProbeSettings(port=taken.getsockname()[1])
        )
        with pytest.raises(SystemExit) as exited:
            asyncio.run(server.serve())
    assert exited.value.code == HookServer.STARTUP_FAILURE
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=1)
