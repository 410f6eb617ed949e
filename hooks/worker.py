"""The one thread that computes answers: parse a request, run the hook, serialise the answer.

That work is CPU-bound and takes from a fraction of a millisecond to a second (a 16 MiB request).
On the event loop it kept every other connection waiting: with 200 concurrent 1 MB syncs a probe
took 5.5 s to answer, and the kubelet gives it 1 s. On this thread, the loop stays free to accept
connections, read bodies, answer probes and write answers; it gets the interpreter back from the
worker within the switch interval (`sys.getswitchinterval()`, 5 ms), or when one C call returns.

Exactly one thread, process-wide: the memos of pure functions (`hooks.memo`) and their callers
assume that no two calls run at once, and one thread is also what makes answers arrive in the
order the work was handed over. More threads would not add throughput anyway: the work holds the
interpreter lock.
"""

from __future__ import annotations

import asyncio
import functools
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

__all__ = ["call", "run", "thread"]

P = ParamSpec("P")
T = TypeVar("T")

_EXECUTOR = ThreadPoolExecutor(max_workers=1, thread_name_prefix="hook-worker")


async def run(function: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """`function(*args, **kwargs)` on the worker thread, awaited from the event loop."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_EXECUTOR, functools.partial(function, *args, **kwargs))


def call(function: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """`function(*args, **kwargs)` on the worker thread, waited for by the calling thread."""
    return _EXECUTOR.submit(function, *args, **kwargs).result()


def thread() -> threading.Thread:
    """The worker thread itself (started on first use)."""
    return call(threading.current_thread)
