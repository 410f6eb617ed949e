"""Version changes through Metacontroller, the API server and the StatefulSet controller.

Every simulation checks the invariants of `invariants` after each sync (fixed point, rollout order
for the direction, immutable fields, condition shape). Each test pins one behaviour of
docs/upgrades.md on top, watching the pods themselves: which image each runs and which config its
revision mounts.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import _lru_cache_wrapper
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hooks.app import create_app
from hooks.cluster.known_steps import DATATABLE_VERSION
from hooks.memo import Memo
from tests.sim import invariants, specs
from tests.sim.budget import examples
from tests.sim.controllers import pod_ready
from tests.sim.hookclient import HookClient
from tests.sim.world import Simulation

JsonObject = dict[str, Any]
JUMP = {"pinot.controlplane.dev/allow-version-jump": "true"}
ORDER_UP = ["controllers", "brokers", "hot", "cold", "minions"]


def image(version: str) -> str:
    return f"apachepinot/pinot:{version}"


def install(sim: Simulation, obj: JsonObject) -> JsonObject:
    sim.apply(obj)
    sim.run_until(lambda: specs.is_ready(sim), 30)
    return obj


def annotated(obj: JsonObject, annotations: dict[str, str]) -> JsonObject:
    changed = specs.with_spec(obj)
    changed["metadata"]["annotations"] = dict(annotations)
    return changed


def config(sim: Simulation, pod: JsonObject) -> dict[str, str]:
    """The properties of the config a pod's revision mounts (what it runs, and gets back on a restart)."""
    name = specs.pod_config_map(sim, pod)
    found = sim.get("v1", "ConfigMap", specs.NAMESPACE, name)
    assert found is not None, name
    (text,) = found["data"].values()
    return dict(line.split("=", 1) for line in text.splitlines() if line and not line.startswith("#"))


def version_of(pod: JsonObject) -> str:
    return specs.pod_image(pod).rsplit(":", 1)[1]


@dataclass
class Watch:
    """What a roll looked like, step by step."""

    started: list[str] = field(default_factory=list)  # pools in the order their first pod changed
    reasons: list[str] = field(default_factory=list)  # Progressing reasons, each once, in order
    cluster_versions: list[str] = field(default_factory=list)  # status.pinotVersion, each once
    most_unready: dict[str, int] = field(default_factory=dict)  # per pool, most pods not ready at once


def watch(
    sim: Simulation,
    before: dict[str, set[str]],
    max_steps: int = 60,
    check: Callable[[], None] = lambda: None,
) -> Watch:
    """Step until the cluster is Ready at its generation; `before` holds each pool's pod uids."""
    seen = Watch()

    def look() -> None:
        status = specs.live(sim).get("status") or {}
        progressing = specs.condition(sim, "Progressing") or {}
        if progressing.get("status") == "True" and progressing["reason"] not in seen.reasons:
            seen.reasons.append(progressing["reason"])
        if status.get("pinotVersion") and status["pinotVersion"] not in seen.cluster_versions:
            seen.cluster_versions.append(status["pinotVersion"])
        for name in specs.statefulsets(sim):
            pods = specs.pods(sim, name)
            if name not in seen.started and {p["metadata"]["uid"] for p in pods} - before.get(name, set()):
                seen.started.append(name)
            unready = sum(1 for p in pods if not pod_ready(p))
            seen.most_unready[name] = max(seen.most_unready.get(name, 0), unready)
        check()

    look()
    for _ in range(max_steps):
        if specs.is_ready(sim):
            return seen
        sim.step()
        look()
    raise AssertionError(f"not Ready within {max_steps} steps: {specs.live(sim).get('status')}")


def running_versions(sim: Simulation) -> set[str]:
    return {version_of(p) for n in specs.statefulsets(sim) for p in specs.pods(sim, n)}


def upgrade_under_way(
    sim: Simulation, until: Callable[[], bool]
) -> tuple[JsonObject, JsonObject, dict[str, set[str]]]:
    """A cluster installed at 1.2.0 and asked 1.3.0, stepped until `until()`: the installed object,
    the upgraded one, and the pods' uids from before."""
    obj = install(sim, specs.cluster())
    before = uids(sim)
    upgraded = specs.with_spec(obj, image=image("1.3.0"))
    sim.apply(upgraded)
    sim.run_until(until, 20)
    return obj, upgraded, before


def uids(sim: Simulation) -> dict[str, set[str]]:
    return {name: {p["metadata"]["uid"] for p in specs.pods(sim, name)} for name in specs.statefulsets(sim)}


def pool_entry(sim: Simulation, name: str) -> JsonObject:
    return next(p for p in specs.live(sim)["status"]["pools"] if p["name"] == name)


def assert_clean(sim: Simulation) -> None:
    assert sim.hook_errors == [], [r.error for r in sim.hook_errors]
    assert sim.failed_writes() == []


def test_an_upgrade_walks_controllers_brokers_servers_minions_whatever_the_deployment_order(
    sim: Simulation,
) -> None:
    obj = install(sim, specs.cluster(deploymentOrder=["server", "minion", "broker", "controller"]))
    assert specs.live(sim)["status"]["pinotVersion"] == "1.2.0"
    before = uids(sim)
    sim.apply(specs.with_spec(obj, image=image("1.3.0")))
    assert pool_entry(sim, "hot")["runningVersion"] == "1.2.0"
    assert pool_entry(sim, "hot")["desiredVersion"] == "1.3.0"

    seen = watch(sim, before)

    assert seen.started == ORDER_UP
    assert seen.reasons == [
        "UpgradingControllers",
        "UpgradingBrokers",
        "UpgradingServers",
        "UpgradingMinions",
    ]
    assert seen.cluster_versions == ["1.2.0 -> 1.3.0", "1.3.0"]
    assert seen.most_unready["hot"] == 1, "servers roll one pod at a time"
    status = specs.live(sim)["status"]
    assert "upgrade" not in status
    assert {p["runningVersion"] for p in status["pools"]} == {"1.3.0"}
    assert all(
        "pinot.controlplane.dev/running-versions" not in sts["metadata"].get("annotations", {})
        for sts in specs.statefulsets(sim).values()
    )
    assert_clean(sim)


def test_a_downgrade_walks_minions_servers_brokers_controllers(sim: Simulation) -> None:
    obj = install(sim, specs.cluster(image=image("1.3.0")))
    before = uids(sim)
    sim.apply(specs.with_spec(obj, image=image("1.2.0")))
    upgrade = specs.live(sim)["status"]["upgrade"]
    assert upgrade == {
        "direction": "Downgrade",
        "from": "1.3.0",
        "to": "1.2.0",
        "phase": "RollingBackMinions",
    }

    seen = watch(sim, before)

    assert seen.started == ["minions", "hot", "cold", "brokers", "controllers"]
    assert seen.reasons == [
        "RollingBackMinions",
        "RollingBackServers",
        "RollingBackBrokers",
        "RollingBackControllers",
    ]
    assert_clean(sim)


def servers_send_v4_before_meeting_1_3(sim: Simulation) -> Callable[[], None]:
    """No broker or server pod runs 1.3.0 while a server pod runs 0.11.0 without DataTable v4."""

    def check() -> None:
        pods = {name: specs.pods(sim, name) for name in ("brokers", "hot", "cold")}
        new = [p["metadata"]["name"] for ps in pods.values() for p in ps if version_of(p) == "1.3.0"]
        old_v3 = [
            p["metadata"]["name"]
            for name in ("hot", "cold")
            for p in pods[name]
            if version_of(p) == "0.11.0" and config(sim, p).get(DATATABLE_VERSION) != "4"
        ]
        assert not (new and old_v3), f"step {sim.api.step}: {new} run 1.3.0 while {old_v3} send DataTable v3"

    return check


def test_a_jump_across_release_lines_is_refused_with_the_releases_to_go_through(sim: Simulation) -> None:
    obj = install(sim, specs.cluster(image=image("0.11.0")))
    before = uids(sim)
    sim.apply(specs.with_spec(obj, image=image("1.3.0")))
    sim.step(3)

    ready = specs.condition(sim, "Ready")
    assert ready is not None and (ready["status"], ready["reason"]) == ("False", "UntestedVersionJump")
    assert "go through 0.12.1, 1.0.0, 1.1.0, 1.2.0 one at a time" in ready["message"]
    assert "pinot.controlplane.dev/allow-version-jump=true" in ready["message"]
    assert (specs.condition(sim, "Degraded") or {}).get("reason") == "UntestedVersionJump"
    assert uids(sim) == before
    assert {specs.pod_image(p) for n in specs.statefulsets(sim) for p in specs.pods(sim, n)} == {
        image("0.11.0")
    }
    assert {p["state"] for p in specs.live(sim)["status"]["pools"]} == {"Waiting"}
    assert specs.live(sim)["status"]["pinotVersion"] == "0.11.0"
    assert_clean(sim)


def test_crossing_from_before_1_0_to_1_3_prepares_the_servers_first(sim: Simulation) -> None:
    obj = install(sim, specs.cluster(image=image("0.11.0")))
    before = uids(sim)
    sim.apply(annotated(specs.with_spec(obj, image=image("1.3.0")), JUMP))
    status = specs.live(sim)["status"]
    assert status["upgrade"]["phase"] == "PreparingServers"
    assert status["upgrade"]["knownSteps"] == ["datatable-v4", "split-commit"]
    assert pool_entry(sim, "controllers")["state"] == "Waiting"
    assert "held while the servers are prepared (datatable-v4)" in pool_entry(sim, "controllers")["message"]
    assert any("skips release lines" in w for w in status["warnings"])

    seen = watch(sim, before, check=servers_send_v4_before_meeting_1_3(sim))

    assert seen.reasons == [
        "PreparingServers",
        "UpgradingControllers",
        "UpgradingBrokers",
        "UpgradingServers",
        "UpgradingMinions",
    ]
    assert seen.started == ["hot", "cold", "controllers", "brokers", "minions"]
    for name in ("hot", "cold"):
        assert all(DATATABLE_VERSION not in config(sim, p) for p in specs.pods(sim, name)), name
    assert running_versions(sim) == {"1.3.0"}
    assert_clean(sim)


def test_rolling_back_to_before_1_0_keeps_datatable_v4_on_the_servers(sim: Simulation) -> None:
    obj = install(sim, annotated(specs.cluster(image=image("1.3.0")), JUMP))
    before = uids(sim)
    sim.apply(specs.with_spec(obj, image=image("0.11.0")))

    def no_v3_servers() -> None:
        for name in ("hot", "cold"):
            for pod in specs.pods(sim, name):
                if version_of(pod) == "0.11.0":
                    assert config(sim, pod).get(DATATABLE_VERSION) == "4", pod["metadata"]["name"]

    seen = watch(sim, before, check=no_v3_servers)

    assert seen.started == ["minions", "hot", "cold", "brokers", "controllers"]
    assert "PreparingServers" not in seen.reasons
    mark = len(sim.api.writes)
    sim.step(5)
    assert [w for w in sim.api.writes[mark:] if w.key.kind == "StatefulSet" and not w.noop] == [], (
        "the servers keep DataTable v4 once back at 0.11.0: no roll after the rollback"
    )
    assert_clean(sim)


def test_an_image_whose_tag_has_no_version_keeps_its_pools_until_the_version_is_stated(
    sim: Simulation,
) -> None:
    custom = "registry.example.com/pinot:custom-build"
    obj = install(sim, specs.cluster())
    before = uids(sim)
    templates = {n: s["spec"]["template"] for n, s in specs.statefulsets(sim).items()}
    sim.apply(specs.with_spec(obj, image=custom))
    sim.step(3)

    ready = specs.condition(sim, "Ready")
    assert ready is not None and ready["reason"] == "VersionUnknown"
    assert f"the Pinot version of {custom} cannot be read from its tag" in ready["message"]
    assert "spec.pinotVersion" in ready["message"]
    assert uids(sim) == before
    assert {n: s["spec"]["template"] for n, s in specs.statefulsets(sim).items()} == templates

    sim.apply(specs.with_spec(obj, image=custom, pinotVersion="1.3.0"))
    seen = watch(sim, before)
    assert seen.started == ORDER_UP
    assert {specs.pod_image(p) for n in specs.statefulsets(sim) for p in specs.pods(sim, n)} == {custom}
    assert specs.live(sim)["status"]["pinotVersion"] == "1.3.0"
    assert_clean(sim)


def test_an_install_needs_no_version(sim: Simulation) -> None:
    install(sim, specs.cluster(image="registry.example.com/pinot:latest"))
    assert "pinotVersion" not in specs.live(sim)["status"]
    assert_clean(sim)


def test_pools_going_up_and_others_down_at_once_are_refused(sim: Simulation) -> None:
    pools = [dict(p) for p in specs.STANDARD_POOLS]
    pools[-1] = specs.pool("minions", "minion", image=image("1.3.0"))
    obj = install(sim, specs.cluster(pools=pools))
    before = uids(sim)
    changed = specs.edit_pool(specs.with_spec(obj, image=image("1.3.0")), "minions", image=image("1.2.0"))
    sim.apply(changed)
    sim.step(3)

    ready = specs.condition(sim, "Ready")
    assert ready is not None and ready["reason"] == "MixedVersionDirections"
    assert "up (controllers (1.2.0 -> 1.3.0)" in ready["message"]
    assert "down (minions (1.3.0 -> 1.2.0))" in ready["message"]
    assert uids(sim) == before
    assert_clean(sim)


def test_a_pause_in_the_middle_of_an_upgrade_holds_and_says_where_it_stands(sim: Simulation) -> None:
    _, upgraded, before = upgrade_under_way(
        sim, lambda: any(version_of(p) == "1.3.0" for p in specs.pods(sim, "brokers"))
    )

    sim.apply(specs.with_spec(upgraded, paused=True))
    sim.step(6)
    for name in ("hot", "cold", "minions"):
        assert uids(sim)[name] == before[name], name
    progressing = specs.condition(sim, "Progressing")
    assert progressing is not None and progressing["reason"] == "Paused"
    assert "the upgrade 1.2.0 -> 1.3.0 holds where it stands" in progressing["message"]
    assert "hot 1.2.0" in progressing["message"]

    sim.apply(upgraded)
    watch(sim, before)
    assert running_versions(sim) == {"1.3.0"}
    assert_clean(sim)


def restart_hook(sim: Simulation) -> None:
    """A new hook process: a new app, and nothing remembered by the old one (memos and caches)."""
    for name, module in list(sys.modules.items()):
        if not name.startswith("hooks"):
            continue
        for value in list(vars(module).values()):
            if isinstance(value, Memo):
                value.clear()
            elif isinstance(value, _lru_cache_wrapper):
                value.cache_clear()
    clock = sim.clock
    client = HookClient(create_app(clock=clock.now))
    sim.client.close()
    sim.client = sim.metacontroller.client = client


def test_a_hook_restarted_in_the_middle_of_an_upgrade_carries_on_from_what_it_observes(
    sim: Simulation,
) -> None:
    obj = install(sim, specs.cluster(image=image("0.11.0")))
    before = uids(sim)
    sim.apply(annotated(specs.with_spec(obj, image=image("1.3.0")), JUMP))
    check = servers_send_v4_before_meeting_1_3(sim)
    for phase in ("PreparingServers", "UpgradingBrokers", "UpgradingServers"):
        sim.run_until(lambda p=phase: (specs.condition(sim, "Progressing") or {}).get("reason") == p, 20)  # type: ignore[misc]
        check()
        restart_hook(sim)

    seen = watch(sim, before, check=check)
    assert running_versions(sim) == {"1.3.0"}
    assert seen.reasons[-1] == "UpgradingMinions"
    assert_clean(sim)


def test_going_back_in_the_middle_of_an_upgrade_rolls_back_what_moved_in_reverse(sim: Simulation) -> None:
    obj, _, before = upgrade_under_way(
        sim, lambda: any(version_of(p) == "1.3.0" for p in specs.pods(sim, "hot"))
    )
    assert {version_of(p) for p in specs.pods(sim, "cold") + specs.pods(sim, "minions")} == {"1.2.0"}

    sim.apply(obj)
    assert specs.live(sim)["status"]["upgrade"]["direction"] == "Downgrade"
    seen = watch(sim, before)

    assert seen.reasons[-2:] == ["RollingBackBrokers", "RollingBackControllers"]
    for name in ("cold", "minions"):
        assert uids(sim)[name] == before[name], f"{name} restarted"
    assert running_versions(sim) == {"1.2.0"}
    assert_clean(sim)


def test_a_target_between_where_pools_stand_is_refused_until_one_way_is_chosen(sim: Simulation) -> None:
    obj, upgraded, before = upgrade_under_way(
        sim, lambda: (specs.condition(sim, "Progressing") or {}).get("reason") == "UpgradingBrokers"
    )
    sim.step()
    brokers = {p["metadata"]["uid"]: version_of(p) for p in specs.pods(sim, "brokers")}

    sim.apply(specs.with_spec(obj, image=image("1.2.1")))
    sim.step(4)
    ready = specs.condition(sim, "Ready")
    assert ready is not None and ready["reason"] == "MixedVersionDirections"
    assert {p["metadata"]["uid"]: version_of(p) for p in specs.pods(sim, "brokers")} == brokers
    for name in ("hot", "cold", "minions"):
        assert uids(sim)[name] == before[name]

    sim.apply(upgraded)
    watch(sim, before)
    assert running_versions(sim) == {"1.3.0"}
    assert_clean(sim)


def test_a_server_pool_caught_in_a_roll_is_prepared_at_one_template_on_every_sync(sim: Simulation) -> None:
    """Servers in the middle of a roll from 0.11.0 to 0.12.1 when 1.3.0 is asked are prepared at the
    image they roll to; once that template is rewritten and no pod has moved to it yet, the next sync
    must prepare the same, not the image the pods leave (every sync a fixed point)."""
    edits = [(image("0.12.1"), 0), (image("0.12.1"), 1), (image("0.12.1"), 4), (image("1.3.0"), 0)]
    jump_through_then_reach_1_3(sim, edits)


def jump_through_then_reach_1_3(sim: Simulation, edits: list[tuple[str, int]]) -> None:
    """From 0.11.0 (jumps allowed), each image of `edits` asked and `wait` rounds let go by, then
    1.3.0 asked: every pod reaches it."""
    obj = install(sim, annotated(specs.cluster(image=image("0.11.0")), JUMP))
    for wanted, wait in edits:
        obj = specs.with_spec(obj, image=wanted)
        sim.apply(obj)
        sim.step(wait)
    sim.apply(specs.with_spec(obj, image=image("1.3.0")))
    sim.run_until(lambda: specs.is_ready(sim), 80)
    assert running_versions(sim) == {"1.3.0"}
    assert_clean(sim)


def test_a_single_broker_is_warned_about_while_it_must_restart(sim: Simulation) -> None:
    pools = [
        specs.pool("controllers", "controller"),
        specs.pool("broker", "broker"),
        specs.pool("hot", "server"),
    ]
    obj = install(sim, specs.cluster(pools=pools))
    assert "warnings" not in specs.live(sim)["status"]
    sim.apply(specs.with_spec(obj, image=image("1.3.0")))
    assert specs.live(sim)["status"]["warnings"] == [
        "the cluster has a single broker (pool broker): every query fails while it restarts; "
        "run two or more broker replicas to roll without downtime"
    ]
    sim.run_until(lambda: specs.is_ready(sim), 20)
    assert "warnings" not in specs.live(sim)["status"]
    assert_clean(sim)


def test_a_tenant_served_by_a_single_broker_is_warned_about_while_it_must_restart(sim: Simulation) -> None:
    pools = [
        specs.pool("controllers", "controller"),
        specs.pool("brokers", "broker", 2),
        specs.pool("cold-broker", "broker", 1, tenant="cold"),
        specs.pool("hot", "server", tenant="hot"),
        specs.pool("cold", "server", tenant="cold"),
    ]
    obj = install(sim, specs.cluster(pools=pools))
    sim.apply(specs.with_spec(obj, image=image("1.3.0")))
    sim.run_until(lambda: "warnings" in specs.live(sim)["status"], 20)
    # The untagged pool's two brokers roll one at a time; tenant cold has one broker.
    assert specs.live(sim)["status"]["warnings"] == [
        "tenant cold has a single broker (pool cold-broker): every query to its tables fails while it "
        "restarts; run two or more broker replicas for it to roll without downtime"
    ]
    sim.run_until(lambda: specs.is_ready(sim), 30)
    assert "warnings" not in specs.live(sim)["status"]
    assert_clean(sim)


def test_a_plugin_the_target_release_does_not_have_is_refused_unless_skipped(sim: Simulation) -> None:
    kafka = {"server": {"pinot": {"plugins": ["pinot-kafka-2.0", "pinot-s3"]}}}
    obj = install(sim, specs.cluster(image=image("1.4.0"), defaults=kafka))
    before = uids(sim)
    upgraded = specs.with_spec(obj, image=image("1.5.0"))
    sim.apply(upgraded)
    sim.step(2)
    ready = specs.condition(sim, "Ready")
    assert ready is not None and ready["reason"] == "KnownStepRefused"
    assert "pool hot lists plugin pinot-kafka-2.0, which Pinot has only before 1.5.0" in ready["message"]
    assert uids(sim) == before

    sim.apply(annotated(upgraded, {"pinot.controlplane.dev/skip-known-steps": "plugins"}))
    watch(sim, before)
    assert_clean(sim)


HISTORY_IMAGES = [image(v) for v in ("0.11.0", "0.12.1", "1.2.0", "1.3.0")]


@settings(max_examples=examples(4), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(edits=st.lists(st.tuples(st.sampled_from(HISTORY_IMAGES), st.integers(0, 4)), min_size=1, max_size=4))
def test_any_history_of_versions_never_lets_1_3_meet_servers_sending_v3(edits: list[tuple[str, int]]) -> None:
    """Whatever versions a user asks in whatever order (jumps allowed), no broker or server runs 1.3.0
    while a server runs 0.11.0 without DataTable v4; asking the newest version at the end always
    reaches it. (Not checked here: the rollout order. A change that needs servers prepared while
    pools are in the middle of a roll prepares them while those pools are held where they stand, as
    docs/upgrades.md says; the scenarios above check the order of every whole change.)"""
    with Simulation() as sim:
        invariants.install(
            sim, invariants.fixed_point, invariants.immutable_fields, invariants.condition_shape
        )
        check = servers_send_v4_before_meeting_1_3(sim)
        sim.settle_hooks.append(lambda _: check())
        jump_through_then_reach_1_3(sim, edits)
