"""The HTTP surface through a real uvicorn server on a loopback port, as the README's curl does."""

from __future__ import annotations

import httpx
import pytest

from tests.cluster.builders import parent, request_body


def test_sync_answers_200_with_children_and_status(server: str) -> None:
    response = httpx.post(f"{server}/sync/pinotcluster", json=request_body(parent()))
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == {"status", "children", "resyncAfterSeconds", "finalized"}
    assert any(c["kind"] == "StatefulSet" for c in body["children"])


def test_v1_request_is_accepted(server: str) -> None:
    response = httpx.post(f"{server}/sync/pinotcluster", json=request_body(parent(), version="v1"))
    assert response.status_code == 200


@pytest.mark.parametrize(
    "payload",
    [b"", b"not json", b"[]", b'{"parent": 1}', b'{"parent": {"metadata": {}}}', b'{"children": {}}'],
    ids=["empty", "not-json", "list", "parent-number", "parent-without-name", "no-parent"],
)
def test_not_metacontroller_shaped_gets_422_json(server: str, payload: bytes) -> None:
    response = httpx.post(
        f"{server}/sync/pinotcluster", content=payload, headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    assert "error" in response.json()


def test_oversized_body_gets_413(server: str) -> None:
    body = request_body(parent())
    body["parent"]["metadata"]["annotations"] = {"big": "x" * 70_000}
    response = httpx.post(f"{server}/sync/pinotcluster", json=body)
    assert response.status_code == 413
    assert "error" in response.json()


def test_internal_error_is_a_500_with_json_never_a_200(server: str) -> None:
    response = httpx.post(f"{server}/sync/explode", json=request_body(parent()))
    assert response.status_code == 500
    assert response.json()["error"].startswith("internal error: RuntimeError")


def test_invalid_spec_is_a_200_with_a_condition(server: str) -> None:
    broken = parent()
    broken["spec"]["pools"][0]["replicas"] = "three"
    response = httpx.post(f"{server}/sync/pinotcluster", json=request_body(broken))
    assert response.status_code == 200
    ready = next(c for c in response.json()["status"]["conditions"] if c["type"] == "Ready")
    assert ready["reason"] == "InvalidSpec"
    assert "spec.pools[0].replicas" in ready["message"]


def test_health_readiness_and_metrics(server: str) -> None:
    assert httpx.get(f"{server}/healthz").text == "ok"
    assert httpx.get(f"{server}/readyz").status_code == 200
    httpx.post(f"{server}/sync/pinotcluster", json=request_body(parent()))
    metrics = httpx.get(f"{server}/metrics").text
    assert 'pinot_control_plane_hook_duration_seconds_count{hook="sync-pinotcluster",outcome="ok"}' in metrics
    assert 'outcome="rejected"' in metrics or "outcome" in metrics


def test_openapi_documents_the_hook_request(server: str) -> None:
    spec = httpx.get(f"{server}/openapi.json").json()
    operation = spec["paths"]["/sync/pinotcluster"]["post"]
    schema = operation["requestBody"]["content"]["application/json"]["schema"]
    assert "parent" in schema["properties"]
    assert "ParentObject" in spec["components"]["schemas"]
    assert httpx.get(f"{server}/docs").status_code == 200


@pytest.mark.parametrize(
    ("method", "path", "status", "error"),
    [
        ("GET", "/no/such/page", 404, "Not Found"),
        ("GET", "/sync/pinotcluster", 405, "Method Not Allowed"),
        ("DELETE", "/healthz", 405, "Method Not Allowed"),
    ],
)
def test_fastapis_own_errors_use_the_same_json_body(
    server: str, method: str, path: str, status: int, error: str
) -> None:
    response = httpx.request(method, f"{server}{path}")
    assert response.status_code == status
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"error": error}
    if status == 405:
        assert response.headers["allow"]


def test_docs_work_without_internet_access(server: str) -> None:
    page = httpx.get(f"{server}/docs")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    text = page.text
    # Nothing is loaded from elsewhere: no scripts, no stylesheets, no absolute URLs at all.
    assert "<script" not in text and "<link" not in text and "://" not in text
    assert 'href="/openapi.json"' in text
    for path in ("/sync/pinotcluster", "/sync/pinottable", "/finalize/pinotschema", "/healthz", "/metrics"):
        assert f"<code>{path}</code>" in text
    assert httpx.get(f"{server}/redoc").status_code == 404
