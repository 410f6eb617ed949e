"""The benchmark's requests stay valid: every workload gets a 200 from the real app, the change
requests really differ, the echo floor answers like the hook, and the request path does no YAML
parsing, template compilation or schema building. Fast, and never timed."""

from __future__ import annotations

import shutil

import pytest
from fastapi import FastAPI

from bench import scale
from bench.checks import FORBIDDEN, count_forbidden, post_all, request_path_work
from bench.floor import create_floor_app
from bench.report import QUANTILES, Block, pooled_quantile
from bench.workloads import VARY_MARKER, Workload, all_workloads
from hooks import jsonio
from hooks.app import create_app

KEYS = {"status", "children", "resyncAfterSeconds", "finalized"}


@pytest.fixture(scope="module")
def workloads() -> list[Workload]:
    return all_workloads()


@pytest.fixture(scope="module")
def app() -> FastAPI:
    return create_app()


def test_three_sizes(workloads: list[Workload]) -> None:
    assert [w.name for w in workloads] == ["cluster-4", "cluster-12", "table"]
    assert [w.path for w in workloads] == ["/sync/pinotcluster", "/sync/pinotcluster", "/sync/pinottable"]


@pytest.mark.parametrize("index", [0, 1, 2], ids=["cluster-4", "cluster-12", "table"])
def test_resync_request_is_answered_200_in_a_steady_state(
    workloads: list[Workload], app: FastAPI, index: int
) -> None:
    workload = workloads[index]
    [(status, answer)] = post_all(app, [(workload.path, workload.resync_bytes())])
    assert status == 200, answer[:500]
    body = jsonio.loads(answer)
    assert set(body) == KEYS
    assert body["children"]
    conditions = {c["type"]: c["status"] for c in body["status"]["conditions"]}
    assert conditions["Ready"] == "True"
    # Steady: every child the hook wants is already observed.
    observed = {
        (obj["kind"], obj["metadata"]["name"])
        for objects in workload.body["children"].values()
        for obj in objects.values()
    }
    assert {(c["kind"], c["metadata"]["name"]) for c in body["children"]} <= observed


@pytest.mark.parametrize("index", [0, 1, 2], ids=["cluster-4", "cluster-12", "table"])
def test_change_requests_differ_and_are_answered_200(
    workloads: list[Workload], app: FastAPI, index: int
) -> None:
    workload = workloads[index]
    assert workload.change_template.count(VARY_MARKER.encode()) == 1
    first, second = workload.change_bytes(1_000_001), workload.change_bytes(1_000_002)
    assert first != second
    assert jsonio.loads(first)["parent"]["metadata"] == workload.body["parent"]["metadata"]
    answers = post_all(app, [(workload.path, first), (workload.path, second)])
    assert [status for status, _ in answers] == [200, 200], answers[0][1][:500]
    assert set(jsonio.loads(answers[0][1])) == KEYS
    assert answers[0][1] != answers[1][1]


@pytest.mark.parametrize("index", [0, 1, 2], ids=["cluster-4", "cluster-12", "table"])
def test_child_change_requests_differ_in_one_childs_resource_version_only(
    workloads: list[Workload], app: FastAPI, index: int
) -> None:
    workload = workloads[index]
    assert workload.child_template.count(VARY_MARKER.encode()) == 1
    first, second = workload.varied_bytes("child", 1_000_001), workload.varied_bytes("child", 1_000_002)
    versions = [
        (kind, name)
        for kind, objects in jsonio.loads(first)["children"].items()
        for name, child in objects.items()
        if child["metadata"]["resourceVersion"] == "1000001"
    ]
    assert len(versions) == 1
    assert first.replace(b'"1000001"', b'"481517"') == workload.resync_bytes()
    answers = post_all(
        app, [(workload.path, workload.resync_bytes()), (workload.path, first), (workload.path, second)]
    )
    assert [status for status, _ in answers] == [200, 200, 200], answers[1][1][:500]
    assert answers[1][1] == answers[2][1] == answers[0][1]  # the hook reads no resourceVersion


def test_floor_answers_with_the_precomputed_body(workloads: list[Workload]) -> None:
    payload = b'{"status": {}, "children": [], "resyncAfterSeconds": 0, "finalized": false}'
    floor = create_floor_app({"/floor/cluster-4/resync": payload})
    assert post_all(floor, [("/floor/cluster-4/resync", workloads[0].resync_bytes())]) == [(200, payload)]


def test_request_path_does_no_forbidden_work(workloads: list[Workload]) -> None:
    warmup = [(w.path, w.resync_bytes()) for w in workloads]
    measured = [(w.path, w.change_bytes(7)) for w in workloads] + warmup
    assert request_path_work(create_app(), warmup, measured) == {what: 0 for what in FORBIDDEN}


def test_the_counter_sees_template_compilation_and_yaml() -> None:
    import jinja2
    import yaml

    def forbidden() -> None:
        jinja2.Environment().from_string("{{ x }}").render(x=1)
        yaml.safe_load("a: 1")

    counts = count_forbidden(forbidden)
    assert counts["Jinja2 template compilation"] == 1
    assert counts["YAML parsing"] > 0


def test_pooled_quantile_weights_blocks_by_their_requests() -> None:
    fast = Block(requests=9000, seconds=1.0, quantiles_us=(1000,) * QUANTILES, errors=0)
    slow = Block(requests=1000, seconds=1.0, quantiles_us=(9000,) * QUANTILES, errors=0)
    assert pooled_quantile([fast, slow], 0.5) == 1000
    assert pooled_quantile([fast, slow], 0.89) == 1000
    assert pooled_quantile([fast, slow], 0.95) == 9000


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> scale.Fleet:
    return scale.build_fleet(tmp_path_factory.mktemp("fleet"), clusters=3, tables=7)


def _fleet_requests(fleet: scale.Fleet) -> list[tuple[str, bytes]]:
    data = fleet.bodies.read_bytes()
    requests = []
    for line in fleet.index.read_text().splitlines():
        kind, offset, length = line.split()
        path = "/sync/pinotcluster" if kind == "cluster" else "/sync/pinottable"
        requests.append((path, data[int(offset) : int(offset) + int(length)]))
    return requests


def test_the_fleet_is_distinct_settled_parents(fleet: scale.Fleet) -> None:
    requests = _fleet_requests(fleet)
    assert [path for path, _ in requests].count("/sync/pinotcluster") == 3
    assert len(requests) == fleet.parents == 10
    parents = {jsonio.loads(body)["parent"]["metadata"]["name"] for _, body in requests}
    assert len(parents) == 10
    answers = post_all(create_app(), requests)
    assert {status for status, _ in answers} == {200}
    for (path, body), (_, answer) in zip(requests, answers, strict=True):
        reply = jsonio.loads(answer)
        conditions = {c["type"]: c["status"] for c in reply["status"]["conditions"]}
        assert conditions["Ready"] == "True", (path, reply["status"])
        observed = jsonio.loads(body)["children"]
        names = {obj["metadata"]["name"] for objects in observed.values() for obj in objects.values()}
        assert {c["metadata"]["name"] for c in reply["children"]} <= names  # a steady state


def test_every_cache_of_the_hook_server_is_bounded() -> None:
    bounds = scale.cache_bounds()
    assert len(bounds) > 10
    assert [b.name for b in bounds if not b.bounded] == []


def test_an_unbounded_cache_would_be_reported() -> None:
    import functools

    @functools.cache
    def anything(key: str) -> str:
        return key

    assert not scale._lru_bound("example.anything", anything).bounded


@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed")
def test_wrk_sends_the_fleet_round_robin(fleet: scale.Fleet) -> None:
    from bench.run import wrk_fleet
    from tests.conftest import serve

    for url in serve(create_app()):
        block = wrk_fleet(url, 1, fleet, 0, ("/sync/pinotcluster", "/sync/pinottable"), None)
        assert block.requests > fleet.parents
        assert block.errors == 0


def test_the_page_states_the_scale_and_load_targets() -> None:
    from bench.load import ProbeStats
    from bench.report import MB, LoadRow, Measure, ScaleRow, markdown, memory_limit_mib

    block = Block(requests=1000, seconds=1.0, quantiles_us=(1000,) * QUANTILES, errors=0)
    measure = Measure.pool([block], 150 * MB)
    fleet_row = ScaleRow(1000, 10_000, 300 * MB, measure, measure, 12.5, 2.0)
    probes = ProbeStats(count=100, failures=0, p50_ms=2.0, p99_ms=10.0, max_ms=20.0)
    closed = {"connections": 200, "statuses": {"408": 200}, "closed": 200, "lastClosedAfter": 5.0}
    loop = ProbeStats(count=90, failures=3, p50_ms=40.0, p99_ms=900.0, max_ms=1000.0)
    load_rows = [LoadRow("idle", {}, probes, 60 * MB), LoadRow("slowloris", closed, probes, 62 * MB, loop)]

    text = markdown([], "method", 1.0, False, (), (), ("", ""), fleet_row, load_rows, scale.cache_bounds())

    assert "## Scale" in text and "## Load test" in text and "## Caches" in text
    assert "| scale: hook peak RSS under 200 MB | 150 MB | yes |" in text
    assert (
        "| slowloris: every connection closed within 7 s | 200 of 200, the last after 5.0 s | yes |" in text
    )
    assert "| 0 of 100 | - | 60 |" in text  # the loop's /healthz was not asked
    assert "| 0 of 100 | 40.0 / 900.0 / 1000.0, 3 failed | 62 |" in text
    limit = f"{memory_limit_mib():.0f} MiB"
    assert f"| idle: peak RSS under the Deployment's memory limit ({limit}) | 60 MB | yes |" in text
    assert "`hooks.cluster.rendering.MEMO` | 512 + 16 entries (memo)" in text
