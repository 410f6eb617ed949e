"""ETags as Metacontroller uses them (hook `etag.enabled`): every clock-free answer names its
bytes, and a request whose If-None-Match names the answer the hook would send now gets 304 and no
body. An answer taken from the clock carries no tag (it would not be sent alike later)."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Sequence
from datetime import datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI

from hooks import jsonio
from hooks.app import create_app, etag_matches
from tests.cluster.builders import NOW, parent, request_body
from tests.cluster.rounds import Rounds

PATH = "/sync/pinotcluster"


def _post(app: FastAPI, calls: Sequence[tuple[bytes, dict[str, str]]]) -> list[httpx.Response]:
    async def run() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://hooks") as client:
            return [
                await client.post(PATH, content=body, headers={"content-type": "application/json", **headers})
                for body, headers in calls
            ]

    return asyncio.run(run())


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


def _settled_body() -> bytes:
    """A cluster settled an hour before NOW: its answer at NOW takes nothing from the clock."""
    rounds = Rounds(parent(), start=NOW - timedelta(hours=1))
    for _ in range(16):
        rounds.step()
    return jsonio.dumps(request_body(rounds.parent, list(rounds.children.values())))


@pytest.mark.parametrize("cache_bytes", [0, 1 << 24], ids=["computed", "cached"])
def test_an_answer_names_its_bytes_and_a_matching_request_gets_304(cache_bytes: int) -> None:
    app = create_app(clock=Clock(), answer_cache_bytes=cache_bytes)
    body = _settled_body()
    [first] = _post(app, [(body, {})])
    etag = first.headers["etag"]
    assert etag == '"' + hashlib.sha256(first.content).hexdigest()[:32] + '"'
    [again] = _post(app, [(body, {"If-None-Match": etag})])
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag


def test_an_answer_taken_from_the_clock_carries_no_etag_and_is_never_304() -> None:
    clock = Clock()
    app = create_app(clock=clock)
    settled = _settled_body()
    [tagged] = _post(app, [(settled, {})])
    body = jsonio.dumps(request_body(parent()))  # a new cluster: transition times come from the clock
    [first] = _post(app, [(body, {"If-None-Match": "*"})])
    clock.now += timedelta(seconds=5)
    [later] = _post(app, [(body, {"If-None-Match": tagged.headers["etag"]})])

    assert (first.status_code, later.status_code) == (200, 200)
    assert "etag" not in first.headers and "etag" not in later.headers
    assert later.content != first.content


def test_a_different_request_with_an_old_etag_gets_its_own_answer() -> None:
    app = create_app(clock=Clock())
    [first] = _post(app, [(_settled_body(), {})])
    changed = parent(generation=2)
    changed["spec"]["pools"][1]["replicas"] = 3
    [other] = _post(app, [(jsonio.dumps(request_body(changed)), {"If-None-Match": first.headers["etag"]})])
    assert other.status_code == 200
    assert other.json()["status"]["conditions"][0]["observedGeneration"] == 2


def test_rejections_carry_no_etag_and_never_304() -> None:
    app = create_app(clock=Clock())
    [rejected] = _post(app, [(b"not json", {"If-None-Match": "*"})])
    assert rejected.status_code == 422
    assert "etag" not in rejected.headers


@pytest.mark.parametrize(
    ("header", "matches"),
    [
        ('"abc"', True),
        ('W/"abc"', True),
        ('"x", "abc"', True),
        ("*", True),
        ('"abcd"', False),
        ("abc", False),
        ("", False),
        (None, False),
    ],
)
def test_if_none_match_uses_weak_comparison(header: str | None, matches: bool) -> None:
    assert etag_matches(header, '"abc"') is matches


def test_304_over_real_http(server: str) -> None:
    body = _settled_body()
    first = httpx.post(f"{server}{PATH}", content=body, headers={"content-type": "application/json"})
    again = httpx.post(
        f"{server}{PATH}",
        content=body,
        headers={"content-type": "application/json", "If-None-Match": first.headers["etag"]},
    )
    assert (first.status_code, again.status_code) == (200, 304)
    assert again.content == b""
    assert again.headers["etag"] == first.headers["etag"]
