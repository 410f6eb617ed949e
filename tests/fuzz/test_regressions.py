"""Inputs the fuzzers found answered with a 5xx (or a silently altered 200), kept as plain tests."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from hooks.app import create_app
from tests.cluster import builders as cluster
from tests.fuzz.asgi import AsgiClient
from tests.fuzz.checks import check_answer
from tests.resources import builders as resources

JsonObject = dict[str, Any]


@pytest.fixture(scope="module")
def client() -> Iterator[AsgiClient]:
    app_client = AsgiClient(create_app(clock=lambda: cluster.NOW))
    yield app_client
    app_client.close()


def table(change: Callable[[JsonObject], None]) -> bytes:
    obj = resources.parent("PinotTable")
    change(obj)
    return json.dumps(resources.request_body(obj)).encode()


def post(client: AsgiClient, path: str, body: bytes) -> tuple[int, Any]:
    reply = client.post(path, body)
    assert reply.escaped is None, reply.escaped
    hook = path.split("/")[1]
    return reply.status, check_answer(hook, reply.status, reply.headers, reply.body)


def test_a_generation_beyond_int64_is_no_metacontroller_request(client: AsgiClient) -> None:
    # Was a text/plain 500: observedGeneration failed to encode, and the log line again.
    status, answer = post(client, "/sync/pinottable", table(lambda p: p["metadata"].update(generation=2**64)))
    assert status == 422
    assert answer["details"][0]["loc"] == "parent.metadata.generation"
