"""The one thread that computes answers: parse a request, run the hook, serialise the answer.

That work is CPU-bound and takes from a fraction of a millisecond to a second (a 16 MiB request).
On the event loop it kept every other connection waiting: with 200 concurrent 1 MB syncs a probe
took 5.5 s to answer, and the kubelet gives it 1 s. On this thread, the loop stays free to accept
connections, read bodies, answer probes and write answers; it gets the interpreter back from the
worker within the switch interval (`sys.getswitchinterval()`, 5 ms), or when one C call returns.
Having handed an answer over, the worker waits (at most that interval) until the loop has picked it
up: otherwise it went on with the next request holding the interpreter, and the answer waited for
the forced switch, a millisecond at the median of a change benchmark, longer than computing it.

Every request is handed over, the small ones too, though the hand-over has a price: a change
request takes 10 to 35% longer at the median than when the loop waits for its computation. But a
probe needs several turns of the loop (accept, read, answer), and each turn then carried a
computation: with 5 connections sending changes (4 and 12 pools), probes took 14 and 30 ms at the
median instead of 1 and 2; with 200 connections sending them, 951 ms at the 99th percentile (1 s is
the kubelet's timeout) instead of 11 to 155 ms. Waiting only while few calls are in flight still
let probes reach 0.9 s when the connections came in.

Exactly one thread, process-wide: the memos of pure functions (`hooks.memo`) and their callers
assume that no two calls run at once, and one thread is also what makes answers arrive in the
order the work was handed over. More threads would not add throughput anyway: the work holds the
interpreter lock. The hand-over is a plain queue and one `call_soon_threadsafe` per call, which
costs half the CPU time of `run_in_executor` (its futures, locks and callbacks).
"""

from __future__ import annotations

import asyncio
import queue
import sys
import threading
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

__all__ = ["call", "run", "thread"]

P = ParamSpec("P")
T = TypeVar("T")

Job = Callable[[], None]

_JOBS: queue.SimpleQueue[Job] = queue.SimpleQueue()
_TAKEN = threading.Event()  # the loop has picked up the last answer handed over
_STARTED = threading.Lock()
_THREAD: threading.Thread | None = None


def _serve() -> None:
    while True:
        _JOBS.get()()


def _submit(job: Job) -> None:
    global _THREAD
    if _THREAD is None:
        with _STARTED:
            if _THREAD is None:
                _THREAD = threading.Thread(target=_serve, name="hook-worker", daemon=True)
                _THREAD.start()
    _JOBS.put(job)


async def run(function: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """`function(*args, **kwargs)` on the worker thread, awaited from the event loop."""
    loop = asyncio.get_running_loop()
    done: asyncio.Future[T] = loop.create_future()

    def job() -> None:
        try:
            result = function(*args, **kwargs)
        except BaseException as error:  # handed to the caller, whatever it is
            outcome: tuple[Any, BaseException | None] = (None, error)
        else:
            outcome = (result, None)
        _TAKEN.clear()
        loop.call_soon_threadsafe(_settle, done, *outcome)
        _TAKEN.wait(sys.getswitchinterval())  # lets the loop take the interpreter now

    _submit(job)
    return await done


def _settle(done: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    _TAKEN.set()
    if done.cancelled():  # the caller is gone (its connection closed): nothing to hand over
        return
    if error is not None:
        done.set_exception(error)
    else:
        done.set_result(result)


def call(function: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """`function(*args, **kwargs)` on the worker thread, waited for by the calling thread."""
    outcome: queue.SimpleQueue[tuple[bool, Any]] = queue.SimpleQueue()

    def job() -> None:
        try:
            outcome.put((True, function(*args, **kwargs)))
        except BaseException as error:
            outcome.put((False, error))

    _submit(job)
    ok, value = outcome.get()
    if not ok:
        raise value
    result: T = value
    return result


def thread() -> threading.Thread:
    """The worker thread itself (started on first use)."""
    return call(threading.current_thread)
