"""Clock-free answers and the cache that replays them: a replayed answer is always the answer the
hook would compute now, because only answers that do not depend on the clock are kept, and only
a byte-identical request replays one."""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from hooks import jsonio
from hooks.answers import AnswerCache, CachedAnswer, fingerprint
from hooks.app import Route, create_app
from hooks.cluster.sync import sync_cluster
from hooks.contract import HookRequest
from hooks.decision import ClockFreeDecision, Decision
from tests.cluster.builders import BASE_SPEC, NOW, parent, request, request_body
from tests.cluster.rounds import Rounds

# Moments around `now` at which a clock-free answer must be exactly the same.
SHIFTS = [
    timedelta(microseconds=1),
    timedelta(seconds=-1),
    timedelta(seconds=1),
    timedelta(seconds=59),
    timedelta(seconds=899),
    timedelta(hours=1),
    timedelta(days=-365),
    timedelta(days=3650),
]


def _scenario_requests(
    rounds: Rounds, steps: int, change: Callable[[Rounds], None] | None = None
) -> list[Any]:
    """The request and clock of every round of a scenario (children stored as answered)."""
    seen = []
    for index in range(steps):
        if change is not None and index == steps // 2:
            change(rounds)
        seen.append((request(rounds.parent, list(rounds.children.values())), rounds.now))
        rounds.step(seconds=400)
    return seen


def _upgrade(rounds: Rounds) -> None:
    rounds.change(image="apachepinot/pinot:1.4.0")


def _pause(rounds: Rounds) -> None:
    rounds.change(paused=True)


def _break(rounds: Rounds) -> None:
    rounds.parent["spec"]["pools"][0]["replicas"] = "three"
    rounds.parent["metadata"]["generation"] += 1


def _remove_pool(rounds: Rounds) -> None:
    rounds.change(pools=[p for p in rounds.parent["spec"]["pools"] if p["name"] != "cold"])


SCENARIOS: dict[str, Callable[[], list[Any]]] = {
    "install": lambda: _scenario_requests(Rounds(parent()), 16),
    "never-ready": lambda: _scenario_requests(Rounds(parent(), never_ready=frozenset({"hot"})), 16),
    "upgrade": lambda: _scenario_requests(Rounds(parent()), 32, _upgrade),
    "stuck-upgrade": lambda: _scenario_requests(
        Rounds(parent(), never_ready=frozenset({"hot"})), 32, _upgrade
    ),
    "pause": lambda: _scenario_requests(Rounds(parent()), 32, _pause),
    "invalid": lambda: _scenario_requests(Rounds(parent()), 32, _break),
    "remove-pool": lambda: _scenario_requests(Rounds(parent()), 40, _remove_pool),
}


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_a_clock_free_answer_is_the_same_at_any_other_time(scenario: str) -> None:
    kinds = []
    for hook_request, now in SCENARIOS[scenario]():
        decision = sync_cluster(hook_request, now)
        kinds.append(isinstance(decision, ClockFreeDecision))
        if not isinstance(decision, ClockFreeDecision):
            continue
        for shift in SHIFTS:
            assert sync_cluster(hook_request, now + shift).body == decision.body, (scenario, shift)
    settles = scenario not in ("never-ready", "stuck-upgrade")
    assert any(kinds) == settles, "a settled state is clock-free, a pool that never gets ready is not"
    assert not all(kinds), "a rollout depends on the clock"


def test_a_rolling_pool_is_never_clock_free() -> None:
    rounds = Rounds(parent())
    decision = sync_cluster(request(rounds.parent), NOW)
    assert not isinstance(decision, ClockFreeDecision)
    assert decision.body["resyncAfterSeconds"] > 0


def _post(app: FastAPI, requests: Sequence[bytes], path: str = "/sync/pinotcluster") -> list[httpx.Response]:
    async def run() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://hooks") as client:
            return [
                await client.post(path, content=body, headers={"content-type": "application/json"})
                for body in requests
            ]

    return asyncio.run(run())


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=7)
        return self.now


def _settled() -> dict[str, Any]:
    rounds = Rounds(parent())
    for _ in range(16):
        rounds.step()
    return request_body(copy.deepcopy(rounds.parent), list(rounds.children.values()))


def test_a_settled_resync_is_answered_from_the_cache_with_the_same_bytes() -> None:
    app = create_app(clock=Clock())
    body = jsonio.dumps(_settled())
    first, second = _post(app, [body, body])
    assert first.status_code == second.status_code == 200
    assert first.content == second.content
    assert len(app.state.answers) == 1
    fresh = sync_cluster(HookRequest.model_validate_json(body), NOW + timedelta(days=30))
    assert jsonio.dumps(fresh.body) == second.content


def test_a_rolling_answer_is_computed_again_every_time() -> None:
    clock = Clock()
    app = create_app(clock=clock)
    body = jsonio.dumps(request_body(parent()))
    answers = _post(app, [body, body])
    assert len(app.state.answers) == 0
    assert answers[0].json()["status"]["conditions"] != answers[1].json()["status"]["conditions"]


def _counting_route(decision: type[Decision]) -> tuple[Route, list[int]]:
    calls: list[int] = []

    def handle(_request: HookRequest, _now: datetime) -> Decision:
        calls.append(1)
        return decision({"status": {}, "children": [], "resyncAfterSeconds": 0, "finalized": False}, "x")

    return Route("/sync/counted", "counted", HookRequest, handle), calls


@pytest.mark.parametrize(("decision", "expected_calls"), [(ClockFreeDecision, 2), (Decision, 3)])
def test_only_clock_free_answers_are_replayed_and_only_for_identical_bytes(
    decision: type[Decision], expected_calls: int
) -> None:
    route, calls = _counting_route(decision)
    app = create_app(routes=[route])
    body = jsonio.dumps(request_body(parent()))
    other = jsonio.dumps(request_body(parent(generation=2)))
    answers = _post(app, [body, body, other], path="/sync/counted")
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert len(calls) == expected_calls


def test_the_cache_can_be_switched_off() -> None:
    route, calls = _counting_route(ClockFreeDecision)
    app = create_app(routes=[route], answer_cache_bytes=0)
    body = jsonio.dumps(request_body(parent()))
    _post(app, [body, body], path="/sync/counted")
    assert len(calls) == 2


def _answer(parent_name: str, size: int = 10) -> CachedAnswer:
    return CachedAnswer(b"a" * size, '"tag"', parent_name, 1, "summary")


def test_cache_keeps_one_entry_per_parent() -> None:
    cache = AnswerCache(10_000)
    cache.put("/p", b"request-1", _answer("ns/a"))
    cache.put("/p", b"request-2", _answer("ns/a"))
    cache.put("/p", b"request-3", _answer("ns/b"))
    assert cache.get("/p", b"request-1") is None
    assert cache.get("/p", b"request-2") is not None
    assert cache.get("/q", b"request-2") is None
    assert len(cache) == 2
    assert cache.size == 2 * (len(b"request-2") + 10)


def test_cache_evicts_the_least_recently_used_beyond_its_size() -> None:
    cache = AnswerCache(3 * 20)
    for name in "abc":
        cache.put("/p", name.encode() * 10, _answer(name))
    assert cache.get("/p", b"a" * 10) is not None  # a is now the most recently used
    cache.put("/p", b"d" * 10, _answer("d"))
    assert cache.get("/p", b"b" * 10) is None
    assert {n for n in "acd" if cache.get("/p", n.encode() * 10)} == set("acd")
    assert cache.size <= cache.max_bytes
    cache.put("/p", b"e" * 100, _answer("e"))  # larger than the whole cache: not kept
    assert cache.get("/p", b"e" * 100) is None


def test_base_spec_is_not_modified_by_the_scenarios() -> None:
    assert BASE_SPEC["pools"][0] == {"name": "controllers", "role": "controller"}


def test_requests_alike_but_for_bytes_the_fingerprint_skips_are_told_apart() -> None:
    cache = AnswerCache(10_000)
    first = b"{" + b"a" * 600 + b"1" + b"a" * 1400 + b"}"  # the 1 lies between the samples
    second = first.replace(b"1", b"2")
    assert fingerprint(first) == fingerprint(second)

    cache.put("/p", first, _answer("ns/a"))
    assert cache.get("/p", second) is None
    cache.put("/p", second, _answer("ns/b"))
    assert cache.get("/p", first) == _answer("ns/a")
    assert cache.get("/p", second) == _answer("ns/b")
    cache.put("/p", b"other", _answer("ns/a"))  # replaces the entry of ns/a
    assert cache.get("/p", first) is None
    assert cache.get("/p", second) == _answer("ns/b")
