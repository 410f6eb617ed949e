"""Pool membership against a real Pinot, carried out from the PinotCluster hook's own answers.

In file order on one cluster (`conftest.CLUSTER`): the pools join with their tenants; an OFFLINE table
per tenant gets segments from Pinot's own tools; the `hot` pool grows (segments move to the new server)
and shrinks while a query loop counts rows (every answer whole); a scale-in below a table's
replication is refused; the `cold` pool is renamed (its segments move to the new pool, its instances
leave Helix). Pinot is read back through its REST API after each step.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from ..documents import example_spec, schema_spec, table_spec
from ..jobs import JobRunner
from .data import QueryLoop, load_segments, schema, table, wait_online
from .driver import HookDriver

HOT, COLD = "events", "archive"
SEGMENTS = 4
ROWS: dict[str, int] = {}


def get(driver: HookDriver, path: str, **params: str) -> Any:
    reply = httpx.get(f"{driver.controller_url}{path}", params=params, timeout=30)
    assert reply.status_code == 200, f"GET {path}: {reply.status_code} {reply.text}"
    return reply.json()


def instances(driver: HookDriver) -> list[str]:
    found: list[str] = get(driver, "/instances")["instances"]
    return found


def tags(driver: HookDriver, instance: str) -> set[str]:
    return set(get(driver, f"/instances/{instance}")["tags"])


def holders(driver: HookDriver, name: str, view: str = "idealstate") -> dict[str, int]:
    """Segments per instance in the table's ideal state (or external view)."""
    held: dict[str, int] = {}
    for states in (get(driver, f"/tables/{name}/{view}", tableType="offline")["OFFLINE"] or {}).values():
        for instance in states:
            held[instance] = held.get(instance, 0) + 1
    return held


def count(driver: HookDriver, name: str) -> int:
    body = httpx.post(
        f"{driver.broker_url}/query/sql", json={"sql": f"SELECT COUNT(*) FROM {name}"}, timeout=30
    ).json()
    assert body.get("exceptions") == [], body
    return int(body["resultTable"]["rows"][0][0])


def replicas(driver: HookDriver, pool: str, n: int) -> None:
    def change(cluster: dict[str, Any]) -> None:
        for entry in cluster["spec"]["pools"]:
            if entry["name"] == pool:
                entry["replicas"] = n

    driver.edit(change)


def test_the_pools_join_pinot_with_their_tenants(driver: HookDriver) -> None:
    driver.ready()

    hot, cold = driver.pod("hot", 0).instance, driver.pod("cold", 0).instance
    assert tags(driver, hot) == {"hot_OFFLINE", "hot_REALTIME"}
    assert tags(driver, cold) == {"cold_OFFLINE", "cold_REALTIME"}
    assert tags(driver, driver.pod("brokers", 0).instance) == {"DefaultTenant_BROKER"}  # names no tenant
    assert [r.outcome["reason"] for r in driver.jobs("hot", "tag")] == ["Tagged"]
    assert [r.outcome["reason"] for r in driver.jobs("hot", "move")] == ["Balanced"]  # no table yet
    status = driver.pool_status("hot")["pinot"]
    assert (status["phase"], status["view"]["registered"], status["view"]["tagged"]) == ("Settled", 1, 1)


def test_each_tenants_table_lands_on_its_pool(driver: HookDriver, jobs: JobRunner, classpath: str) -> None:
    for name, tenant in ((HOT, "hot"), (COLD, "cold")):
        assert jobs.apply("schema", schema_spec(schema(name))).reason == "Created"
        assert jobs.apply("table", table_spec(table(name, tenant, 1))).reason == "Created"
        ROWS[name] = load_segments(
            classpath, driver.workdir, driver.first("controller").overlaid.port, name, tenant, 1, SEGMENTS
        )
        wait_online(driver.controller_url, name, 1, SEGMENTS)

    assert holders(driver, HOT) == {driver.pod("hot", 0).instance: SEGMENTS}
    assert holders(driver, COLD) == {driver.pod("cold", 0).instance: SEGMENTS}
    assert count(driver, HOT) == ROWS[HOT] == SEGMENTS * 100


def test_scale_out_tags_the_new_server_and_moves_segments_onto_it(driver: HookDriver) -> None:
    replicas(driver, "hot", 2)
    driver.ready()

    new = driver.pod("hot", 1).instance
    assert tags(driver, new) == {"hot_OFFLINE", "hot_REALTIME"}
    assert holders(driver, HOT) == {driver.pod("hot", 0).instance: SEGMENTS // 2, new: SEGMENTS // 2}
    assert holders(driver, HOT, "externalview") == holders(driver, HOT)
    assert [r.outcome["reason"] for r in driver.jobs("hot", "move")][-1] == "Rebalanced"
    phases = [
        p.get("pinot", {}).get("phase") for s in driver.history for p in s["pools"] if p["name"] == "hot"
    ]
    assert "Tagging" in phases and "Rebalancing" in phases
    assert count(driver, HOT) == ROWS[HOT]


def test_scale_in_drains_before_the_pod_goes_and_every_query_answers_in_full(driver: HookDriver) -> None:
    leaving = driver.pod("hot", 1).instance
    replicas(driver, "hot", 1)
    with QueryLoop(driver.broker_url, HOT) as loop:
        driver.ready()

    drained = driver.jobs("hot", "drain")
    assert [r.outcome["reason"] for r in drained] == ["Drained"]
    assert [r.outcome["reason"] for r in driver.jobs("hot", "drop")] == ["Dropped"]
    assert ("hot", 1) not in driver.pods
    assert leaving not in instances(driver)
    assert holders(driver, HOT) == {driver.pod("hot", 0).instance: SEGMENTS}
    assert len(loop.answers) > 10
    short = [a for a in loop.answers if a.count != ROWS[HOT] or not a.whole]
    assert short == [], f"{len(short)} of {len(loop.answers)} answers were short: {short[:5]}"


def test_a_scale_in_that_would_leave_a_table_without_servers_is_refused(driver: HookDriver) -> None:
    cold = driver.pod("cold", 0).instance
    replicas(driver, "cold", 0)
    driver.run_until(
        lambda answer: any(
            c["type"] == "Degraded" and c["status"] == "True" for c in answer["status"]["conditions"]
        ),
        rounds=20,
    )

    degraded = driver.condition("Degraded")
    assert degraded["reason"] == "ScaleInBlocked"
    assert f"{COLD}_OFFLINE needs 1 instance(s) tagged cold_OFFLINE and 0 would remain" in degraded["message"]
    assert ("cold", 0) in driver.pods
    assert tags(driver, cold) == {"cold_OFFLINE", "cold_REALTIME"}
    assert holders(driver, COLD) == {cold: SEGMENTS}
    assert count(driver, COLD) == ROWS[COLD]
    replicas(driver, "cold", 1)
    driver.ready()


def test_renaming_a_pool_moves_its_segments_and_drops_its_instances(driver: HookDriver) -> None:
    old = driver.pod("cold", 0).instance

    def rename(cluster: dict[str, Any]) -> None:
        for entry in cluster["spec"]["pools"]:
            if entry["name"] == "cold":
                entry["name"] = "cold2"

    driver.edit(rename)
    with QueryLoop(driver.broker_url, COLD) as loop:
        driver.ready()

    new = driver.pod("cold2", 0).instance
    assert ("cold", 0) not in driver.pods
    assert old not in instances(driver)
    assert tags(driver, new) == {"cold_OFFLINE", "cold_REALTIME"}
    assert holders(driver, COLD) == {new: SEGMENTS}
    assert "removedPools" not in driver.cluster["status"]
    short = [a for a in loop.answers if a.count != ROWS[COLD] or not a.whole]
    assert short == [], f"{len(short)} of {len(loop.answers)} answers were short: {short[:5]}"


@pytest.fixture(autouse=True)
def _no_dead_processes(driver: HookDriver) -> None:
    dead = [pod.name for pod in driver.pods.values() if not pod.process.alive()]
    assert dead == [], dead


def test_the_tiering_guides_table_is_accepted_on_the_pools_tenants(
    driver: HookDriver, jobs: JobRunner
) -> None:
    """docs/guide-tiering.md's schema and table, applied with the product's Jobs: Pinot takes the tier
    on the cold pool's tag (it refuses a tier tag no instance carries)."""
    assert jobs.apply("schema", example_spec("schema-metrics.yaml")).reason == "Created"
    spec = example_spec("table-metrics-tiered.yaml")
    spec["table"]["metadata"] = {}  # 0.11 refuses a table config without it (documents.py)
    result = jobs.apply("table", spec)
    assert result.reason == "Created", result
    held = get(driver, "/tables/metrics", type="offline")["OFFLINE"]
    assert held["tenants"]["server"] == "hot"
    assert [t["serverTag"] for t in held["tierConfigs"]] == ["cold_OFFLINE"]
