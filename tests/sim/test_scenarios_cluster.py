"""PinotCluster scenarios through Metacontroller, the API server and the StatefulSet controller.

Every simulation checks the invariants of `invariants` after each sync (fixed point, rollout
order, immutable fields, condition shape); each test pins one behaviour on top.
Pods become ready one step (10 s) after they are created unless a test says otherwise.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.sim import specs
from tests.sim.apiserver import ObjectKey
from tests.sim.clock import EPOCH
from tests.sim.conftest import MakeSim
from tests.sim.controllers import ready_after
from tests.sim.world import SimOptions, Simulation

JsonObject = dict[str, Any]
NEW_IMAGE = "apachepinot/pinot:1.3.0"


def install(sim: Simulation, obj: JsonObject | None = None, max_steps: int = 30) -> JsonObject:
    obj = obj or specs.cluster()
    sim.apply(obj)
    sim.run_until(lambda: specs.is_ready(sim), max_steps)
    return obj


def metacontroller_writes(sim: Simulation, since: int = 0) -> list[str]:
    return [
        f"{w.verb} {w.key}"
        for w in sim.api.writes[since:]
        if w.actor == "metacontroller" and not w.noop and w.verb != "update-status"
    ]


def states(sim: Simulation) -> dict[str, str]:
    return {p["name"]: p["state"] for p in specs.live(sim)["status"]["pools"]}


def partition(sts: JsonObject) -> int:
    return int(sts["spec"]["updateStrategy"]["rollingUpdate"]["partition"])


def assert_clean(sim: Simulation) -> None:
    assert sim.hook_errors == [], [r.error for r in sim.hook_errors]
    assert sim.failed_writes() == []


def test_fresh_install_creates_pools_role_by_role(sim: Simulation) -> None:
    """A role's pools are created together once every earlier pool is ready, in Kubernetes and in
    Pinot: its membership Jobs (one at a time per role, one step each) tagged its instances, and
    rebalanced the tables of a server pool."""
    sim.apply(specs.cluster())
    sim.run_until(lambda: specs.is_ready(sim), 30)

    created = {
        w.key.name.rsplit("-", 1)[0] if w.key.kind == "Job" else w.key.name: w.step
        for w in sim.api.writes
        if w.verb == "create" and w.key.kind in ("StatefulSet", "Job") and w.actor == "metacontroller"
    }
    assert created == {
        "pinot-controllers": 0,
        "pinot-brokers": 1,
        "pinot-brokers-tag": 2,  # the brokers' pods are ready
        "pinot-hot": 3,
        "pinot-cold": 3,  # both server pools together
        "pinot-hot-tag": 4,
        "pinot-hot-move": 5,
        "pinot-cold-tag": 6,
        "pinot-cold-move": 7,
        "pinot-minions": 8,
        "pinot-minions-tag": 9,
    }
    assert specs.condition(sim, "Ready") is not None
    assert set(states(sim).values()) == {"Ready"}
    assert {p["name"]: p.get("pinot", {}).get("phase") for p in specs.live(sim)["status"]["pools"]} == {
        "controllers": None,
        "brokers": "Settled",
        "hot": "Settled",
        "cold": "Settled",
        "minions": "Settled",
    }
    assert_clean(sim)


def test_image_upgrade_releases_pools_one_at_a_time_in_order(sim: Simulation) -> None:
    obj = install(sim)
    sim.apply(specs.with_spec(obj, image=NEW_IMAGE))

    started: list[str] = []  # pools in the order their first pod ran the new image
    while not specs.is_ready(sim):
        unconverged = []
        for pool_name, sts in specs.statefulsets(sim).items():
            images = {specs.pod_image(p) for p in specs.pods(sim, pool_name)}
            if NEW_IMAGE in images and pool_name not in started:
                started.append(pool_name)
            if images != {NEW_IMAGE} or specs.ready_pods(sim, pool_name) < sts["spec"]["replicas"]:
                unconverged.append(pool_name)
                if pool_name not in started:
                    assert partition(sts) == sts["spec"]["replicas"], f"{pool_name} is not held"
        assert len([p for p in unconverged if p in started]) <= 1, unconverged
        assert sim.api.step < 40
        sim.step()

    assert started == ["controllers", "brokers", "hot", "cold", "minions"]
    assert all(specs.pod_image(p) == NEW_IMAGE for name in started for p in specs.pods(sim, name))
    assert_clean(sim)


def test_config_only_change_never_reaches_a_pod_not_yet_released(sim: Simulation) -> None:
    obj = install(sim)
    before = {name: specs.pod_config_map(sim, specs.pods(sim, name)[0]) for name in specs.statefulsets(sim)}
    changed = specs.with_spec(
        obj, defaults={"common": {"pinot": {"properties": {"pinot.query.trace": "on"}}}}
    )
    sim.apply(changed)

    released: set[str] = set()
    restarted_held_pod = False
    while not specs.is_ready(sim):
        for name, sts in specs.statefulsets(sim).items():
            if partition(sts) < sts["spec"]["replicas"]:
                released.add(name)
            for pod in specs.pods(sim, name):
                mounted = specs.pod_config_map(sim, pod)
                assert sim.get("v1", "ConfigMap", specs.NAMESPACE, mounted) is not None, mounted
                if name not in released:
                    assert mounted == before[name], f"{pod['metadata']['name']} of held pool {name}"
        held = [n for n in ("hot", "cold") if n not in released]
        if held and "brokers" in released and not restarted_held_pod:
            # A held pod restarts (node drain, crash): it must come back with its old config.
            victim = specs.pods(sim, held[0])[0]
            sim.api.delete(ObjectKey("v1", "Pod", specs.NAMESPACE, victim["metadata"]["name"]), "node-drain")
            sim.settle()
            again = next(
                p for p in specs.pods(sim, held[0]) if p["metadata"]["name"] == victim["metadata"]["name"]
            )
            assert specs.pod_config_map(sim, again) == before[held[0]]
            restarted_held_pod = True
        assert sim.api.step < 40
        sim.step()

    assert restarted_held_pod
    for name in specs.statefulsets(sim):
        now_mounted = {specs.pod_config_map(sim, p) for p in specs.pods(sim, name)}
        assert now_mounted != {before[name]} and len(now_mounted) == 1
        config_maps = [
            c["metadata"]["name"]
            for c in sim.api.list("v1", "ConfigMap", specs.NAMESPACE)
            if c["metadata"]["labels"].get("pinot.controlplane.dev/pool") == name
        ]
        assert config_maps == sorted(now_mounted), "an old ConfigMap outlived its pool's rollout"
    assert_clean(sim)


def test_scale_up_and_down_touches_only_that_pool(sim: Simulation) -> None:
    obj = install(sim)
    others = {
        p["metadata"]["uid"]
        for name in ("controllers", "brokers", "cold", "minions")
        for p in specs.pods(sim, name)
    }

    sim.apply(specs.edit_pool(obj, "hot", replicas=4))
    assert not specs.is_ready(sim)
    sim.run_until(lambda: specs.is_ready(sim), 10)
    assert [p["metadata"]["name"] for p in specs.pods(sim, "hot")] == [f"pinot-hot-{i}" for i in range(4)]

    sim.apply(specs.edit_pool(obj, "hot", replicas=1))
    sim.run_until(lambda: specs.is_ready(sim), 10)
    assert [p["metadata"]["name"] for p in specs.pods(sim, "hot")] == ["pinot-hot-0"]
    assert {
        p["metadata"]["uid"]
        for name in ("controllers", "brokers", "cold", "minions")
        for p in specs.pods(sim, name)
    } == others
    assert_clean(sim)


@pytest.mark.parametrize(
    "metacontroller_first", [False, True], ids=["controllers-first", "metacontroller-first"]
)
def test_scaling_a_later_pool_while_an_earlier_one_rolls_settles_at_once(
    make_sim: MakeSim, metacontroller_first: bool
) -> None:
    """Only the controller pool's config changes, so it rolls; the brokers are scaled meanwhile.
    Their new pod starts at once, the decision about their partition does not flip-flop (every
    sync is a fixed point), and nothing rolls out of order, even when Metacontroller handles the
    events of its own writes before the StatefulSet controller has reported on them."""
    sim = make_sim(options=SimOptions(metacontroller_first=metacontroller_first))
    obj = install(sim)
    controller_only = specs.with_spec(
        obj, defaults={"controller": {"pinot": {"properties": {"controller.task.frequency": "1h"}}}}
    )
    sim.apply(controller_only)
    assert states(sim)["controllers"] == "RollingOut"
    sim.apply(specs.edit_pool(controller_only, "brokers", replicas=3))
    assert len(specs.pods(sim, "brokers")) == 3
    sim.run_until(lambda: specs.is_ready(sim), 10)
    assert_clean(sim)


def test_adding_a_pool_creates_it_and_leaves_the_others_alone(sim: Simulation) -> None:
    obj = install(sim)
    mark = len(sim.api.writes)
    pools = [*obj["spec"]["pools"], specs.pool("warm", "server", 2)]
    sim.apply(specs.with_spec(obj, pools=pools))
    sim.run_until(lambda: specs.is_ready(sim), 10)

    assert specs.ready_pods(sim, "warm") == 2
    writes = [w.rsplit("-", 1)[0] if "Job" in w else w for w in metacontroller_writes(sim, mark)]
    assert sorted(writes) == sorted(
        [
            "create ConfigMap.v1 analytics/" + specs.pod_config_map(sim, specs.pods(sim, "warm")[0]),
            "create PodDisruptionBudget.policy/v1 analytics/pinot-warm",
            "create Service.v1 analytics/pinot-warm-headless",
            "create StatefulSet.apps/v1 analytics/pinot-warm",
            "create Job.batch/v1 analytics/pinot-warm-tag",
            "create Job.batch/v1 analytics/pinot-warm-move",
        ]
    )
    assert_clean(sim)


def test_removing_a_pool_drains_it_in_pinot_then_deletes_it(sim: Simulation) -> None:
    """Pinot lets go first (drain Job), then the pods go, then Helix forgets the instances (drop Job),
    and only then the StatefulSet and its companions are deleted; the PVCs stay."""
    obj = install(sim)
    mark = len(sim.api.writes)
    pools = [p for p in obj["spec"]["pools"] if p["name"] != "cold"]
    sim.apply(specs.with_spec(obj, pools=pools))
    removing = specs.live(sim)["status"]["removedPools"]
    assert [(r["name"], r["role"], r["phase"]) for r in removing] == [("cold", "server", "Draining")]
    sim.run_until(lambda: specs.is_ready(sim), 10)

    events = [
        (w.actor, w.verb, w.key.kind, w.key.name.rsplit("-", 1)[0] if w.key.kind == "Job" else w.key.name)
        for w in sim.api.writes[mark:]
        if "cold" in w.key.name and w.verb in ("create", "update", "delete") and not w.noop
    ]
    drain = events.index(("metacontroller", "create", "Job", "pinot-cold-drain"))
    scaled = events.index(("metacontroller", "update", "StatefulSet", "pinot-cold"))
    pod_gone = events.index(("statefulset-controller", "delete", "Pod", "pinot-cold-0"))
    drop = events.index(("metacontroller", "create", "Job", "pinot-cold-drop"))
    deleted = events.index(("metacontroller", "delete", "StatefulSet", "pinot-cold"))
    assert drain < scaled < pod_gone < drop < deleted, events
    assert not any(
        actor == "garbage-collector" and kind == "Pod" and name == "pinot-cold-0"
        for actor, _, kind, name in events
    )
    leftovers = [
        f"{o['kind']}/{o['metadata']['name']}"
        for o in sim.api.all_objects()
        if (o["metadata"].get("labels") or {}).get("pinot.controlplane.dev/pool") == "cold"
        or (o["metadata"].get("labels") or {}).get("pinot.controlplane.dev/membership-pool") == "cold"
    ]
    assert leftovers == []
    assert sim.pinot is not None and not [i for i in sim.pinot.instances if "pinot-cold-" in i]
    assert "removedPools" not in specs.live(sim)["status"]
    assert_clean(sim)


def test_invalid_spec_during_a_rollout_deletes_nothing_and_resumes_after_the_fix(sim: Simulation) -> None:
    obj = install(sim)
    upgraded = specs.with_spec(obj, image=NEW_IMAGE)
    sim.apply(upgraded)
    sim.step(2)
    before = {specs.identity(o): o for o in specs.children(sim)}

    broken = specs.edit_pool(upgraded, "cold", kubernetes={"resources": {"limits": {"memory": "lots"}}})
    mark = len(sim.api.writes)
    sim.apply(broken)
    sim.step(3)

    ready = specs.condition(sim, "Ready")
    assert ready is not None and ready["reason"] == "InvalidSpec"
    assert "spec.pools[3].kubernetes.resources.limits.memory" in ready["message"]
    after = {specs.identity(o): o for o in specs.children(sim)}
    assert after.keys() == before.keys(), "a child was created or deleted"
    for identity, child in after.items():
        assert child.get("spec") == before[identity].get("spec"), identity
        assert child.get("data") == before[identity].get("data"), identity
    assert metacontroller_writes(sim, mark) == [], (
        "an invalid spec changes no child, not even its annotations"
    )

    sim.apply(upgraded)
    sim.run_until(lambda: specs.is_ready(sim), 30)
    assert all(specs.pod_image(p) == NEW_IMAGE for n in specs.statefulsets(sim) for p in specs.pods(sim, n))
    assert_clean(sim)


def test_a_pod_that_never_becomes_ready_degrades_and_a_newer_spec_unsticks_it(make_sim: MakeSim) -> None:
    broken_image = "apachepinot/pinot:1.2.1-broken"  # a patch release that never starts

    def ready(sts: JsonObject, pod: JsonObject) -> int | None:
        return None if specs.pod_image(pod) == broken_image else 1

    sim = make_sim(ready=ready)
    obj = install(sim, specs.cluster(rollout={"progressDeadlineSeconds": 60}))
    sim.apply(specs.with_spec(obj, image=broken_image))

    sim.run_until(lambda: (specs.condition(sim, "Degraded") or {}).get("status") == "True", 10)
    assert sim.clock.now().timestamp() - EPOCH.timestamp() >= 60
    degraded = specs.condition(sim, "Degraded")
    assert degraded is not None and degraded["reason"] == "ProgressDeadlineExceeded"
    assert "controllers" in degraded["message"]
    assert states(sim)["controllers"] == "Degraded"
    assert {states(sim)[p] for p in ("brokers", "hot", "cold", "minions")} == {"Waiting"}
    for name in ("brokers", "hot", "cold", "minions"):
        assert {specs.pod_image(p) for p in specs.pods(sim, name)} == {specs.IMAGE}

    sim.apply(specs.with_spec(obj, image=NEW_IMAGE))
    sim.run_until(lambda: specs.is_ready(sim), 30)
    assert (specs.condition(sim, "Degraded") or {}).get("status") == "False"
    assert all(specs.pod_image(p) == NEW_IMAGE for n in specs.statefulsets(sim) for p in specs.pods(sim, n))
    assert_clean(sim)


def test_pause_freezes_every_child_and_resume_applies_the_change(sim: Simulation) -> None:
    obj = install(sim)
    mark = len(sim.api.writes)
    sim.apply(specs.with_spec(obj, paused=True))
    pods_before = {p["metadata"]["uid"] for n in specs.statefulsets(sim) for p in specs.pods(sim, n)}

    sim.apply(specs.with_spec(obj, paused=True, image=NEW_IMAGE))
    sim.step(5)
    assert metacontroller_writes(sim, mark) == []
    assert {p["metadata"]["uid"] for n in specs.statefulsets(sim) for p in specs.pods(sim, n)} == pods_before
    paused = specs.condition(sim, "Paused")
    assert paused is not None and paused["status"] == "True"

    sim.apply(specs.with_spec(obj, paused=False, image=NEW_IMAGE))
    sim.run_until(lambda: specs.is_ready(sim), 30)
    assert all(specs.pod_image(p) == NEW_IMAGE for n in specs.statefulsets(sim) for p in specs.pods(sim, n))
    assert_clean(sim)


def test_pause_and_resume_keep_what_other_actors_set_on_children(sim: Simulation) -> None:
    """`kubectl rollout restart` annotates a pod template; pausing and resuming (or an invalid spec
    and its fix) must not take that annotation away again and restart the pool a second time."""
    obj = install(sim)
    sts = specs.statefulset(sim, "hot")
    assert sts is not None
    sts["spec"]["template"]["metadata"]["annotations"] = {
        "kubectl.kubernetes.io/restartedAt": "2030-01-01T00:01:00Z"
    }
    sim.api.update(sts, "kubectl")
    sim.run_until(
        lambda: specs.pool_converged(specs.statefulset(sim, "hot") or {}) and specs.is_ready(sim), 10
    )
    restarted = [p["metadata"]["uid"] for p in specs.pods(sim, "hot")]

    sim.apply(specs.with_spec(obj, paused=True))
    sim.step(2)
    sim.apply(specs.edit_pool(obj, "cold", kubernetes={"resources": {"limits": {"cpu": "many"}}}))
    sim.step(2)
    sim.apply(obj)
    sim.step(6)
    assert [p["metadata"]["uid"] for p in specs.pods(sim, "hot")] == restarted
    assert_clean(sim)


def test_deleting_the_cluster_removes_every_child_and_pod(sim: Simulation) -> None:
    install(sim)
    sim.delete(specs.cluster_key())
    sim.step()
    assert [f"{o['kind']}/{o['metadata']['name']}" for o in sim.api.all_objects()] == []
    assert_clean(sim)


def test_storage_size_change_is_reported_not_applied_and_does_not_loop(sim: Simulation) -> None:
    obj = install(sim)
    claims_before = specs.statefulset(sim, "hot")["spec"]["volumeClaimTemplates"]  # type: ignore[index]
    mark = len(sim.api.writes)
    sim.apply(specs.edit_pool(obj, "hot", kubernetes={"storage": {"size": "10Gi"}}))
    sim.step(8)

    assert specs.statefulset(sim, "hot")["spec"]["volumeClaimTemplates"] == claims_before  # type: ignore[index]
    degraded = specs.condition(sim, "Degraded")
    assert degraded is not None and degraded["status"] == "True"
    assert degraded["reason"] == "ImmutableFieldChanged"
    assert "spec.pools[2].kubernetes.storage" in degraded["message"]
    assert metacontroller_writes(sim, mark) == []
    assert_clean(sim)


def test_v1_and_v2_requests_drive_the_same_install(make_sim: MakeSim) -> None:
    outcomes = []
    for version in ("v1", "v2"):
        sim = make_sim(options=SimOptions(hook_version=version))
        install(sim)
        outcomes.append([(w.verb, str(w.key), w.step) for w in sim.api.writes])
    assert outcomes[0] == outcomes[1]


def test_slow_pods_only_slow_the_rollout_down(make_sim: MakeSim) -> None:
    sim = make_sim(ready=ready_after(1, per_pool={"pinot-hot": 3}))
    install(sim, max_steps=40)
    assert_clean(sim)
