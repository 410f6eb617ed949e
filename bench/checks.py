"""Work that must never happen on the request path, counted while the real app answers requests.

A profile hook sees every Python call of the thread it is set in. Requests are answered through
httpx's ASGI transport in this thread, and the hooks compute on the event loop, in this thread too,
so anything the app does for them is seen: parsing YAML, compiling a Jinja2 template, or building
a pydantic schema (a new model or TypeAdapter).
"""

from __future__ import annotations

import asyncio
import sys
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from types import FrameType
from typing import Any

import httpx
from fastapi import FastAPI

# What is counted: calls of these functions, by file (path suffix) and function name (None: any).
FORBIDDEN: dict[str, tuple[str, str | None]] = {
    "YAML parsing": ("yaml/", None),
    "Jinja2 template compilation": ("jinja2/environment.py", "compile"),
    "pydantic schema building": ("pydantic/_internal/_generate_schema.py", None),
}


@contextmanager
def counting() -> Iterator[Counter[str]]:
    counts: Counter[str] = Counter()

    def profile(frame: FrameType, event: str, _arg: Any) -> None:
        if event != "call":
            return
        code = frame.f_code
        filename = code.co_filename.replace("\\", "/")
        for what, (where, function) in FORBIDDEN.items():
            if where in filename and (function is None or code.co_name == function):
                counts[what] += 1

    sys.setprofile(profile)
    try:
        yield counts
    finally:
        sys.setprofile(None)


def count_forbidden(action: Callable[[], object]) -> dict[str, int]:
    """How often `action()` did each forbidden thing."""
    with counting() as counts:
        action()
    return {what: counts[what] for what in FORBIDDEN}


def post_all(app: FastAPI, requests: Sequence[tuple[str, bytes]]) -> list[tuple[int, bytes]]:
    """POST each (path, body) to the app in this thread; the answers' status and body."""

    async def run() -> list[tuple[int, bytes]]:
        transport = httpx.ASGITransport(app=app)
        answers = []
        async with httpx.AsyncClient(transport=transport, base_url="http://hooks") as client:
            for path, body in requests:
                response = await client.post(path, content=body, headers={"content-type": "application/json"})
                answers.append((response.status_code, response.content))
        return answers

    return asyncio.run(run())


def request_path_work(
    app: FastAPI, warmup: Sequence[tuple[str, bytes]], measured: Sequence[tuple[str, bytes]]
) -> dict[str, int]:
    """Forbidden work done while answering `measured`, after `warmup` was answered once."""
    for status, body in post_all(app, warmup):
        if status != 200:
            raise RuntimeError(f"warm-up request answered {status}: {body[:300]!r}")
    answers: list[tuple[int, bytes]] = []
    counts = count_forbidden(lambda: answers.extend(post_all(app, measured)))
    for status, body in answers:
        if status != 200:
            raise RuntimeError(f"measured request answered {status}: {body[:300]!r}")
    return counts
