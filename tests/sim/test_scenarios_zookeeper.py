"""A managed ZooKeeper ensemble through Metacontroller, the API server and the StatefulSet controller.

The invariants of `invariants` run after every sync, with the ensemble first in the rollout order.
"""

from __future__ import annotations

from typing import Any

from tests.sim import specs
from tests.sim.conftest import MakeSim
from tests.sim.controllers import REVISION_LABEL, pod_ready, ready_after
from tests.sim.test_scenarios_cluster import assert_clean, install, metacontroller_writes, partition
from tests.sim.world import Simulation

JsonObject = dict[str, Any]
ZK = "pinot-zookeeper"
NEW_PINOT = "apachepinot/pinot:1.3.0"
NEW_ZOOKEEPER = "zookeeper:3.9.4"


def managed(replicas: int = 3, **settings: Any) -> JsonObject:
    return specs.cluster(zookeeper={"managed": {"replicas": replicas, **settings}})


def ensemble(sim: Simulation) -> JsonObject | None:
    return sim.get("apps/v1", "StatefulSet", specs.NAMESPACE, ZK)


def ensemble_pods(sim: Simulation) -> list[JsonObject]:
    sts = ensemble(sim)
    return [] if sts is None else [sim.statefulsets.pods(sts)[n] for n in sorted(sim.statefulsets.pods(sts))]


def created_at(sim: Simulation) -> dict[str, int]:
    return {
        w.key.name: w.step
        for w in sim.api.writes
        if w.verb == "create" and w.key.kind == "StatefulSet" and w.actor == "metacontroller"
    }


def test_install_creates_the_ensemble_first_and_the_controller_once_it_is_ready(make_sim: MakeSim) -> None:
    # ZooKeeper servers take three steps to join their quorum; Pinot pods one.
    sim = make_sim(ready=ready_after(1, {ZK: 3}))
    sim.apply(managed())
    ensemble_ready_at = None
    while not specs.is_ready(sim):
        if ensemble_ready_at is None and len([p for p in ensemble_pods(sim) if pod_ready(p)]) == 3:
            ensemble_ready_at = sim.api.step
        if "pinot-controllers" not in created_at(sim):
            assert specs.statefulsets(sim) == {}, "a Pinot pool exists before the ensemble is ready"
        assert sim.api.step < 40
        sim.step()

    created = created_at(sim)
    assert created[ZK] == 0
    assert ensemble_ready_at is not None and created["pinot-controllers"] >= ensemble_ready_at
    assert created["pinot-brokers"] > created["pinot-controllers"]
    pools = specs.live(sim)["status"]["pools"]
    assert (pools[0]["name"], pools[0]["state"]) == ("zookeeper", "Ready")
    assert {p["state"] for p in pools} == {"Ready"}
    assert_clean(sim)


def test_an_image_change_of_the_ensemble_replaces_servers_one_at_a_time_before_any_pool(
    sim: Simulation,
) -> None:
    obj = install(sim, managed())
    changed = specs.with_spec(
        obj, image=NEW_PINOT, zookeeper={"managed": {"replicas": 3, "image": NEW_ZOOKEEPER}}
    )
    sim.apply(changed)

    replaced: list[str] = []  # ensemble pods in the order they came back with the new image
    ensemble_done_at = None
    while not specs.is_ready(sim):
        pods = ensemble_pods(sim)
        missing_or_unready = 3 - len([p for p in pods if pod_ready(p)])
        assert missing_or_unready <= 1, "two servers out of the quorum at once"
        for pod in pods:
            name = pod["metadata"]["name"]
            if specs.pod_image(pod) == NEW_ZOOKEEPER and name not in replaced:
                replaced.append(name)
        zk_done = len(replaced) == 3 and all(pod_ready(p) for p in pods)
        if zk_done and ensemble_done_at is None:
            ensemble_done_at = sim.api.step
        for pool_name, sts in specs.statefulsets(sim).items():
            images = {specs.pod_image(p) for p in specs.pods(sim, pool_name)}
            if ensemble_done_at is None:
                assert images == {specs.IMAGE}, f"{pool_name} rolled before the ensemble converged"
                assert partition(sts) == sts["spec"]["replicas"], f"{pool_name} is not held"
        assert sim.api.step < 60
        sim.step()

    assert replaced == [f"{ZK}-2", f"{ZK}-1", f"{ZK}-0"]
    assert all(
        specs.pod_image(p) == NEW_PINOT for name in specs.statefulsets(sim) for p in specs.pods(sim, name)
    )
    assert_clean(sim)


def test_the_ensemble_keeps_each_server_id_on_its_pod(sim: Simulation) -> None:
    install(sim, managed())
    sts = ensemble(sim)
    assert sts is not None
    config = sim.get("v1", "ConfigMap", specs.NAMESPACE, specs.pod_config_map(sim, ensemble_pods(sim)[0]))
    assert config is not None
    lines = [line for line in config["data"]["zoo.cfg"].splitlines() if line.startswith("server.")]
    hosts = [line.split("=", 1)[1].split(".", 1)[0] for line in lines]
    assert hosts == [p["metadata"]["name"] for p in ensemble_pods(sim)]  # server.n+1 is pod n
    assert {p["metadata"]["labels"][REVISION_LABEL] for p in ensemble_pods(sim)} == {
        sts["status"]["currentRevision"]
    }


def test_switching_a_running_cluster_to_a_managed_ensemble_is_refused(sim: Simulation) -> None:
    obj = install(sim)
    since = len(sim.api.writes)
    sim.apply(specs.with_spec(obj, zookeeper={"managed": {"replicas": 3}}))
    sim.step(3)

    ready = specs.condition(sim, "Ready")
    assert ready is not None and ready["reason"] == "InvalidSpec"
    assert "spec.zookeeper.managed: this cluster's pools run on the external ZooKeeper" in ready["message"]
    assert ensemble(sim) is None
    assert metacontroller_writes(sim, since) == []  # every child kept exactly as it was
    assert_clean(sim)

    sim.apply(obj)  # back to the address: nothing was lost
    sim.run_until(lambda: specs.is_ready(sim), 5)
    assert ensemble(sim) is None
