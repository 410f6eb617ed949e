"""The resource hooks through the real FastAPI app (in-process, over httpx.ASGITransport)."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from hooks.app import create_app
from tests.resources.builders import NOW, parent, request_body

JsonObject = dict[str, Any]
KINDS = ["PinotSchema", "PinotTable", "PinotTenant"]


def post_all(requests: list[tuple[str, Any]]) -> list[httpx.Response]:
    async def run() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=create_app(clock=lambda: NOW))
        async with httpx.AsyncClient(transport=transport, base_url="http://hooks") as client:
            return [await client.post(path, json=body) for path, body in requests]

    return asyncio.run(run())


@pytest.mark.parametrize("kind", KINDS)
def test_each_path_answers_200_with_the_contract_keys(kind: str) -> None:
    singular = kind.lower()
    deleting = parent(kind)
    deleting["spec"]["deletionPolicy"] = "Delete"
    customize, sync, finalize = post_all(
        [
            (f"/customize/{singular}", {"controller": {}, "parent": parent(kind)}),
            (f"/sync/{singular}", request_body(parent(kind))),
            (f"/finalize/{singular}", request_body(deleting, finalizing=True)),
        ]
    )
    assert customize.status_code == 200
    assert set(customize.json()) == {"relatedResources"}
    for response in (sync, finalize):
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/json"
        assert set(response.json()) == {"status", "children", "resyncAfterSeconds", "finalized"}
    assert any(c["kind"] == "Job" for c in sync.json()["children"])
    assert "-delete-" in finalize.json()["children"][0]["metadata"]["name"]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("hook", ["customize", "sync", "finalize"])
def test_a_body_that_is_no_metacontroller_request_gets_422(kind: str, hook: str) -> None:
    (response,) = post_all([(f"/{hook}/{kind.lower()}", {"hello": "world"})])
    assert response.status_code == 422
    assert "error" in response.json()
