"""Where the time of one request goes inside the hook, measured in-process in CPU time.

    python -m bench.profile [--iterations N] [--only NAME] [--pyinstrument]

Each workload's resync, change and child change requests are answered the way the HTTP layer answers them
(`hooks.app`: parse and validate the body, each request from what it shares with the one before
(`hooks.requestmemory`), the pure hook, serialise the answer), timed per stage
with the process's CPU clock, so that other load on the machine hardly changes the numbers. What
the server spends beyond this (HTTP parsing, ASGI, writing the answer) is the difference to the
benchmark's throughput. With `--pyinstrument` (not a dependency: `pip install pyinstrument`) the
hook stage is also profiled as a call tree.
"""

from __future__ import annotations

import argparse
import importlib.util
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from bench.workloads import VARIED_KINDS, Workload, all_workloads, route_for
from hooks.app import _parse
from hooks.heap import freeze_startup_heap
from hooks.requestmemory import RequestMemory

REPEATS = 5


def _cpu_us(
    action: Callable[[int], Any], iterations: int, prepare: Callable[[], None] | None = None
) -> float:
    """The best of REPEATS runs (as timeit advises): the least disturbed by anything else.
    `action(i)` is the i-th call of a run; `prepare()`, untimed, comes before each run."""
    best = float("inf")
    for _ in range(REPEATS):
        if prepare is not None:
            prepare()
        started = time.process_time_ns()
        for index in range(iterations):
            action(index)
        best = min(best, (time.process_time_ns() - started) / iterations / 1000)
    return best


def _bodies(workload: Workload, kind: str, count: int, first: int = 0) -> list[bytes]:
    """`count` requests; for a varied kind, all different (as the load generator sends them), so
    that no answer remembered from an earlier request can help."""
    if kind in VARIED_KINDS:
        return [workload.varied_bytes(kind, 10**8 + first + i) for i in range(count)]
    return [workload.resync_bytes()] * count


def _parser(path: str) -> Callable[[type[Any], bytes], Any]:
    """Parsing as the served hooks parse: each request from the one before it, where it can."""
    memory = RequestMemory()
    return lambda model, body: memory.parse(path, model, body, _parse)


def stages(workload: Workload, kind: str, iterations: int) -> dict[str, float]:
    route = route_for(workload.path)
    now = datetime.now(UTC)
    parse = _parser(route.path)
    answers = [route.handle(parse(route.model, body), now) for body in _bodies(workload, kind, 8)]
    batch: dict[str, list[Any]] = {"bodies": [], "parsed": []}
    runs = iter(range(1, 10**6))

    def fresh_bodies() -> None:
        batch["bodies"] = _bodies(workload, kind, iterations, next(runs) * iterations)

    def fresh_requests() -> None:
        fresh_bodies()
        batch["parsed"] = [parse(route.model, body) for body in batch["bodies"]]

    # The requests above were answered untimed: lazily built objects are warm, as in a running
    # server. Each timed call takes a request never answered before.
    return {
        "parse": _cpu_us(lambda i: parse(route.model, batch["bodies"][i]), iterations, fresh_bodies),
        "hook": _cpu_us(lambda i: route.handle(batch["parsed"][i], now), iterations, fresh_requests),
        "serialise": _cpu_us(lambda i: answers[i % len(answers)].encode(), iterations),
        "total": _cpu_us(
            lambda i: route.handle(parse(route.model, batch["bodies"][i]), now).encode(),
            iterations,
            fresh_bodies,
        ),
    }


def call_tree(workload: Workload, kind: str, iterations: int) -> str:
    from pyinstrument import Profiler

    route = route_for(workload.path)
    now = datetime.now(UTC)
    bodies = _bodies(workload, kind, iterations)
    parse = _parser(route.path)
    profiler = Profiler(interval=0.0002)
    profiler.start()
    for i in range(iterations):
        route.handle(parse(route.model, bodies[i % len(bodies)]), now).encode()
    profiler.stop()
    text: str = profiler.output_text(unicode=False, color=False)
    return text


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__)
    parser.add_argument("--iterations", type=int, default=50, help="per timed run (best of 5 runs)")
    parser.add_argument("--only", action="append", default=None, help="workload name(s)")
    parser.add_argument("--kind", action="append", choices=["resync", *VARIED_KINDS], default=None)
    parser.add_argument("--pyinstrument", action="store_true", help="print a call tree per workload")
    args = parser.parse_args(argv)
    if args.pyinstrument and importlib.util.find_spec("pyinstrument") is None:
        parser.error("--pyinstrument needs pyinstrument: .venv/bin/pip install pyinstrument")
    kinds = args.kind or ["resync", *VARIED_KINDS]
    freeze_startup_heap()  # as `pinot-control-plane serve` does before its first request
    header = [f"{name:>9}" for name in ("parse", "hook", "serialise", "total")]
    print(f"{'workload':<11} {'kind':<7} {' '.join(header)}  (CPU µs per request)")
    for workload in all_workloads():
        if args.only and workload.name not in args.only:
            continue
        for kind in kinds:
            found = stages(workload, kind, args.iterations)
            print(
                f"{workload.name:<11} {kind:<7} "
                + " ".join(f"{found[name]:9.0f}" for name in ("parse", "hook", "serialise", "total"))
            )
            if args.pyinstrument:
                print(call_tree(workload, kind, args.iterations))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
