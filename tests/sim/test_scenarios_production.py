"""Turning each production setting on and off on a running cluster, through Metacontroller, the API
server and the StatefulSet controller: which pools restart, and in which order.

A setting that reaches Pinot's config or the pods (deep store, basic auth, metrics) rolls exactly the
pools of the roles it reaches, one pool at a time in rollout order; one that only adds objects beside
the pods (NetworkPolicy, external Services) restarts nothing.
"""

from __future__ import annotations

from typing import Any

from tests.sim import specs
from tests.sim.test_scenarios_cluster import assert_clean, install
from tests.sim.world import Simulation

JsonObject = dict[str, Any]
EVERY_POOL = ["controllers", "brokers", "hot", "cold", "minions"]
S3 = {"uri": "s3://segments/demo", "options": {"region": "us-east-1"}}
AUTH = {"secretRef": {"name": "pinot-admin"}, "basic": {"enabled": True}}


def uids(sim: Simulation) -> dict[str, set[str]]:
    return {name: {p["metadata"]["uid"] for p in specs.pods(sim, name)} for name in specs.statefulsets(sim)}


def restarts(sim: Simulation, changed: JsonObject) -> list[str]:
    """Apply `changed` and run until Ready; the pools whose pods were replaced, in the order their
    first new pod appeared. Checks on the way that at most one pool rolls at a time."""
    before = uids(sim)
    sim.apply(changed)
    order: list[str] = []
    while True:
        now = uids(sim)
        rolling = [name for name in now if now[name] != before.get(name) and name not in order]
        order += rolling
        unsettled = [
            name
            for name in order
            if specs.ready_pods(sim, name) < len(before[name]) or now[name] & before[name]
        ]
        assert len(unsettled) <= 1, f"{unsettled} roll together"
        if specs.is_ready(sim) and not unsettled:
            break
        assert sim.api.step < 60, "did not settle"
        sim.step()
    assert_clean(sim)
    return order


def test_metrics_roll_every_pool_in_order_on_and_off(sim: Simulation) -> None:
    obj = install(sim)
    assert restarts(sim, specs.with_spec(obj, metrics={"enabled": True})) == EVERY_POOL
    assert restarts(sim, obj) == EVERY_POOL  # and back


def test_basic_auth_rolls_its_pools_in_order_on_and_off(sim: Simulation) -> None:
    """On, phase 1 gives controllers, servers and minions the admin's token and phase 2 makes
    controllers and brokers check it; off, the checks go first, then the tokens."""
    obj = install(sim)
    assert restarts(sim, specs.with_spec(obj, auth=AUTH)) == [
        "controllers",
        "hot",
        "cold",
        "minions",
        "brokers",
    ]
    assert restarts(sim, obj) == EVERY_POOL


def test_a_deep_store_rolls_the_pools_that_keep_segments_and_stays(sim: Simulation) -> None:
    """Brokers keep no segments. Once controllers keep segments in it, the deep store stays: the
    download URIs Pinot stored name it (test_scenarios_featurephases shows the refusal)."""
    obj = install(sim)
    assert restarts(sim, specs.with_spec(obj, deepStore=S3)) == ["controllers", "hot", "cold", "minions"]


def test_more_controllers_without_a_deep_store_change_nothing_until_one_is_set(sim: Simulation) -> None:
    obj = install(sim)
    before = uids(sim)
    three = specs.edit_pool(obj, "controllers", replicas=3)
    sim.apply(three)
    sim.run_until(lambda: (specs.condition(sim, "Ready") or {}).get("reason") == "InvalidSpec", 5)
    assert "spec.deepStore: is required for 3 controller replicas" in str(specs.condition(sim, "Ready"))
    sim.step()
    assert uids(sim) == before  # the invalid spec keeps every child as it is

    assert restarts(sim, specs.with_spec(three, deepStore=S3)) == ["controllers", "hot", "cold", "minions"]
    assert len(specs.pods(sim, "controllers")) == 3


def test_an_external_service_comes_and_goes_without_a_restart(sim: Simulation) -> None:
    obj = install(sim)
    name = "pinot-broker-external"
    before = uids(sim)
    sim.apply(specs.with_spec(obj, externalServices={"broker": {"loadBalancerSourceRanges": ["10.0.0.0/8"]}}))
    sim.run_until(lambda: specs.is_ready(sim), 10)
    assert sim.get("v1", "Service", specs.NAMESPACE, name) is not None
    sim.apply(obj)
    sim.run_until(lambda: specs.is_ready(sim), 10)
    assert sim.get("v1", "Service", specs.NAMESPACE, name) is None
    assert uids(sim) == before
    assert_clean(sim)


POLICY = ("networking.k8s.io/v1", "NetworkPolicy", specs.NAMESPACE, "pinot-pinot")


def test_a_new_cluster_has_its_policy_from_the_first_pool_on(sim: Simulation) -> None:
    sim.apply(specs.cluster())
    sim.run_until(lambda: bool(specs.statefulsets(sim)), 10)
    assert sim.get(*POLICY) is not None
    install(sim)
    assert sim.get(*POLICY) is not None


def test_a_cluster_that_ran_without_the_policy_keeps_running_without_it(sim: Simulation) -> None:
    """Pools that exist without a policy (a cluster from before the policy, or one that turned it off)
    get none while `enabled` is unset: a new policy would cut off every client it does not list."""
    without = specs.with_spec(specs.cluster(), networkPolicy={"enabled": False})
    install(sim, without)
    before = uids(sim)
    unset = specs.with_spec(without)
    del unset["spec"]["networkPolicy"]
    sim.apply(unset)
    for _ in range(5):
        sim.step()
        assert sim.get(*POLICY) is None
    assert specs.is_ready(sim)

    sim.apply(specs.with_spec(unset, networkPolicy={"enabled": True}))  # turned on by hand: once there, kept
    sim.run_until(lambda: sim.get(*POLICY) is not None, 10)
    sim.apply(unset)
    for _ in range(5):
        sim.step()
        assert sim.get(*POLICY) is not None
    assert uids(sim) == before
    assert_clean(sim)
