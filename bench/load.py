"""The load test: hostile and heavy clients against the hook server, with a kubelet-like prober.

    python -m bench.load SCENARIO --url URL --body FILE [--seconds N]   (the generator, one process)

Scenarios (what the hook server must survive, each with its own targets in `bench.report`):

- `saturated`: 200 connections each sending distinct 1 MB sync requests back to back, so the
  hook computes all the time (nothing is answered from a cache);
- `busy`: the same with the changes of a 12-pool cluster as they come (200 KiB), many short
  computations instead of fewer long ones;
- `slowloris`: 200 connections sending one header line a second, never finishing their headers;
- `stalled`: 30 connections each sending 15 MiB of a body, then stalling before its last byte;
- `large`: 30 connections each sending a whole 15 MiB sync request at once.

Meanwhile `Prober` asks `/healthz` on the probe port (`serve --probe-port`, where the Deployment's
probes go) every 50 ms on a new connection with a 1 s timeout, as the kubelet does, from another
process than the generator, so that the generator's own work does not delay it; a second one asks
the event loop's own `/healthz` on the hook port the same way, for comparison. The generator prints
one JSON line: what the server answered and when it closed.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import itertools
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from bench.workloads import VARY_MARKER

MIB = 1024 * 1024
SCENARIOS = ("saturated", "busy", "slowloris", "stalled", "large")
CONNECTIONS = {"saturated": 200, "busy": 200, "slowloris": 200, "stalled": 30, "large": 30}
STALLED_BYTES = 15 * MIB
PROBE_INTERVAL = 0.05
PROBE_TIMEOUT = 1.0


# The generator ----------------------------------------------------------------------------------


def _head(path: str, length: int) -> bytes:
    return (
        f"POST {path} HTTP/1.1\r\nHost: hooks\r\nContent-Type: application/json\r\n"
        f"Content-Length: {length}\r\n\r\n"
    ).encode()


async def _answer(reader: asyncio.StreamReader) -> int:
    """Read one answer; its status."""
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    await reader.readexactly(length)
    return status


class Tally:
    def __init__(self) -> None:
        self.statuses: Counter[str] = Counter()
        self.closed_after: list[float] = []
        self.started = time.monotonic()

    def closed(self) -> None:
        self.closed_after.append(time.monotonic() - self.started)

    def result(self, connections: int) -> dict[str, Any]:
        closed = sorted(self.closed_after)
        return {
            "connections": connections,
            "statuses": dict(sorted(self.statuses.items())),
            "closed": len(closed),
            "lastClosedAfter": round(closed[-1], 2) if closed else None,
        }


async def _exchange(
    url: tuple[str, int], path: str, bodies: Iterator[bytes], tally: Tally, more: Callable[[], bool]
) -> None:
    """Send `bodies` one after another on one connection while `more()`, counting the answers."""
    reader, writer = await asyncio.open_connection(*url)
    try:
        for body in bodies:
            writer.write(_head(path, len(body)) + body)
            await writer.drain()
            tally.statuses[str(await _answer(reader))] += 1
            if not more():
                break
    except (OSError, asyncio.IncompleteReadError):
        tally.statuses["disconnected"] += 1
    finally:
        writer.close()


def _varied(template: bytes, numbers: Iterator[int]) -> Iterator[bytes]:
    for number in numbers:
        yield template.replace(VARY_MARKER.encode(), str(number).encode(), 1)


async def saturated(
    url: tuple[str, int], path: str, template: bytes, seconds: float, clients: int
) -> dict[str, Any]:
    tally = Tally()
    deadline = time.monotonic() + seconds
    numbers = itertools.count()

    def more() -> bool:
        return time.monotonic() < deadline

    await asyncio.gather(
        *(_exchange(url, path, _varied(template, numbers), tally, more) for _ in range(clients))
    )
    return tally.result(clients)


async def _until_closed(reader: asyncio.StreamReader, tally: Tally, limit: float) -> None:
    try:
        async with asyncio.timeout(limit):
            head = await reader.read(65536)
            if head.startswith(b"HTTP/1.1 "):
                tally.statuses[head.split(b" ", 2)[1].decode()] += 1
            while await reader.read(65536):
                pass
        tally.closed()
    except TimeoutError:
        tally.statuses["still open"] += 1
    except OSError:
        tally.closed()


async def slowloris(url: tuple[str, int], path: str, seconds: float) -> dict[str, Any]:
    tally = Tally()
    opened = []
    for _ in range(CONNECTIONS["slowloris"]):
        try:
            reader, writer = await asyncio.open_connection(*url)
        except OSError:
            tally.statuses["refused"] += 1
            continue
        writer.write(f"POST {path} HTTP/1.1\r\nHost: hooks\r\n".encode())
        opened.append((reader, writer))

    async def trickle() -> None:
        while True:
            await asyncio.sleep(1)
            for _, writer in opened:
                if not writer.is_closing():
                    writer.write(b"X-Slow: 1\r\n")

    trickling = asyncio.create_task(trickle())
    await asyncio.gather(*(_until_closed(reader, tally, seconds) for reader, _ in opened))
    trickling.cancel()
    for _, writer in opened:
        writer.close()
    return tally.result(CONNECTIONS["slowloris"])


async def stalled(url: tuple[str, int], path: str, seconds: float) -> dict[str, Any]:
    tally = Tally()
    chunk = b" " * MIB

    async def client() -> None:
        reader, writer = await asyncio.open_connection(*url)
        writer.write(_head(path, STALLED_BYTES))
        sent = 0
        try:
            while sent < STALLED_BYTES - 1:
                piece = chunk[: min(MIB, STALLED_BYTES - 1 - sent)]
                writer.write(piece)
                sent += len(piece)
                await writer.drain()
        except OSError:
            pass
        await _until_closed(reader, tally, seconds)
        writer.close()

    await asyncio.gather(*(client() for _ in range(CONNECTIONS["stalled"])))
    return tally.result(CONNECTIONS["stalled"])


async def large(url: tuple[str, int], path: str, template: bytes) -> dict[str, Any]:
    tally = Tally()
    clients = CONNECTIONS["large"]
    await asyncio.gather(
        *(_exchange(url, path, _varied(template, iter([n])), tally, lambda: False) for n in range(clients))
    )
    return tally.result(clients)


def generate(scenario: str, url: str, path: str, body: Path | None, seconds: float) -> dict[str, Any]:
    host, port = url.removeprefix("http://").rsplit(":", 1)
    target = (host, int(port))
    template = body.read_bytes() if body is not None else b""
    if scenario in ("saturated", "busy"):
        return asyncio.run(saturated(target, path, template, seconds, CONNECTIONS[scenario]))
    if scenario == "slowloris":
        return asyncio.run(slowloris(target, path, seconds))
    if scenario == "stalled":
        return asyncio.run(stalled(target, path, seconds))
    return asyncio.run(large(target, path, template))


# The prober -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProbeStats:
    count: int
    failures: int
    p50_ms: float
    p99_ms: float
    max_ms: float


class Prober:
    """`/healthz` at `url` every PROBE_INTERVAL on a fresh connection, timing each answer; a probe
    that fails or takes longer than PROBE_TIMEOUT is a failure (the kubelet's view)."""

    def __init__(self, url: str) -> None:
        host, port = url.removeprefix("http://").rsplit(":", 1)
        self._address = (host, int(port))
        self._stop = threading.Event()
        self._latencies: list[float] = []
        self._failures = 0
        self._thread = threading.Thread(target=self._run, name="prober", daemon=True)

    def __enter__(self) -> Prober:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            started = time.perf_counter()
            try:
                connection = http.client.HTTPConnection(*self._address, timeout=PROBE_TIMEOUT)
                connection.request("GET", "/healthz")
                answer = connection.getresponse()
                ok = answer.status == 200 and answer.read() == b"ok"
                connection.close()
            except OSError:
                ok = False
            elapsed = time.perf_counter() - started
            if ok and elapsed <= PROBE_TIMEOUT:
                self._latencies.append(elapsed)
            else:
                self._failures += 1
            self._stop.wait(max(0.0, PROBE_INTERVAL - elapsed))

    def stats(self) -> ProbeStats:
        ordered = sorted(self._latencies) or [0.0]

        def quantile(q: float) -> float:
            return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000

        return ProbeStats(
            len(self._latencies), self._failures, quantile(0.5), quantile(0.99), ordered[-1] * 1000
        )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__)
    parser.add_argument("scenario", choices=SCENARIOS)
    parser.add_argument("--url", required=True)
    parser.add_argument("--path", default="/sync/pinotcluster")
    parser.add_argument("--body", type=Path, default=None, help="request template (saturated, busy, large)")
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args(argv)
    result = generate(args.scenario, args.url, args.path, args.body, args.seconds)
    print("LOAD " + orjson.dumps(result).decode(), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
