"""Pool tenants and tags in the PinotCluster spec, and what the sync hook answers about membership."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from hooks.cluster.spec import Pool, Role
from hooks.cluster.sync import sync_cluster
from hooks.membership.tags import pool_tags, tag_problems
from tests.cluster.builders import BASE_SPEC, NOW, parent, request, settle
from tests.support.kube_schemas import strict_errors

JsonObject = dict[str, Any]


def model(role: str, **fields: Any) -> Pool:
    return Pool.model_validate({"name": "p", "role": role, **fields})


@pytest.mark.parametrize(
    ("role", "fields", "tags"),
    [
        ("server", {"tenant": "hot"}, ("hot_OFFLINE", "hot_REALTIME")),
        ("server", {"tags": ["hot_REALTIME"]}, ("hot_REALTIME",)),
        (
            "server",
            {"tenant": "hot", "tags": ["warm_OFFLINE"]},
            ("hot_OFFLINE", "hot_REALTIME", "warm_OFFLINE"),
        ),
        ("broker", {"tenant": "edge"}, ("edge_BROKER",)),
        ("minion", {"tags": ["minion_untagged", "merge_MINION"]}, ("merge_MINION", "minion_untagged")),
        ("server", {}, None),
        ("controller", {}, None),
    ],
)
def test_a_pools_tags_follow_from_its_tenant_and_tags(
    role: str, fields: JsonObject, tags: tuple[str, ...] | None
) -> None:
    assert pool_tags(model(role, **fields)) == tags


@pytest.mark.parametrize(
    ("role", "fields", "problem"),
    [
        (
            "minion",
            {"tenant": "hot"},
            ("spec.pools[0].tenant", "a minion pool serves no tenant; only broker and server pools do"),
        ),
        (
            "controller",
            {"tags": ["a_BROKER"]},
            ("spec.pools[0].tags", "a controller pool carries no Pinot tags"),
        ),
        (
            "server",
            {"tags": ["hot_BROKER"]},
            (
                "spec.pools[0].tags[0]",
                "'hot_BROKER' is no server tag: it must be <name>_OFFLINE or <name>_REALTIME",
            ),
        ),
        (
            "broker",
            {"tags": ["edge_OFFLINE"]},
            ("spec.pools[0].tags[0]", "'edge_OFFLINE' is no broker tag: it must be <name>_BROKER"),
        ),
        (
            "minion",
            {"tags": ["merge"]},
            (
                "spec.pools[0].tags[0]",
                "'merge' is no minion tag: it must be <name>_MINION (or minion_untagged)",
            ),
        ),
        (
            "server",
            {"tags": ["a_OFFLINE", "a_OFFLINE"]},
            ("spec.pools[0].tags[1]", "duplicate tag 'a_OFFLINE'"),
        ),
    ],
)
def test_tags_that_pinot_would_not_read_as_the_pools_role_are_refused(
    role: str, fields: JsonObject, problem: tuple[str, str]
) -> None:
    assert tag_problems([model(role, **fields)]) == [problem]


def spec(**pool_fields: JsonObject) -> JsonObject:
    found = copy.deepcopy(BASE_SPEC)
    for entry in found["pools"]:
        entry.update(pool_fields.get(entry["name"], {}))
    return found


def converge(spec_: JsonObject, rounds: int = 30) -> tuple[JsonObject, list[JsonObject]]:
    """Rounds with every StatefulSet ready and every Job complete, until Ready."""
    obj = parent(spec_)
    children: list[JsonObject] = []
    for _ in range(rounds):
        body = sync_cluster(request(obj, children), NOW).body
        obj["status"] = {**body["status"], "observedGeneration": 1}
        children = [settle(c) for c in body["children"]]
        if next(c for c in body["status"]["conditions"] if c["type"] == "Ready")["status"] == "True":
            return body, children
    raise AssertionError("not ready")


def test_invalid_tags_are_an_invalid_spec_naming_the_field_and_nothing_is_touched() -> None:
    bad = spec(hot={"tenant": "hot", "tags": ["hot_BROKER"]})
    _, children = converge(spec())
    obj = parent(bad)
    again = sync_cluster(request(obj, children), NOW).body
    ready = next(c for c in again["status"]["conditions"] if c["type"] == "Ready")
    assert (ready["status"], ready["reason"]) == ("False", "InvalidSpec")
    assert "spec.pools[2].tags[0]: 'hot_BROKER' is no server tag" in ready["message"]
    assert sorted(c["metadata"]["name"] for c in again["children"]) == sorted(
        c["metadata"]["name"] for c in children
    )


def test_a_settled_cluster_reports_pinots_side_of_each_pool_and_its_jobs_are_valid_kubernetes() -> None:
    body, _ = converge(spec(hot={"tenant": "hot"}, brokers={"tenant": "edge"}))
    pools = {p["name"]: p for p in body["status"]["pools"]}
    assert "pinot" not in pools["controllers"]
    assert pools["hot"]["pinot"]["phase"] == "Settled"
    assert (
        pools["hot"]["pinot"]["message"]
        == "2 instance(s) registered and tagged hot_OFFLINE, hot_REALTIME; tables rebalanced"
    )
    jobs = [c for c in body["children"] if c["kind"] == "Job"]
    assert sorted(j["metadata"]["labels"]["pinot.controlplane.dev/membership-pool"] for j in jobs) == [
        "brokers", "cold", "cold", "hot", "hot", "minions",
    ]  # fmt: skip
    assert [problem for j in jobs for problem in strict_errors(j)] == []
    tag = next(j for j in jobs if j["metadata"]["name"].startswith("demo-brokers-tag-"))
    args = tag["spec"]["template"]["spec"]["containers"][0]["args"]
    assert args[:12] == [
        "membership", "tag", "--role", "broker", "--statefulset", "demo-brokers",
        "--service", "demo-brokers-headless", "--namespace", "analytics", "--keep", "2",
    ]  # fmt: skip
    assert args[args.index("--tags") + 1] == "edge_BROKER"
    pod = tag["spec"]["template"]
    assert "pinot.controlplane.dev/pool" not in pod["metadata"]["labels"]  # never selected by the pool
    assert pod["spec"]["automountServiceAccountToken"] is False


def test_a_job_under_way_names_the_phase_in_progressing() -> None:
    obj = parent(spec(hot={"tenant": "hot"}))
    children: list[JsonObject] = []
    reasons = []
    for _ in range(12):
        body = sync_cluster(request(obj, children), NOW).body
        obj["status"] = {**body["status"], "observedGeneration": 1}
        reasons.append(next(c for c in body["status"]["conditions"] if c["type"] == "Progressing")["reason"])
        children = [settle(c) for c in body["children"]]
    assert reasons[:6] == ["RollingOut", "RollingOut", "Tagging", "RollingOut", "Tagging", "Rebalancing"]


def test_the_force_annotation_reaches_the_drain_job_of_the_pools_it_names() -> None:
    _, children = converge(spec())
    shrink = parent(spec(hot={"replicas": 1}))
    shrink["metadata"]["annotations"] = {"pinot.controlplane.dev/force-scale-in": "cold, hot"}
    body = sync_cluster(request(shrink, children), NOW).body
    (drain,) = [c for c in body["children"] if c["kind"] == "Job" and "-drain-" in c["metadata"]["name"]]
    assert "--force" in drain["spec"]["template"]["spec"]["containers"][0]["args"]
    hot = next(c for c in body["children"] if c["metadata"]["name"] == "demo-hot")
    assert hot["spec"]["replicas"] == 2  # nothing goes before the drain reports


def test_a_statefulset_the_hook_cannot_account_for_is_kept_and_reported() -> None:
    _, children = converge(spec())
    stranger = copy.deepcopy(next(c for c in children if c["metadata"]["name"] == "demo-hot"))
    stranger["metadata"]["name"] = "demo-hot-v1"  # an older naming
    stranger["metadata"]["labels"] = {"app": "pinot-server"}
    again = sync_cluster(request(parent(spec()), [*children, stranger]), NOW).body
    kept = [c for c in again["children"] if c["metadata"]["name"] == "demo-hot-v1"]
    assert len(kept) == 1 and kept[0]["spec"]["replicas"] == stranger["spec"]["replicas"]
    assert again["status"]["unrecognizedChildren"] == ["StatefulSet/demo-hot-v1"]
    degraded = next(c for c in again["status"]["conditions"] if c["type"] == "Degraded")
    assert (degraded["status"], degraded["reason"]) == ("True", "UnrecognizedChildren")
    assert "StatefulSet/demo-hot-v1" in degraded["message"]


def test_a_pool_removed_from_the_spec_is_listed_while_it_drains() -> None:
    _, children = converge(spec())
    without = spec()
    without["pools"] = [p for p in without["pools"] if p["name"] != "cold"]
    body = sync_cluster(request(parent(without), children), NOW).body
    assert [(r["name"], r["phase"], r["replicas"]) for r in body["status"]["removedPools"]] == [
        ("cold", "Draining", 1)
    ]
    progressing = next(c for c in body["status"]["conditions"] if c["type"] == "Progressing")
    assert progressing["reason"] == "Draining"
    assert "pool cold is being removed (Draining: Job demo-cold-drain-" in progressing["message"]
    assert Role.SERVER.value == body["status"]["removedPools"][0]["role"]


def config_text(children: list[JsonObject], pool: str) -> str:
    (found,) = [
        c
        for c in children
        if c["kind"] == "ConfigMap" and c["metadata"]["labels"].get("pinot.controlplane.dev/pool") == pool
    ]
    (text,) = found["data"].values()
    return str(text)


def test_a_broker_pool_with_a_tenant_starts_with_its_tags_and_a_property_of_the_spec_wins() -> None:
    _, children = converge(spec(brokers={"tenant": "edge", "tags": ["web_BROKER"]}, hot={"tenant": "hot"}))
    assert "pinot.broker.instance.tags=edge_BROKER,web_BROKER\n" in config_text(children, "brokers")
    assert "instance.tags" not in config_text(children, "hot")  # servers have no start-up tag key
    _, plain = converge(spec())
    assert "instance.tags" not in config_text(plain, "brokers")
    own = {"tenant": "edge", "pinot": {"properties": {"pinot.broker.instance.tags": "other_BROKER"}}}
    _, chosen = converge(spec(brokers=own))
    assert "pinot.broker.instance.tags=other_BROKER\n" in config_text(chosen, "brokers")
