"""An invalid spec is answered with a message that names the field and the problem."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from hooks.cluster.sync import sync_cluster
from hooks.cluster.validation import parse_spec
from tests.cluster.builders import BASE_SPEC, NOW, parent, request


def spec_with(change: dict[str, Any] | None = None, **top: Any) -> dict[str, Any]:
    spec = copy.deepcopy(BASE_SPEC)
    spec.update(top)
    if change:
        for index, pool_change in change.items():
            spec["pools"][index].update(pool_change)
    return spec


CASES = [
    ("missing image", {k: v for k, v in BASE_SPEC.items() if k != "image"}, "spec.image", "Field required"),
    (
        "negative replicas",
        spec_with({2: {"replicas": -1}}),
        "spec.pools[2].replicas",
        "greater than or equal",
    ),
    ("unknown role", spec_with({0: {"role": "coordinator"}}), "spec.pools[0].role", "Input should be"),
    ("unknown field", spec_with(replica=3), "spec.replica", "Extra inputs"),
    ("duplicate pool", spec_with({3: {"name": "hot"}}), "spec.pools[3].name", "duplicate pool name"),
    ("bad pool name", spec_with({3: {"name": "Cold_1"}}), "spec.pools[3].name", "DNS label"),
    (
        "no broker",
        {**BASE_SPEC, "pools": [p for p in BASE_SPEC["pools"] if p["role"] != "broker"]},
        "spec.pools",
        "at least one broker pool",
    ),
    (
        "order not a permutation",
        spec_with(deploymentOrder=["controller", "broker", "server"]),
        "spec.deploymentOrder",
        "exactly once",
    ),
    (
        "owned property",
        spec_with({2: {"pinot": {"properties": {"pinot.server.netty.port": "1"}}}}),
        "spec.pools[2].pinot.properties['pinot.server.netty.port']",
        "owned by the control plane",
    ),
    (
        "owned property in common defaults",
        spec_with(
            defaults={"common": {"pinot": {"properties": {"pinot.set.instance.id.to.hostname": "false"}}}}
        ),
        "spec.defaults.common.pinot.properties['pinot.set.instance.id.to.hostname']",
        "owned by the control plane",
    ),
    (
        "multi-line property",
        spec_with({2: {"pinot": {"properties": {"a.b": "x\nc=d"}}}}),
        "spec.pools[2].pinot.properties['a.b']",
        "such as a line break",
    ),
    (
        "bad storage size",
        spec_with({2: {"kubernetes": {"storage": {"size": "lots"}}}}),
        "spec.pools[2].kubernetes.storage.size",
        "not a Kubernetes quantity",
    ),
    (
        "bad resource quantity",
        spec_with({2: {"kubernetes": {"resources": {"requests": {"memory": "8 GB"}}}}}),
        "spec.pools[2].kubernetes.resources.requests.memory",
        "not a Kubernetes quantity",
    ),
    (
        "JAVA_OPTS in env",
        spec_with({1: {"kubernetes": {"env": [{"name": "JAVA_OPTS", "value": "-Xmx1G"}]}}}),
        "spec.pools[1].kubernetes.env[0].name",
        "set from pinot.jvmOpts",
    ),
    (
        "plugin with a comma",
        spec_with({1: {"pinot": {"plugins": ["a,b"]}}}),
        "spec.pools[1].pinot.plugins[0]",
        "without ','",
    ),
]


@pytest.mark.parametrize(("spec", "field", "problem"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_invalid_spec_names_field_and_problem(spec: dict[str, Any], field: str, problem: str) -> None:
    parsed, errors = parse_spec(spec, "demo")
    assert parsed is None
    messages = [str(e) for e in errors]
    assert any(m.startswith(field + ":") and problem in m for m in messages), messages


def test_names_too_long_for_child_names_are_refused() -> None:
    spec = spec_with({3: {"name": "a-long-pool-for-cold-data"}})  # 25 characters; with the cluster's 26
    _, errors = parse_spec(spec, "a-rather-long-cluster-name")
    assert any(e.field == "spec.pools[3].name" and "at most 50" in e.problem for e in errors)


def test_a_pool_name_over_30_characters_is_refused_whatever_the_cluster_name() -> None:
    _, errors = parse_spec(spec_with({3: {"name": "p" * 31}}), "c")
    assert [str(e) for e in errors] == ["spec.pools[3].name: String should have at most 30 characters"]


def test_valid_spec_parses_with_defaults() -> None:
    parsed, errors = parse_spec(copy.deepcopy(BASE_SPEC), "demo")
    assert errors == []
    assert parsed is not None
    assert [r.value for r in parsed.deploymentOrder] == ["controller", "broker", "server", "minion"]
    assert parsed.paused is False
    assert parsed.rollout.progressDeadlineSeconds == 900


def test_spec_that_is_not_an_object_is_invalid() -> None:
    parsed, errors = parse_spec(["not", "a", "spec"], "demo")
    assert parsed is None
    assert [str(e) for e in errors] == ["spec: must be an object"]


def test_remembered_findings_follow_the_spec_they_were_found_in() -> None:
    clean = spec_with({2: {"pinot": {"properties": {"x": "1"}}}})
    owned = spec_with({2: {"pinot": {"properties": {"pinot.server.netty.port": "1"}}}})
    moved = spec_with({3: {"pinot": {"properties": {"pinot.server.netty.port": "1"}}}})

    for raw in (clean, owned, clean, moved, owned, clean):
        spec, errors = parse_spec(raw, "demo")
        fields = [error.field for error in errors]
        expected = {
            id(clean): [],
            id(owned): ["spec.pools[2].pinot.properties['pinot.server.netty.port']"],
            id(moved): ["spec.pools[3].pinot.properties['pinot.server.netty.port']"],
        }[id(raw)]
        assert fields == expected
        assert (spec is None) == bool(expected)


def test_remembered_defaults_and_their_findings_follow_the_spec() -> None:
    def with_common(properties: dict[str, str]) -> dict[str, Any]:
        return spec_with(defaults={"common": {"pinot": {"properties": properties}}})

    clean, owned = with_common({"x": "1"}), with_common({"pinot.set.instance.id.to.hostname": "false"})
    for raw in (clean, owned, clean, owned):
        spec, errors = parse_spec(copy.deepcopy(raw), "demo")
        if raw is owned:
            assert spec is None
            assert [e.field for e in errors] == [
                "spec.defaults.common.pinot.properties['pinot.set.instance.id.to.hostname']"
            ]
        else:
            assert errors == []
            assert spec is not None
            assert spec.defaults.common.pinot.properties == {"x": "1"}


def invalid_spec_message(spec: dict[str, Any]) -> str | None:
    """The Ready condition's message when the hook finds `spec` invalid, else None."""
    body = sync_cluster(request(parent(spec)), NOW).body
    ready = next(c for c in body["status"]["conditions"] if c["type"] == "Ready")
    return str(ready["message"]) if ready["reason"] == "InvalidSpec" else None


@pytest.mark.parametrize("drain", ["", "soon", "-1", str(2**63)])
@pytest.mark.parametrize("grace", [None, 600])
def test_a_server_drain_that_is_no_java_long_of_milliseconds_is_refused(
    drain: str, grace: int | None
) -> None:
    # Was a 500 without a grace period: the grace period is derived from the drain.
    kubernetes = {} if grace is None else {"terminationGracePeriodSeconds": grace}
    spec = spec_with(
        {2: {"pinot": {"properties": {"pinot.server.shutdown.timeoutMs": drain}}, "kubernetes": kubernetes}}
    )
    message = invalid_spec_message(spec)
    assert message is not None
    assert (
        "spec.pools[2].pinot.properties['pinot.server.shutdown.timeoutMs']: must be a whole number" in message
    )


def test_a_drain_set_in_defaults_is_checked_on_every_server_pool() -> None:
    spec = spec_with(defaults={"server": {"pinot": {"properties": {"pinot.server.shutdown.timeoutMs": "x"}}}})
    message = invalid_spec_message(spec)
    assert message is not None
    assert "spec.pools[2].pinot" in message and "spec.pools[3].pinot" in message


def test_a_grace_period_shorter_than_the_drain_is_refused() -> None:
    spec = spec_with({2: {"kubernetes": {"terminationGracePeriodSeconds": 60}}})
    message = invalid_spec_message(spec)
    assert message is not None
    assert "spec.pools[2].kubernetes.terminationGracePeriodSeconds: must be longer than" in message
    assert (
        invalid_spec_message(spec_with({2: {"kubernetes": {"terminationGracePeriodSeconds": 121}}})) is None
    )


def test_findings_of_kubernetes_settings_stay_when_only_pinot_settings_change() -> None:
    env = [{"name": "JAVA_OPTS", "value": "-Xmx1G"}]
    for value in ("1", "2", "1"):
        spec = spec_with({2: {"pinot": {"properties": {"x": value}}, "kubernetes": {"env": env}}})
        _, errors = parse_spec(spec, "demo")
        assert [e.field for e in errors] == ["spec.pools[2].kubernetes.env[0].name"]
    spec = spec_with(
        {2: {"pinot": {"properties": {"pinot.server.netty.port": "1"}}, "kubernetes": {"env": env}}}
    )
    _, errors = parse_spec(spec, "demo")
    assert [e.field for e in errors] == [
        "spec.pools[2].pinot.properties['pinot.server.netty.port']",
        "spec.pools[2].kubernetes.env[0].name",
    ]


def test_every_problem_is_reported_at_once_whatever_part_it_is_in() -> None:
    """A refused field of the spec does not hide what the valid pools say, nor the other way round."""
    bad_shell = spec_with(
        {2: {"pinot": {"properties": {"pinot.server.netty.port": "1"}}}, 3: {"name": "hot"}}, image=""
    )
    _, errors = parse_spec(bad_shell, "n" * 41)
    assert sorted(e.field for e in errors) == [
        "metadata.name",
        "spec.image",
        "spec.pools[0].name",  # "controllers" with the 41 characters of the cluster's name
        "spec.pools[2].name",
        "spec.pools[2].pinot.properties['pinot.server.netty.port']",
        "spec.pools[3].name",
    ]
    bad_pools = spec_with({0: {"role": "coordinator"}}, deploymentOrder=["controller"])
    _, errors = parse_spec(bad_pools, "demo")
    assert sorted(e.field for e in errors) == ["spec.deploymentOrder", "spec.pools[0].role"]
