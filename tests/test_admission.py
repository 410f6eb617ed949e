"""Admission of hook calls: bytes and calls bounded, waiters served in order, nothing leaked."""

from __future__ import annotations

import asyncio
import tracemalloc

import httpx
import orjson
import pytest

from bench.workloads import all_workloads, padded_change
from hooks import jsonio
from hooks.admission import MIN_RESERVATION, Admission, Busy, parse_cost
from hooks.app import create_app
from tests.cluster.builders import NOW, parent, request_body

MIB = 1024 * 1024


def run(coroutine: object) -> object:
    return asyncio.run(coroutine)  # type: ignore[arg-type]


def test_calls_that_fit_are_admitted_at_once_and_the_rest_wait_in_order() -> None:
    async def scenario() -> list[str]:
        admission = Admission(10 * MIB, max_calls=10, wait_timeout=5)
        order: list[str] = []
        first = await admission.admit(8 * MIB)

        async def call(name: str, size: int) -> None:
            reservation = await admission.admit(size)
            order.append(name)
            await asyncio.sleep(0.01)
            reservation.release()

        large = asyncio.create_task(call("large", 6 * MIB))
        await asyncio.sleep(0.01)
        small = asyncio.create_task(call("small", 1 * MIB))  # would fit now, but the large one was first
        await asyncio.sleep(0.01)
        assert order == [] and admission.waiting == 2
        first.release()
        await asyncio.gather(large, small)
        assert (admission.available, admission.calls, admission.waiting) == (10 * MIB, 0, 0)
        return order

    assert run(scenario()) == ["large", "small"]


def test_a_reservation_is_at_least_the_minimum_and_at_most_the_capacity() -> None:
    async def scenario() -> tuple[int, int]:
        admission = Admission(4 * MIB, max_calls=3, wait_timeout=1)
        small = await admission.admit(10)
        amount = small.amount
        small.release()
        huge = await admission.admit(100 * MIB)  # clamped: it can never wait forever
        huge.release()
        return amount, huge.amount

    assert run(scenario()) == (MIN_RESERVATION, 4 * MIB)


def test_calls_beyond_the_limit_are_busy_at_once() -> None:
    async def scenario() -> str:
        admission = Admission(10 * MIB, max_calls=2, wait_timeout=5)
        held = [await admission.admit(1), await admission.admit(1)]
        with pytest.raises(Busy) as busy:
            await admission.admit(1)
        for reservation in held:
            reservation.release()
        assert admission.calls == 0
        return str(busy.value)

    assert "2 hook calls are in flight" in run(scenario())  # type: ignore[operator]


def test_a_call_not_admitted_in_time_is_busy_and_leaves_nothing_behind() -> None:
    async def scenario() -> None:
        admission = Admission(1 * MIB, max_calls=5, wait_timeout=0.05)
        held = await admission.admit(1 * MIB)
        with pytest.raises(Busy, match=r"not admitted within 0\.05 s"):
            await admission.admit(1 * MIB)
        assert (admission.calls, admission.waiting) == (1, 0)
        held.release()
        assert admission.available == 1 * MIB

    run(scenario())


def test_a_cancelled_waiter_lets_the_ones_behind_it_in() -> None:
    async def scenario() -> None:
        admission = Admission(2 * MIB, max_calls=5, wait_timeout=5)
        held = await admission.admit(1 * MIB)
        blocked = asyncio.create_task(admission.admit(2 * MIB))
        await asyncio.sleep(0.01)
        behind = asyncio.create_task(admission.admit(1 * MIB))
        await asyncio.sleep(0.01)
        assert not behind.done()
        blocked.cancel()
        reservation = await asyncio.wait_for(behind, 1)
        reservation.release()
        held.release()
        assert (admission.available, admission.calls, admission.waiting) == (2 * MIB, 0, 0)

    run(scenario())


def test_waiters_giving_up_at_once_while_bytes_come_free_leave_nothing_behind() -> None:
    """Many waits time out in one loop iteration, and a release wakes waiters whose futures were
    cancelled but whose tasks have not resumed yet (30 stalled bodies did this)."""

    async def scenario() -> None:
        admission = Admission(2 * MIB, max_calls=50, wait_timeout=0.05)
        held = await admission.admit(2 * MIB)
        waiters = [asyncio.create_task(admission.admit(1 * MIB)) for _ in range(20)]
        await asyncio.sleep(0.05)  # their timeouts are due now
        held.release()  # wakes the first waiters, some of them already cancelled
        outcomes = await asyncio.gather(*waiters, return_exceptions=True)
        for outcome in outcomes:
            if not isinstance(outcome, Busy):
                outcome.release()  # type: ignore[union-attr]
        assert (admission.available, admission.calls, admission.waiting) == (2 * MIB, 0, 0)

    for _ in range(20):
        run(scenario())


def test_an_answer_larger_than_the_budget_holds_back_new_calls_until_written() -> None:
    async def scenario() -> None:
        admission = Admission(1 * MIB, max_calls=5, wait_timeout=5)
        reservation = await admission.admit(100)
        reservation.grow(3 * MIB)
        assert admission.available < 0
        waiting = asyncio.create_task(admission.admit(100))
        await asyncio.sleep(0.01)
        assert not waiting.done()
        reservation.release()
        reservation.release()  # a second release changes nothing
        (await asyncio.wait_for(waiting, 1)).release()
        assert (admission.available, admission.calls) == (1 * MIB, 0)

    run(scenario())


def _kept_after_parsing(body: bytes) -> int:
    tracemalloc.start()
    document = orjson.loads(body)
    kept, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del document
    return kept


DENSE = {
    "empty objects": b'{"x":[' + b"{}," * 200_000 + b"{}]}",
    "empty lists": b'{"x":[' + b"[]," * 200_000 + b"[]]}",
    "short strings": b'{"x":[' + b'"a",' * 200_000 + b'"a"]}',
    "floats": b'{"x":[' + b"1.5," * 200_000 + b"1.5]}",
    "members": b"{" + b",".join(b'"k%d":0.5' % i for i in range(100_000)) + b"}",
    "nested": b"[" * 250 + b"]" * 250,
}


@pytest.mark.parametrize("body", DENSE.values(), ids=DENSE.keys())
def test_parse_cost_bounds_what_dense_json_parses_to(body: bytes) -> None:
    assert _kept_after_parsing(body) <= parse_cost(body)


def test_parse_cost_bounds_what_real_requests_parse_to() -> None:
    for workload in all_workloads():
        body = workload.resync_bytes()
        cost = parse_cost(body)
        assert _kept_after_parsing(body) <= cost <= 9 * len(body)  # and it does not refuse them


def _post(app: object, body: bytes) -> httpx.Response:
    async def call() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
        async with httpx.AsyncClient(transport=transport, base_url="http://hooks") as client:
            return await client.post(
                "/sync/pinotcluster", content=body, headers={"content-type": "application/json"}
            )

    return asyncio.run(call())


def test_a_body_too_dense_to_parse_within_the_budget_gets_413() -> None:
    app = create_app(clock=lambda: NOW, parse_budget_bytes=64 * MIB)
    document = request_body(parent())
    document["parent"]["metadata"]["annotations"] = {"dense": "x"}
    document["padding"] = [{}] * 800_000  # 2.4 MB of "{}," would parse to about 60 MB
    response = _post(app, jsonio.dumps(document))

    assert response.status_code == 413
    assert response.json()["error"].startswith("request body too dense: parsing it could take")


def test_a_large_real_request_is_not_refused_as_dense() -> None:
    app = create_app(clock=lambda: NOW)
    body = padded_change(all_workloads()[0], 12 * MIB).replace(b"BENCH-VARY-7f3a", b"1", 1)

    assert _post(app, body).status_code == 200


def test_a_busy_server_answers_503_with_retry_after() -> None:
    app = create_app(clock=lambda: NOW, max_requests=1)
    admission = app.state.admission

    async def call() -> httpx.Response:
        held = await admission.admit(1)
        try:
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://hooks") as client:
                return await client.post("/sync/pinotcluster", json=request_body(parent()))
        finally:
            held.release()

    response = asyncio.run(call())
    assert response.status_code == 503
    assert response.headers["retry-after"] == "1"
    assert "in flight" in response.json()["error"]
