"""Garbage collection tuned for a server whose requests make many short-lived containers.

A sync request parses and builds tens of thousands of dicts and lists that reference counting
frees when the answer is sent; none of them form cycles that outlive the request. With the default
thresholds the cyclic collector still ran about once per 4-pool request, and every full collection
walked the hundreds of thousands of objects that importing FastAPI, pydantic and Jinja2 created.
"""

from __future__ import annotations

import gc

# Collect the youngest generation after this many net allocations instead of 700: one request's
# transient containers rarely reach it, yet true cycles are still found within a few requests.
YOUNG_THRESHOLD = 10_000


def freeze_startup_heap() -> None:
    """Move everything alive now (modules, compiled templates, validators) out of the collector's
    sight, and collect young objects less often. Call once, after the app is built."""
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)
