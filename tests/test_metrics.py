"""`/metrics`: counters by outcome, cache hits, 304s, Jobs asked for; process and build info."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI
from prometheus_client.parser import text_string_to_metric_families

from bench.workloads import cluster_4
from hooks import jsonio
from hooks.app import create_app
from hooks.contract import HookRequest
from hooks.metrics import new_jobs
from tests.cluster.builders import NOW, parent, request_body
from tests.resources import builders as resources


def post(app: FastAPI, path: str, body: bytes, headers: dict[str, str] | None = None) -> httpx.Response:
    async def call() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://hooks") as client:
            return await client.post(
                path, content=body, headers={"content-type": "application/json", **(headers or {})}
            )

    return asyncio.run(call())


def samples(app: FastAPI) -> dict[str, float]:
    async def scrape() -> str:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://hooks") as client:
            return (await client.get("/metrics")).text

    text = asyncio.run(scrape())
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            labels = ",".join(f'{k}="{v}"' for k, v in sorted(sample.labels.items()))
            found[f"{sample.name}{{{labels}}}"] = sample.value
    return found


@pytest.fixture
def app() -> Iterator[FastAPI]:
    yield create_app(clock=lambda: NOW)


def test_hook_calls_are_counted_by_outcome(app: FastAPI) -> None:
    post(app, "/sync/pinotcluster", jsonio.dumps(request_body(parent())))
    post(app, "/sync/pinotcluster", b'{"not": "a hook request"}')

    found = samples(app)
    assert found['pinot_control_plane_hook_calls_total{hook="sync-pinotcluster",outcome="ok"}'] == 1
    assert found['pinot_control_plane_hook_calls_total{hook="sync-pinotcluster",outcome="rejected"}'] == 1
    assert (
        found['pinot_control_plane_hook_duration_seconds_count{hook="sync-pinotcluster",outcome="ok"}'] == 1
    )


def test_answer_cache_hits_and_304s_are_counted() -> None:
    app = create_app()  # the settled request's clock is in the past: its answer is clock-free now
    settled = cluster_4().resync_bytes()
    etag = post(app, "/sync/pinotcluster", settled).headers["etag"]
    post(app, "/sync/pinotcluster", settled)
    assert post(app, "/sync/pinotcluster", settled, {"If-None-Match": etag}).status_code == 304

    found = samples(app)
    assert found['pinot_control_plane_answer_cache_hits_total{hook="sync-pinotcluster"}'] == 2
    assert found['pinot_control_plane_not_modified_answers_total{hook="sync-pinotcluster"}'] == 1


def test_jobs_in_an_answer_that_were_not_observed_are_counted_by_kind(app: FastAPI) -> None:
    request = resources.request_body(resources.parent("PinotSchema"))
    answer = post(app, "/sync/pinotschema", jsonio.dumps(request))
    jobs = [c for c in answer.json()["children"] if c["kind"] == "Job"]
    assert len(jobs) == 1

    kind = jobs[0]["metadata"]["labels"]["app.kubernetes.io/component"]
    assert samples(app)[f'pinot_control_plane_jobs_created_total{{kind="{kind}"}}'] == 1


def test_a_job_already_observed_is_not_counted_again() -> None:
    job = {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "events-1a2b", "labels": {}}}
    observed = HookRequest.model_validate(
        {**request_body(parent()), "children": {"Job.batch/v1": {"analytics/events-1a2b": job}}}
    )
    fresh = {
        **job,
        "metadata": {"name": "events-3c4d", "labels": {"app.kubernetes.io/component": "schema-apply"}},
    }

    assert new_jobs(observed, [job, fresh, {"kind": "ConfigMap"}]) == ("schema-apply",)


def test_process_and_build_metrics_and_no_created_series(app: FastAPI) -> None:
    post(app, "/sync/pinotcluster", jsonio.dumps(request_body(parent())))
    found = samples(app)

    assert found["process_resident_memory_bytes{}"] > 0
    assert "process_cpu_seconds_total{}" in found
    assert any(
        name.startswith("pinot_control_plane_build_info{") and 'version="0.1.0"' in name for name in found
    )
    assert any(name.startswith("python_info{") for name in found)
    assert not [name for name in found if "_created" in name]
    counters = [n for n in found if n.startswith("pinot_control_plane_") and "_total{" in n]
    assert counters
