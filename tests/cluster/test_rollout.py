"""Ordered creation and pool-by-pool release, over several sync rounds."""

from __future__ import annotations

import copy

from hooks.cluster.sync import sync_cluster
from tests.cluster.builders import NOW, parent, request
from tests.cluster.rounds import Rounds


def states(body: dict[str, object]) -> dict[str, str]:
    status = body["status"]
    assert isinstance(status, dict)
    return {p["name"]: p["state"] for p in status["pools"]}


def test_fresh_install_creates_pools_role_by_role() -> None:
    """A role's pools are created together, once every earlier pool is ready in Kubernetes and in
    Pinot (its membership Jobs complete: brokers tagged, servers tagged and rebalanced)."""
    rounds = Rounds(parent())
    created: list[list[str]] = []
    jobs_before: dict[str, list[str]] = {}
    for _ in range(14):
        body = rounds.step()
        pools = sorted(name.removeprefix("demo-") for name in rounds.statefulsets())
        for pool in pools:
            jobs_before.setdefault(pool, sorted(name for (kind, name) in rounds.children if kind == "Job"))
        if not created or created[-1] != pools:
            created.append(pools)
    assert created == [
        ["controllers"],
        ["brokers", "controllers"],
        ["brokers", "cold", "controllers", "hot"],
        ["brokers", "cold", "controllers", "hot", "minions"],
    ]
    assert [name.split("-")[1:3] for name in jobs_before["hot"]] == [["brokers", "tag"]]
    assert sorted(name.split("-")[1:3] for name in jobs_before["minions"]) == [
        ["brokers", "tag"],
        ["cold", "move"],
        ["cold", "tag"],
        ["hot", "move"],
        ["hot", "tag"],
    ]
    ready = next(c for c in body["status"]["conditions"] if c["type"] == "Ready")
    assert ready["status"] == "True"


def test_image_upgrade_releases_one_pool_at_a_time_in_order() -> None:
    rounds = Rounds(parent())
    for _ in range(14):
        rounds.step()
    rounds.change(image="apachepinot/pinot:1.4.0")
    released_per_round = []
    for _ in range(8):
        body = rounds.step()
        rolling = [name for name, state in states(body).items() if state == "RollingOut"]
        released = [
            name.removeprefix("demo-")
            for name, sts in rounds.statefulsets().items()
            if sts["spec"]["updateStrategy"]["rollingUpdate"]["partition"] == 0
            and sts["status"]["currentRevision"] == sts["status"]["updateRevision"]
            and "1.4.0" in sts["spec"]["template"]["spec"]["containers"][0]["image"]
        ]
        assert len(rolling) <= 1
        released_per_round.append(released)
    assert released_per_round[0] == ["controllers"]
    order = []
    for released in released_per_round:
        order += [name for name in released if name not in order]
    assert order == ["controllers", "brokers", "hot", "cold", "minions"]


def test_held_pool_keeps_its_old_config_map_and_template() -> None:
    rounds = Rounds(parent())
    for _ in range(14):
        rounds.step()
    old_cold = copy.deepcopy(rounds.statefulsets()["demo-cold"])
    spec_pools = rounds.parent["spec"]["pools"]
    for pool in spec_pools:
        pool["pinot"] = {"properties": {"pinot.some.tuning": "2"}}
    rounds.parent["metadata"]["generation"] += 1
    body = rounds.step()
    cold = next(c for c in body["children"] if c["metadata"]["name"] == "demo-cold")
    assert cold["spec"]["updateStrategy"]["rollingUpdate"]["partition"] == cold["spec"]["replicas"]
    old_config = old_cold["spec"]["template"]["spec"]["volumes"][0]["configMap"]["name"]
    new_config = cold["spec"]["template"]["spec"]["volumes"][0]["configMap"]["name"]
    assert old_config != new_config
    names = {c["metadata"]["name"] for c in body["children"] if c["kind"] == "ConfigMap"}
    assert {old_config, new_config} <= names


def test_old_config_maps_go_once_the_pool_converged() -> None:
    rounds = Rounds(parent())
    for _ in range(14):
        rounds.step()
    for pool in rounds.parent["spec"]["pools"]:
        pool["pinot"] = {"properties": {"pinot.some.tuning": "2"}}
    rounds.parent["metadata"]["generation"] += 1
    for _ in range(12):
        body = rounds.step()
    config_maps = [c["metadata"]["name"] for c in body["children"] if c["kind"] == "ConfigMap"]
    assert len(config_maps) == 5


def test_pool_that_never_gets_ready_turns_degraded_after_the_deadline() -> None:
    spec = copy.deepcopy(parent()["spec"])
    spec["rollout"] = {"progressDeadlineSeconds": 60}
    rounds = Rounds(parent(spec), never_ready=frozenset({"brokers"}))
    bodies = [rounds.step(seconds=20) for _ in range(8)]
    assert states(bodies[1])["brokers"] == "RollingOut"
    last = bodies[-1]
    assert states(last)["brokers"] == "Degraded"
    assert states(last)["hot"] == "Pending"
    degraded = next(c for c in last["status"]["conditions"] if c["type"] == "Degraded")
    assert degraded["status"] == "True"
    assert "brokers" in degraded["message"]


def test_rolling_pool_asks_to_be_called_back_at_its_deadline() -> None:
    body = sync_cluster(request(parent()), NOW).body
    assert body["resyncAfterSeconds"] == 901


def test_log_summary_says_what_was_decided() -> None:
    rounds = Rounds(parent())
    assert rounds_summary(rounds) == "created=controllers waiting=brokers,hot,cold,minions"
    assert rounds_summary(rounds) == "created=brokers waiting=hot,cold,minions ready=controllers"


def rounds_summary(rounds: Rounds) -> str:
    from hooks.cluster.sync import sync_cluster as run

    summary = run(request(rounds.parent, list(rounds.children.values())), rounds.now).summary
    rounds.step()
    return summary
