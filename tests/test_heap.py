"""`serve` prepares the process before the first request: its start-up heap is hidden from the
cyclic collector, and logging looks up nothing the log line does not print."""

from __future__ import annotations

import gc
import logging
import sys
import threading
import weakref
from collections.abc import Iterator
from typing import Any

import pytest

from hooks import cli, server
from hooks.heap import YOUNG_THRESHOLD, freeze_startup_heap


@pytest.fixture
def restored_collector() -> Iterator[None]:
    thresholds = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)


def test_freezing_moves_live_objects_out_of_the_collectors_sight(restored_collector: None) -> None:
    gc.unfreeze()
    freeze_startup_heap()

    assert gc.get_freeze_count() > 10_000  # FastAPI, pydantic and Jinja2 are imported
    assert gc.get_threshold()[0] == YOUNG_THRESHOLD


class Node:
    partner: Node | None = None


def test_cycles_made_after_start_up_are_still_collected_on_their_own(restored_collector: None) -> None:
    freeze_startup_heap()
    first, second = Node(), Node()
    first.partner, second.partner = second, first
    alive = weakref.ref(first)
    del first, second

    # Enough new containers alive at once to start a young collection without being asked to.
    held: list[list[int]] = [[] for _ in range(YOUNG_THRESHOLD + 100)]

    assert gc.isenabled()
    assert alive() is None
    assert len(held) > YOUNG_THRESHOLD


def test_serve_freezes_after_building_the_app(
    restored_collector: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    gc.unfreeze()
    for setting in ("_srcfile", "logThreads", "logProcesses", "logMultiprocessing"):
        monkeypatch.setattr(logging, setting, getattr(logging, setting))  # restored afterwards
    seen: dict[str, Any] = {}

    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    monkeypatch.setattr(threading, "excepthook", threading.excepthook)
    root = logging.getLogger()
    monkeypatch.setattr(root, "handlers", root.handlers[:])

    def run(app: Any, host: str, port: int, *rest: Any) -> None:
        seen["frozen"] = gc.get_freeze_count()
        seen["routes"] = [route.path for route in app.routes]
        seen["port"] = port
        seen["probes"] = rest[-1]

    monkeypatch.setattr(server, "serve", run)
    assert cli.main(["serve", "--port", "18999", "--probe-port", "18998", "--stall-timeout", "3"]) == 0
    logging.captureWarnings(False)

    assert seen["frozen"] > 10_000
    assert "/sync/pinotcluster" in seen["routes"]
    assert seen["port"] == 18999
    assert seen["probes"] == server.ProbeSettings(port=18998, stall_timeout=3.0)
    # One JSON line per call: no caller frame or thread looked up for it.
    assert logging._srcfile is None
    assert not logging.logThreads
