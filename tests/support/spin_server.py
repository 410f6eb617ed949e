"""A hook server, run as `serve` runs it, with one extra hook that holds the interpreter for a
while: `python -m tests.support.spin_server PORT PROBE_PORT SECONDS`. Tests probe it from another
process, as the kubelet probes the real one."""

from __future__ import annotations

import sys
import time
from datetime import datetime

from hooks import logs
from hooks.app import Route, create_app, default_routes
from hooks.contract import HookRequest
from hooks.decision import Decision
from hooks.heap import freeze_startup_heap
from hooks.server import DEFAULT_LIMITS, ProbeSettings, serve


def spin(seconds: float) -> int:
    """Hold the interpreter for `seconds` (a pure Python loop); how many times it went round."""
    deadline = time.perf_counter() + seconds
    count = 0
    while time.perf_counter() < deadline:
        count += 1
    return count


def spinning(seconds: float) -> Route:
    def hook(_: HookRequest, __: datetime) -> Decision:
        return Decision({"status": {"spun": spin(seconds)}, "children": []}, "spun")

    return Route("/sync/spin", "spin", HookRequest, hook)


def main(port: int, probe_port: int, seconds: float) -> None:
    logs.configure("warning", sys.stderr)
    app = create_app(routes=[*default_routes(), spinning(seconds)])
    freeze_startup_heap()
    probes = ProbeSettings(port=probe_port)
    serve(app, "127.0.0.1", port, DEFAULT_LIMITS, app.state.metrics.refusal, "warning", probes)


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]))
