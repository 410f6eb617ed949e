"""The hooks' CPU-bound work runs on one worker thread, so probes are answered while it computes."""

from __future__ import annotations

import asyncio
import http.client
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

import httpx
import pytest

from hooks import worker
from hooks.app import Route, create_app, default_routes
from hooks.contract import HookRequest
from hooks.decision import Decision
from tests.cluster.builders import NOW, parent, request_body
from tests.conftest import free_port, serve
from tests.support.spin_server import spin

ROOT = Path(__file__).resolve().parents[1]

THREADS: list[int] = []
SPIN_SECONDS = 1.0


def record(_: HookRequest, __: datetime) -> Decision:
    THREADS.append(threading.get_ident())
    return Decision({"status": {}, "children": []}, "recorded")


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    routes = [
        *default_routes(),
        Route("/sync/record", "record", HookRequest, record),
    ]
    yield from serve(create_app(clock=lambda: NOW, routes=routes))


def test_every_hook_call_runs_on_the_one_worker_thread(url: str) -> None:
    THREADS.clear()
    with ThreadPoolExecutor(8) as pool:
        statuses = list(
            pool.map(
                lambda _: httpx.post(f"{url}/sync/record", json=request_body(parent())).status_code, range(16)
            )
        )
    assert statuses == [200] * 16
    assert set(THREADS) == {worker.thread().ident}
    assert worker.thread() is not threading.main_thread()


def test_an_answer_is_picked_up_at_once_though_the_worker_has_more_to_compute() -> None:
    """Every request pays the hand-over, and a change request is computed in half a millisecond:
    the loop must take the answer over well within the switch interval (5 ms), not only when the
    worker, already busy with the next computation, is made to give up the interpreter."""

    async def scenario() -> list[float]:
        delays = []
        for _ in range(30):
            answered = asyncio.ensure_future(worker.run(computed_at, 0.002))
            queued = asyncio.ensure_future(worker.run(spin, 0.02))  # the worker's next computation
            delays.append(time.perf_counter() - await answered)
            await queued
        return delays

    delays = sorted(asyncio.run(scenario()))
    assert delays[len(delays) // 2] < sys.getswitchinterval() / 5, delays


def computed_at(seconds: float) -> float:
    """Compute for `seconds`; when it was done."""
    spin(seconds)
    return time.perf_counter()


@pytest.mark.parametrize(
    ("spin_seconds", "clients", "requests"),
    [
        pytest.param(SPIN_SECONDS, 1, 3, id="one-long-computation-at-a-time"),
        # Small requests too: computed on the loop, each of them blocked it, and a probe needs
        # several turns of the loop (accept, read, answer), each behind another computation.
        pytest.param(0.02, 16, 10, id="many-short-computations-queued"),
    ],
)
def test_probes_are_answered_while_the_hook_computes(
    spin_seconds: float, clients: int, requests: int
) -> None:
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "tests.support.spin_server", str(port), str(spin_seconds)], cwd=ROOT
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(url)
        spinning = subprocess.Popen(  # the hook's clients, in a process of their own too
            [sys.executable, "-c", SPIN_CLIENTS, url, str(clients), str(requests)], cwd=ROOT
        )
        time.sleep(0.3)  # the worker is busy now
        latencies = []
        while spinning.poll() is None:
            latencies.append(probe(port))
            time.sleep(0.02)
        assert spinning.returncode == 0
    finally:
        server.terminate()
        server.wait(timeout=10)
    assert len(latencies) > 20
    # Computed on the loop, a probe waited for the whole second of a hook's spinning, or for many
    # short computations. Here the median probe takes a few milliseconds; the worst one is left
    # room for a busy machine.
    assert sorted(latencies)[len(latencies) // 2] < 0.05, sorted(latencies)
    assert max(latencies) < 0.5, sorted(latencies)


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


def probe(port: int) -> float:
    """Seconds for one kubelet-like probe: a new connection, GET /healthz, 1 s timeout."""
    started = time.perf_counter()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
    connection.request("GET", "/healthz")
    assert connection.getresponse().read() == b"ok"
    connection.close()
    return time.perf_counter() - started


def wait_until_up(url: str) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.05)
