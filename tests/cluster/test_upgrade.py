"""The version plan as a pure function of the spec and what each pool runs (docs/upgrades.md)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from hooks.cluster.known_steps import DATATABLE_VERSION, SPLIT_COMMIT
from hooks.cluster.running import PoolRun, Run, parse_runs, record, recorded_after, running_text, satisfied
from hooks.cluster.settings import ordered_pools
from hooks.cluster.upgrade import ALLOW_JUMP_ANNOTATION, SKIP_STEPS_ANNOTATION, Direction, Plan, plan_versions
from hooks.cluster.validation import parse_spec
from hooks.cluster.versions import PinotVersion, version_of_image
from tests.cluster.builders import BASE_SPEC

JUMP = {ALLOW_JUMP_ANNOTATION: "true"}


def image(version: str) -> str:
    return f"apachepinot/pinot:{version}"


def run(version: str, config: dict[str, str] | None = None, **facts: Any) -> PoolRun:
    found = version_of_image(image(version))
    steps: frozenset[str] = frozenset()
    if config is not None and found is not None:
        steps = satisfied(found, config)
    values: dict[str, Any] = {
        "template": Run(found, steps, image(version)),
        "template_image": image(version),
        "config": config or {},
        "settled": True,
        "moved": False,
        "recorded": (),
        "replicas": 1,
        "reported": True,
    }
    values.update(facts)
    return PoolRun(**values)


def plan_for(
    version: str,
    runs: dict[str, PoolRun],
    annotations: dict[str, str] | None = None,
    **spec: Any,
) -> Plan:
    raw = copy.deepcopy(BASE_SPEC)
    raw["image"] = image(version)
    raw.update(spec)
    parsed, errors = parse_spec(raw, "demo")
    assert parsed is not None, errors
    return plan_versions(ordered_pools(parsed), runs, annotations or {})


def everywhere(version: str, **facts: Any) -> dict[str, PoolRun]:
    return {name: run(version, **facts) for name in ("controllers", "brokers", "hot", "cold", "minions")}


def order(plan: Plan) -> list[str]:
    return [pool.name for pool in plan.pools]


def properties(plan: Plan, name: str) -> dict[str, str]:
    return next(pool.pinot.properties for pool in plan.pools if pool.name == name)


def test_an_install_moves_nothing_and_keeps_the_deployment_order() -> None:
    plan = plan_for("1.3.0", {}, deploymentOrder=["server", "broker", "controller", "minion"])
    assert (plan.direction, plan.moving, plan.refusals, plan.held) == (None, (), (), {})
    assert order(plan) == ["hot", "cold", "brokers", "controllers", "minions"]


@pytest.mark.parametrize(
    ("before", "after", "direction", "expected"),
    [
        ("1.2.0", "1.3.0", Direction.UP, ["controllers", "brokers", "hot", "cold", "minions"]),
        ("1.3.0", "1.2.0", Direction.DOWN, ["minions", "hot", "cold", "brokers", "controllers"]),
        ("1.3.0", "1.3.1", Direction.UP, ["controllers", "brokers", "hot", "cold", "minions"]),
    ],
)
def test_the_direction_decides_the_order_over_the_deployment_order(
    before: str, after: str, direction: Direction, expected: list[str]
) -> None:
    plan = plan_for(after, everywhere(before), deploymentOrder=["minion", "server", "broker", "controller"])
    assert plan.direction is direction
    assert order(plan) == expected
    assert plan.refusals == () and plan.held == {}


def test_a_new_image_of_the_same_version_moves_no_version() -> None:
    plan = plan_for("1.3.0", everywhere("1.3.0"), image="apachepinot/pinot:1.3.0-17-amazoncorretto")
    assert (plan.direction, plan.moving) == (None, ())


def test_a_jump_across_lines_is_refused_unless_allowed() -> None:
    refused = plan_for("1.3.0", everywhere("0.11.0"))
    assert [r.reason for r in refused.refusals] == ["UntestedVersionJump"]
    assert "go through 0.12.1, 1.0.0, 1.1.0, 1.2.0 one at a time" in refused.refusals[0].message
    assert set(refused.held) == {"controllers", "brokers", "hot", "cold", "minions"}
    allowed = plan_for("1.3.0", everywhere("0.11.0"), JUMP)
    assert allowed.refusals == () and allowed.jumps == ("0.11.0 -> 1.3.0",)


def test_going_down_names_the_releases_from_the_top() -> None:
    refused = plan_for("0.11.0", everywhere("1.3.0"))
    assert "go through 1.2.0, 1.1.0, 1.0.0, 0.12.1 one at a time" in refused.refusals[0].message


def test_up_and_down_at_once_is_refused_with_the_pools() -> None:
    runs = everywhere("1.2.0") | {"minions": run("1.3.0")}
    pools = copy.deepcopy(BASE_SPEC["pools"])
    pools[4]["image"] = image("1.2.0")
    plan = plan_for("1.3.0", runs | {"minions": run("1.3.0")}, pools=pools)
    assert [r.reason for r in plan.refusals] == ["MixedVersionDirections"]
    assert "down (minions (1.3.0 -> 1.2.0))" in plan.refusals[0].message
    assert plan.direction is None


def test_a_pool_between_two_versions_and_a_target_between_them_is_refused() -> None:
    mixed = run(
        "1.3.0",
        settled=False,
        moved=True,
        recorded=(Run(PinotVersion(1, 2, 0), frozenset(), image("1.2.0")),),
    )
    plan = plan_for("1.2.1", everywhere("1.2.0") | {"controllers": mixed})
    assert [r.reason for r in plan.refusals] == ["MixedVersionDirections"]


def test_an_unreadable_version_holds_only_the_pools_whose_image_changed() -> None:
    pools = copy.deepcopy(BASE_SPEC["pools"])
    pools[4]["image"] = "registry.example.com/pinot:custom"
    plan = plan_for("1.3.0", everywhere("1.3.0"), pools=pools)
    assert [r.reason for r in plan.refusals] == ["VersionUnknown"]
    assert set(plan.held) == {"minions"}
    assert "spec.pools[4].pinotVersion" in plan.refusals[0].message


def test_a_running_version_that_is_not_known_asks_for_it_first() -> None:
    unknown = everywhere("1.3.0") | {
        "hot": run("1.3.0")._replace(template=Run(None, frozenset(), "r/p:x"), template_image="r/p:x")
    }
    plan = plan_for("1.3.0", unknown)
    assert "hot runs r/p:x, whose Pinot version is not known" in plan.refusals[0].message


def test_servers_before_0_11_cannot_meet_1_3_even_when_the_jump_is_allowed() -> None:
    plan = plan_for("1.3.0", everywhere("0.10.0"), JUMP)
    assert [r.reason for r in plan.refusals] == ["KnownStepRefused"]
    assert "upgrade the servers to 0.11.0 or later first" in plan.refusals[0].message
    skipped = plan_for(
        "1.3.0", everywhere("0.10.0"), JUMP | {SKIP_STEPS_ANNOTATION: "datatable-v4-unavailable"}
    )
    assert skipped.refusals == ()


def test_segments_1_5_writes_are_not_met_by_servers_before_1_1_either_way() -> None:
    for start, end in (("1.0.0", "1.5.0"), ("1.5.0", "1.0.0")):
        plan = plan_for(end, everywhere(start), JUMP)
        assert [r.reason for r in plan.refusals] == ["KnownStepRefused"], (start, end)
        assert "raw multi-value forward indexes in the V4 format" in plan.refusals[0].message
        assert "go through 1.1.0 or later first" in plan.refusals[0].message
    assert plan_for("1.1.0", everywhere("1.5.0"), JUMP).refusals == ()


def test_servers_are_prepared_at_the_image_they_run_before_1_3_meets_them() -> None:
    plan = plan_for("1.3.0", everywhere("0.11.0", config={}), JUMP)
    assert plan.preparing and plan.steps == ("datatable-v4", "split-commit")
    assert order(plan)[:2] == ["hot", "cold"]
    hot = next(pool for pool in plan.pools if pool.name == "hot")
    assert (hot.image, hot.version) == (image("0.11.0"), "0.11.0")
    assert hot.pinot.properties[DATATABLE_VERSION] == "4"
    assert set(plan.held) == {"controllers", "brokers", "minions"}


def test_once_prepared_the_version_rolls_and_1_3_servers_need_nothing() -> None:
    prepared = everywhere("0.11.0", config={DATATABLE_VERSION: "4"})
    plan = plan_for("1.3.0", prepared, JUMP)
    assert not plan.preparing and plan.direction is Direction.UP
    assert DATATABLE_VERSION not in properties(plan, "hot")
    assert order(plan) == ["controllers", "brokers", "hot", "cold", "minions"]


def test_rolling_back_below_1_0_gives_the_servers_v4_and_they_keep_it() -> None:
    plan = plan_for("0.11.0", everywhere("1.3.0"), JUMP)
    assert not plan.preparing and plan.direction is Direction.DOWN
    assert properties(plan, "hot")[DATATABLE_VERSION] == "4"
    back = plan_for("0.11.0", everywhere("0.11.0", config={DATATABLE_VERSION: "4"}))
    assert back.steps == () and properties(back, "hot")[DATATABLE_VERSION] == "4"


def test_a_value_the_user_sets_wins_once_no_step_applies() -> None:
    mine = {"server": {"pinot": {"properties": {DATATABLE_VERSION: "3"}}}}
    plan = plan_for("0.11.0", everywhere("0.11.0", config={DATATABLE_VERSION: "4"}), defaults=mine)
    assert properties(plan, "hot")[DATATABLE_VERSION] == "3"


def test_servers_that_turned_the_split_commit_off_are_prepared_for_1_3_controllers() -> None:
    off = {"server": {"pinot": {"properties": {SPLIT_COMMIT: "false"}}}}
    plan = plan_for("1.3.0", everywhere("1.0.0", config={SPLIT_COMMIT: "false"}), JUMP, defaults=off)
    assert plan.preparing
    assert properties(plan, "hot")[SPLIT_COMMIT] == "true"
    assert DATATABLE_VERSION not in properties(plan, "hot"), "1.0.0 servers send v4 already"


def test_a_plugin_the_target_release_lacks_is_refused_unless_skipped() -> None:
    kafka = {"common": {"pinot": {"plugins": ["pinot-kafka-2.0"]}}}
    plan = plan_for("1.5.0", everywhere("1.4.0"), defaults=kafka)
    assert {r.reason for r in plan.refusals} == {"KnownStepRefused"}
    assert (
        "plugin pinot-kafka-2.0, which Pinot has only before 1.5.0, not at 1.5.0" in plan.refusals[0].message
    )
    assert (
        plan_for("1.5.0", everywhere("1.4.0"), {SKIP_STEPS_ANNOTATION: "plugins"}, defaults=kafka).refusals
        == ()
    )
    newer = {"common": {"pinot": {"plugins": ["pinot-kafka-3.0"]}}}
    assert plan_for("1.2.0", everywhere("1.3.0"), defaults=newer).refusals[0].reason == "KnownStepRefused"


def test_skipping_every_step_skips_the_preparation() -> None:
    plan = plan_for("1.3.0", everywhere("0.11.0", config={}), JUMP | {SKIP_STEPS_ANNOTATION: "all"})
    assert not plan.preparing and plan.steps == ()


def test_what_pods_may_run_is_recorded_while_the_template_changes() -> None:
    settled = run("1.2.0")
    new = Run(PinotVersion(1, 3, 0), frozenset(), image("1.3.0"))
    held = recorded_after(settled, "a", "b", new, released=False)
    assert held == (settled.template,)
    released = recorded_after(settled, "a", "b", new, released=True)
    assert released == (settled.template, new)
    assert parse_runs(record(released)["pinot.controlplane.dev/running-versions"]) == released
    assert running_text(settled, released, new.version) == "1.2.0 -> 1.3.0"
    assert running_text(settled, held, new.version) == "1.2.0"
    assert recorded_after(settled, "a", "a", new, released=False) == ()
    assert running_text(settled._replace(reported=False), released, new.version) == ""
