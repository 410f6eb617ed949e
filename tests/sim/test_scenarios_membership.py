"""Pool membership through Metacontroller, Kubernetes and the product's Jobs against a fake Pinot.

Two server pools of different tenants (`hot`, `cold`) each serve an OFFLINE table with segments in the
fake Pinot controller, whose instances follow the pods (`pinotmirror`). Every membership Job runs the
product's CLI in-process against it. Each test checks what the issue of pool membership asks: segments
move before a pod goes, replicas drop one server at a time only once Pinot reports the instances
empty, instances are dropped after their pods are gone, and status says where things stand. Every
sync is also checked by the invariants (fixed point, rollout order, immutable fields, conditions).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from hooks.app import create_app
from tests.sim import invariants, specs
from tests.sim.hookclient import HookClient
from tests.sim.pinotmirror import instance_id
from tests.sim.world import Simulation
from tests.support.fake_pinot import FakePinot

JsonObject = dict[str, Any]
FORCE = "pinot.controlplane.dev/force-scale-in"


def pools(hot: int = 2, cold: int = 1, **extra: JsonObject) -> list[JsonObject]:
    found = [
        specs.pool("controllers", "controller"),
        specs.pool("brokers", "broker", 1),
        specs.pool("hot", "server", hot, tenant="hot"),
        specs.pool("cold", "server", cold, tenant="cold"),
        specs.pool("minions", "minion", 1),
    ]
    return found + list(extra.values())


def server(pool: str, ordinal: int) -> str:
    return instance_id("server", f"pinot-{pool}-{ordinal}", f"pinot-{pool}-headless", specs.NAMESPACE)


def add_table(pinot: FakePinot, raw: str, tenant: str, replication: int, segments: int) -> None:
    pinot.schemas[raw] = {"schemaName": raw, "dimensionFieldSpecs": [{"name": "id", "dataType": "INT"}]}
    pinot.tables[raw, "OFFLINE"] = {
        "tableName": f"{raw}_OFFLINE",
        "tableType": "OFFLINE",
        "segmentsConfig": {"replication": str(replication)},
        "tenants": {"server": tenant, "broker": "DefaultTenant"},
        "tableIndexConfig": {},
    }
    pinot.serve(raw, "OFFLINE")
    pinot.add_segments(raw, "OFFLINE", segments)


def segments(pinot: FakePinot, pool: str, count: int) -> list[int]:
    return [pinot.segments_on(server(pool, k)) for k in range(count)]


def pinot_of(sim: Simulation) -> FakePinot:
    assert sim.pinot is not None
    return sim.pinot


def pool_status(sim: Simulation, name: str) -> JsonObject:
    return next(p for p in specs.live(sim)["status"]["pools"] if p["name"] == name)


def replicas(sim: Simulation, pool: str) -> int:
    sts = specs.statefulset(sim, pool)
    assert sts is not None
    return int(sts["spec"]["replicas"])


def jobs(sim: Simulation, pool: str) -> list[str]:
    return sorted(
        j["metadata"]["name"].rsplit("-", 1)[0]
        for j in sim.api.list("batch/v1", "Job", specs.NAMESPACE)
        if (j["metadata"].get("labels") or {}).get("pinot.controlplane.dev/membership-pool") == pool
    )


class PodsGoEmpty:
    """Checks, whenever a server pod is gone for good (its ordinal beyond its StatefulSet's replicas),
    that Pinot held nothing on its instance any more."""

    def __init__(self, sim: Simulation) -> None:
        self.sim = sim
        self.seen: set[str] = set()
        self.gone: list[str] = []

    def __call__(self, sim: Simulation) -> None:
        now = {
            p["metadata"]["name"]
            for p in sim.api.peek("v1", "Pod", specs.NAMESPACE)
            if (p["metadata"].get("labels") or {}).get("pinot.controlplane.dev/role") == "server"
        }
        for pod in sorted(self.seen - now):
            pool, ordinal = pod.removeprefix("pinot-").rsplit("-", 1)
            sts = specs.statefulset(sim, pool)
            if sts is not None and int(ordinal) < int(sts["spec"]["replicas"]):
                continue  # restarted by a rollout: the StatefulSet controller brings it back
            held = pinot_of(sim).segments_on(server(pool, int(ordinal)))
            assert held == 0, f"pod {pod} went while Pinot still had {held} segments on it"
            self.gone.append(pod)
        self.seen = now


@pytest.fixture(params=["0.11", "1.3"])
def world(request: pytest.FixtureRequest) -> Iterator[Simulation]:
    pinot = FakePinot(brokers=0, servers=0, version=request.param)
    with Simulation(pinot=pinot) as sim:
        invariants.install(sim)
        sim.apply(specs.cluster(pools()))
        sim.run_until(lambda: specs.is_ready(sim), 30)
        add_table(pinot, "events", "hot", 1, 6)
        add_table(pinot, "archive", "cold", 1, 2)
        yield sim
        assert sim.hook_errors == [], [r.error for r in sim.hook_errors]
        assert sim.failed_writes() == []


def test_pools_carry_their_tenants_tags_in_pinot(world: Simulation) -> None:
    pinot = pinot_of(world)
    assert pinot.instances[server("hot", 1)] == {"hot_OFFLINE", "hot_REALTIME"}
    assert pinot.instances[server("cold", 0)] == {"cold_OFFLINE", "cold_REALTIME"}
    broker = instance_id("broker", "pinot-brokers-0", "pinot-brokers-headless", specs.NAMESPACE)
    assert pinot.instances[broker] == {"DefaultTenant_BROKER"}  # no tenant named: Pinot's own
    hot = pool_status(world, "hot")["pinot"]
    assert (hot["phase"], hot["view"]["registered"], hot["view"]["tagged"]) == ("Settled", 2, 2)


def test_scale_out_tags_the_new_server_and_rebalances_before_the_pool_is_ready(world: Simulation) -> None:
    pinot = pinot_of(world)
    obj = specs.live(world)
    assert segments(pinot, "hot", 2) == [3, 3]
    world.apply(specs.edit_pool(obj, "hot", replicas=3))
    seen: list[tuple[str, str, str]] = []
    while not specs.is_ready(world):
        entry = pool_status(world, "hot")
        progressing = specs.condition(world, "Progressing") or {}
        seen.append((entry["state"], entry.get("pinot", {}).get("phase", ""), progressing.get("reason", "")))
        assert world.api.step < 60
        world.step()
    assert ("RollingOut", "Tagging", "Tagging") in seen
    assert ("RollingOut", "Rebalancing", "Rebalancing") in seen
    assert pinot.instances[server("hot", 2)] == {"hot_OFFLINE", "hot_REALTIME"}
    assert segments(pinot, "hot", 3) == [2, 2, 2]
    assert pool_status(world, "hot")["pinot"]["view"]["holdingSegments"] == 3


def test_scale_in_drains_first_then_removes_one_server_at_a_time_then_drops(world: Simulation) -> None:
    pinot = pinot_of(world)
    obj = specs.live(world)
    world.apply(specs.edit_pool(obj, "hot", replicas=4))
    world.run_until(lambda: specs.is_ready(world), 20)
    watcher = PodsGoEmpty(world)
    world.settle_hooks.append(watcher)
    watcher(world)
    lowered: list[int] = []

    def record(sim: Simulation) -> None:
        if not lowered or lowered[-1] != replicas(sim, "hot"):
            lowered.append(replicas(sim, "hot"))

    world.settle_hooks.append(record)
    world.apply(specs.edit_pool(obj, "hot", replicas=1))
    assert replicas(world, "hot") == 4  # nothing goes before Pinot has let go
    assert (specs.condition(world, "Progressing") or {})["reason"] == "Draining"
    world.run_until(lambda: specs.is_ready(world), 20)

    assert lowered == [4, 3, 2, 1]
    assert watcher.gone == ["pinot-hot-3", "pinot-hot-2", "pinot-hot-1"]
    assert segments(pinot, "hot", 1) == [6]
    assert pinot.unserved_moves("events_OFFLINE") == []  # a spare copy each while they moved
    assert pinot.tables["events", "OFFLINE"]["segmentsConfig"]["replication"] == "1"
    assert [server("hot", k) in pinot.instances for k in range(4)] == [True, False, False, False]
    assert jobs(world, "hot") == ["pinot-hot-move", "pinot-hot-tag"]  # the drain and drop are done with


def test_renaming_a_pool_moves_its_segments_to_the_new_one_and_drops_the_old(world: Simulation) -> None:
    pinot = pinot_of(world)
    renamed = [p if p["name"] != "hot" else {**p, "name": "hot2"} for p in pools()]
    watcher = PodsGoEmpty(world)
    world.settle_hooks.append(watcher)
    watcher(world)
    world.apply(specs.cluster(renamed))
    drained_before_joined = False
    while not specs.is_ready(world):
        removed = specs.live(world)["status"].get("removedPools") or []
        hot2 = next((p for p in specs.live(world)["status"]["pools"] if p["name"] == "hot2"), {})
        if (
            removed
            and removed[0]["phase"] in ("Dropping",)
            and hot2.get("pinot", {}).get("phase") != "Settled"
        ):
            drained_before_joined = True
        assert world.api.step < 80
        world.step()
    assert not drained_before_joined
    assert sorted(watcher.gone) == ["pinot-hot-0", "pinot-hot-1"]
    assert segments(pinot, "hot2", 2) == [3, 3]
    assert pinot.unserved_moves("events_OFFLINE") == []
    assert not [i for i in pinot.instances if "pinot-hot-" in i]
    assert specs.statefulset(world, "hot") is None


def broker(pool: str, ordinal: int) -> str:
    return instance_id("broker", f"pinot-{pool}-{ordinal}", f"pinot-{pool}-headless", specs.NAMESPACE)


def test_removing_pools_drains_them_takes_brokers_out_first_and_drops_their_instances(
    world: Simulation,
) -> None:
    pinot = pinot_of(world)
    extra = {
        "warm": specs.pool("warm", "server", 1, tenant="hot"),
        "edge": specs.pool("edge", "broker", 1),
    }
    world.apply(specs.cluster(pools(**extra)))
    world.run_until(lambda: specs.is_ready(world), 30)
    pinot.serve("events", "OFFLINE")  # the new broker joins the table's broker set
    assert segments(pinot, "warm", 1) == [2]
    assert broker("edge", 0) in pinot.membership.broker_resource["events_OFFLINE"]
    watcher = PodsGoEmpty(world)
    world.settle_hooks.append(watcher)
    watcher(world)
    routed_when_gone: list[bool] = []

    def edge_pod(sim: Simulation) -> None:
        pods = {p["metadata"]["name"] for p in sim.api.peek("v1", "Pod", specs.NAMESPACE)}
        if "pinot-edge-0" not in pods and not routed_when_gone:
            routed_when_gone.append(broker("edge", 0) in pinot.membership.broker_resource["events_OFFLINE"])

    world.settle_hooks.append(edge_pod)
    world.apply(specs.cluster(pools()))
    assert specs.statefulset(world, "warm") is not None  # kept until Pinot let go of it
    removed = {p["name"]: p for p in specs.live(world)["status"].get("removedPools") or []}
    assert set(removed) == {"warm", "edge"}
    world.run_until(lambda: specs.is_ready(world) and not specs.live(world)["status"].get("removedPools"), 40)

    assert watcher.gone == ["pinot-warm-0"]
    assert routed_when_gone == [False]  # out of the broker resource before its pod went
    assert segments(pinot, "hot", 2) == [3, 3]
    assert pinot.unserved_moves("events_OFFLINE") == []
    assert server("warm", 0) not in pinot.instances and broker("edge", 0) not in pinot.instances
    assert specs.statefulset(world, "warm") is None and specs.statefulset(world, "edge") is None


def test_pools_scaled_to_zero_are_drained_and_dropped_and_keep_their_statefulsets(world: Simulation) -> None:
    """The answer that deletes a pool's drain and drop Jobs shows no Job: every sync stays at a fixed
    point (the world's invariants), and the pools, still in the spec, keep their StatefulSets."""
    pinot = pinot_of(world)
    extra = {
        "warm": specs.pool("warm", "server", 1, tenant="hot"),
        "edge": specs.pool("edge", "broker", 1),
    }
    obj = specs.cluster(pools(**extra))
    world.apply(obj)
    world.run_until(lambda: specs.is_ready(world), 30)
    assert segments(pinot, "warm", 1) == [2]
    watcher = PodsGoEmpty(world)
    world.settle_hooks.append(watcher)
    watcher(world)

    world.apply(specs.edit_pool(specs.edit_pool(obj, "warm", replicas=0), "edge", replicas=0))
    world.run_until(lambda: specs.is_ready(world) and not jobs(world, "warm") + jobs(world, "edge"), 40)

    assert watcher.gone == ["pinot-warm-0"]
    assert segments(pinot, "hot", 2) == [3, 3]
    assert server("warm", 0) not in pinot.instances and broker("edge", 0) not in pinot.instances
    for name in ("warm", "edge"):
        assert replicas(world, name) == 0
        assert pool_status(world, name)["pinot"] == {"phase": "Settled", "message": "no instance"}


def test_a_scale_in_below_a_tables_replication_is_refused_until_forced(world: Simulation) -> None:
    pinot = pinot_of(world)
    obj = specs.live(world)
    world.apply(specs.edit_pool(obj, "cold", replicas=2))
    world.run_until(lambda: specs.is_ready(world), 20)
    add_table(pinot, "ledger", "cold", 2, 2)

    world.apply(specs.edit_pool(obj, "cold", replicas=1))
    world.step(3)
    degraded = specs.condition(world, "Degraded") or {}
    assert (degraded["status"], degraded["reason"]) == ("True", "ScaleInBlocked")
    assert "ledger_OFFLINE needs 2 instance(s) tagged cold_OFFLINE and 1 would remain" in degraded["message"]
    assert "retrying at" in degraded["message"]
    assert (specs.condition(world, "Ready") or {})["status"] == "False"
    entry = pool_status(world, "cold")
    assert (entry["state"], entry["pinot"]["phase"]) == ("Degraded", "Blocked")
    assert replicas(world, "cold") == 2
    assert pinot.instances[server("cold", 1)] == {"cold_OFFLINE", "cold_REALTIME"}

    forced = specs.edit_pool(obj, "cold", replicas=1)
    forced["metadata"]["annotations"] = {FORCE: "cold"}
    world.apply(forced)
    world.run_until(lambda: specs.is_ready(world), 20)
    assert replicas(world, "cold") == 1
    assert segments(pinot, "cold", 1) == [4]
    # What the force cost stays visible: the table Pinot cannot spread is named.
    degraded = specs.condition(world, "Degraded") or {}
    assert (degraded["status"], degraded["reason"]) == ("True", "TablesUnderReplicated")
    assert (
        "ledger_OFFLINE: cannot be spread: it needs 2 instance(s) tagged cold_OFFLINE, 1 carry it"
        in degraded["message"]
    )


def test_a_failed_membership_job_is_reported_and_retried(world: Simulation) -> None:
    pinot = pinot_of(world)
    obj = specs.live(world)
    pinot.fail_next(50, status=500, path="/tables/events/rebalance")
    world.apply(specs.edit_pool(obj, "hot", replicas=3))
    world.run_until(lambda: (specs.condition(world, "Degraded") or {}).get("status") == "True", 10)
    degraded = specs.condition(world, "Degraded") or {}
    assert degraded["reason"] == "PinotError"
    assert "injected fault: HTTP 500" in degraded["message"]
    assert "retrying at" in degraded["message"]
    pinot.faults.clear()
    world.run_until(lambda: specs.is_ready(world), 12)
    assert segments(pinot, "hot", 3) == [2, 2, 2]


def test_paused_during_a_drain_holds_everything_and_resumes(world: Simulation) -> None:
    pinot = pinot_of(world)
    obj = specs.live(world)
    shrink = specs.edit_pool(obj, "hot", replicas=1)
    world.apply(shrink)
    assert jobs(world, "hot") == ["pinot-hot-drain"]
    world.apply(specs.with_spec(shrink, paused=True))
    world.step(5)
    assert replicas(world, "hot") == 2  # the drain finished, but nothing moves while paused
    assert segments(pinot, "hot", 2) == [6, 0]
    paused = specs.condition(world, "Paused") or {}
    assert paused["status"] == "True"
    world.apply(specs.with_spec(shrink, paused=False))
    world.run_until(lambda: specs.is_ready(world), 10)
    assert replicas(world, "hot") == 1
    assert server("hot", 1) not in pinot.instances


def test_a_hook_restarted_in_the_middle_of_a_drain_carries_on_from_what_it_observes(
    world: Simulation,
) -> None:
    pinot = pinot_of(world)
    obj = specs.live(world)
    world.apply(specs.edit_pool(obj, "hot", replicas=1))
    created = [w.key.name for w in world.api.writes if w.verb == "create" and w.key.kind == "Job"]
    # A new hook process: nothing remembered, same answers from the same observations.
    fresh = create_app(clock=world.clock.now)
    world.client = world.metacontroller.client = HookClient(fresh)
    world.run_until(lambda: specs.is_ready(world), 12)
    again = [w.key.name for w in world.api.writes if w.verb == "create" and w.key.kind == "Job"]
    drains = [name for name in again if "-drain-" in name]
    assert len(drains) == 1 and drains[0] in created  # the drain ran once, not again
    assert replicas(world, "hot") == 1
    assert segments(pinot, "hot", 1) == [6]


def test_a_scale_in_asked_with_a_version_change_drains_first_and_rolls_what_is_left(
    world: Simulation,
) -> None:
    """Both at once: the drain runs beside the controllers' and brokers' upgrade (Pinot moves segments
    among the old servers, keeping every copy until its new one serves), the servers then roll with the
    pods that are left, and no server pod goes while it holds segments."""
    pinot = pinot_of(world)
    obj = specs.live(world)
    watcher = PodsGoEmpty(world)
    world.settle_hooks.append(watcher)
    watcher(world)
    seen: list[tuple[str, str, int, tuple[str, ...]]] = []

    def record(sim: Simulation) -> None:
        hot = pool_status(sim, "hot")
        images = tuple(
            specs.pod_image(p)
            for p in sorted(sim.api.peek("v1", "Pod", specs.NAMESPACE), key=lambda p: p["metadata"]["name"])
            if (p["metadata"].get("labels") or {}).get("pinot.controlplane.dev/pool") == "hot"
        )
        progressing = (specs.condition(sim, "Progressing") or {}).get("reason", "")
        entry = (progressing, hot.get("pinot", {}).get("phase", ""), replicas(sim, "hot"), images)
        if not seen or seen[-1] != entry:
            seen.append(entry)

    world.settle_hooks.append(record)
    world.apply(specs.edit_pool(specs.with_spec(obj, image="apachepinot/pinot:1.3.0"), "hot", replicas=1))
    world.run_until(lambda: specs.is_ready(world), 80)

    old, new = ("apachepinot/pinot:1.2.0",), ("apachepinot/pinot:1.3.0",)
    # The drain and the drop happen while the servers still run 1.2.0; one pod is left to roll.
    assert ("UpgradingControllers", "Draining", 2, old * 2) in seen
    assert [entry[3] for entry in seen if entry[1] == "Dropping"] == [old]
    assert seen[-1] == ("Complete", "Settled", 1, new)
    assert watcher.gone == ["pinot-hot-1"]
    assert segments(pinot, "hot", 1) == [6]
    assert pinot.unserved_moves("events_OFFLINE") == []
    assert server("hot", 1) not in pinot.instances
    hot = pool_status(world, "hot")
    assert (hot["runningVersion"], hot["desiredVersion"]) == ("1.3.0", "1.3.0")


def test_a_scale_in_asked_while_the_servers_upgrade_waits_for_ready_pods_and_loses_nothing(
    world: Simulation,
) -> None:
    pinot = pinot_of(world)
    upgraded = specs.with_spec(specs.live(world), image="apachepinot/pinot:1.3.0")
    world.apply(upgraded)
    world.run_until(
        lambda: (specs.condition(world, "Progressing") or {}).get("reason") == "UpgradingServers", 30
    )
    assert pool_status(world, "hot")["state"] == "RollingOut"
    watcher = PodsGoEmpty(world)
    world.settle_hooks.append(watcher)
    watcher(world)
    world.apply(specs.edit_pool(upgraded, "hot", replicas=1))
    world.run_until(lambda: specs.is_ready(world), 80)
    assert watcher.gone == ["pinot-hot-1"]
    assert segments(pinot, "hot", 1) == [6]
    assert pinot.unserved_moves("events_OFFLINE") == []
    assert server("hot", 1) not in pinot.instances
    assert {p["runningVersion"] for p in specs.live(world)["status"]["pools"]} == {"1.3.0"}


def test_a_scale_in_waits_while_a_refused_version_change_holds_the_pool(world: Simulation) -> None:
    """A refused version change keeps the pools' StatefulSets as observed, so their pods cannot go:
    their instances are not drained either, until the change is taken back (or allowed)."""
    pinot = pinot_of(world)
    obj = specs.live(world)
    refused = specs.edit_pool(specs.with_spec(obj, image="apachepinot/pinot:1.5.1"), "hot", replicas=1)
    world.apply(refused)
    world.step(10)
    assert (specs.condition(world, "Degraded") or {}).get("reason") == "UntestedVersionJump"
    hot = pool_status(world, "hot")
    assert (hot["state"], hot["pinot"]["phase"], replicas(world, "hot")) == ("Waiting", "Settled", 2)
    assert jobs(world, "hot") == ["pinot-hot-move", "pinot-hot-tag"]  # no drain
    assert segments(pinot, "hot", 2) == [3, 3]
    assert pinot.instances[server("hot", 1)] == {"hot_OFFLINE", "hot_REALTIME"}

    world.apply(specs.edit_pool(obj, "hot", replicas=1))  # the version taken back, the scale-in kept
    world.run_until(lambda: specs.is_ready(world), 30)
    assert replicas(world, "hot") == 1
    assert segments(pinot, "hot", 1) == [6]
    assert server("hot", 1) not in pinot.instances
