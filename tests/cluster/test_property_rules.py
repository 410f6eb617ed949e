"""The spec's values that reach a Pinot config file: each is written so Pinot reads back exactly
what the spec says, or the spec is InvalidSpec naming the field and why (README "Pinot properties")."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from hooks.cluster import validation
from hooks.cluster.pinotconf import owned_problem
from hooks.cluster.spec import Role, SpecShell, ZooKeeper
from hooks.cluster.validation import parse_spec
from hooks.refusals import SpecError
from hooks.render import render_children
from tests.cluster.builders import BASE_SPEC, parent

JsonObject = dict[str, Any]
ZOOKEEPER = BASE_SPEC["zookeeper"]["address"]


def spec_with(layer: str, properties: dict[str, str], **top: Any) -> JsonObject:
    """BASE_SPEC with `properties` in `layer`: `common`, a role's defaults, or `pools[<i>]`."""
    spec = copy.deepcopy(BASE_SPEC)
    spec.update(top)
    if layer.startswith("pools["):
        spec["pools"][int(layer[6:-1])]["pinot"] = {"properties": properties}
    else:
        spec["defaults"] = {layer: {"pinot": {"properties": properties}}}
    return spec


def problems(spec: JsonObject, name: str = "demo") -> list[str]:
    parsed, errors = parse_spec(spec, name)
    assert (parsed is None) == bool(errors)
    return [str(error) for error in errors]


def answer(spec: JsonObject) -> JsonObject:
    """The hook's last answer once every pool it created is ready (as `render --ready` does)."""
    children, status = render_children(parent(spec), ready=True)
    return {"children": children, "status": status}


def ready(body: JsonObject) -> JsonObject:
    return next(c for c in body["status"]["conditions"] if c["type"] == "Ready")


def pool_config(body: JsonObject, pool: str) -> str:
    """The text of `pool`'s rendered Pinot config file."""
    (config,) = [
        child
        for child in body["children"]
        if child["kind"] == "ConfigMap" and child["metadata"]["name"].startswith(f"demo-{pool}-config-")
    ]
    (text,) = config["data"].values()
    return str(text)


def lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line and not line.startswith("#")]


# --- the reproductions ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("top", "field"),
    [
        ({"zookeeper": {"address": "zk:2181\ncontroller.port=1"}}, "spec.zookeeper.address"),
        ({"clusterName": "pinot\ncontroller.zk.str=evil:2181"}, "spec.clusterName"),
        ({"clusterName": "pinot\rcontroller.zk.str=evil:2181"}, "spec.clusterName"),
    ],
    ids=["zookeeper-newline", "cluster-name-newline", "cluster-name-return"],
)
def test_a_line_break_in_the_cluster_name_or_zookeeper_address_is_invalid_spec(
    top: JsonObject, field: str
) -> None:
    # The model may refuse it first (field syntax); whoever does, nothing is rendered.
    spec = {**copy.deepcopy(BASE_SPEC), **top}
    assert any(p.startswith(f"{field}: ") for p in problems(spec))
    body = answer(spec)
    assert (ready(body)["reason"], body["children"]) == ("InvalidSpec", [])


@pytest.mark.parametrize(
    ("cluster_name", "address", "field", "found"),
    [
        ("pinot\ncontroller.zk.str=evil:2181", "zk:2181", "spec.clusterName", "U+000A"),
        ("pinot", "zk:2181\rcontroller.port=1", "spec.zookeeper.address", "U+000D"),
    ],
)
def test_the_hook_refuses_a_cluster_name_or_address_it_cannot_write_whatever_the_model_says(
    cluster_name: str, address: str, field: str, found: str
) -> None:
    # Past the model's own field checks (model_construct): the config's rules hold on their own.
    shell = SpecShell.model_construct(
        clusterName=cluster_name, zookeeper=ZooKeeper.model_construct(address=address)
    )
    context = validation._context(shell, "demo")
    assert validation._context_errors(shell, context) == [
        SpecError(
            field,
            f"must not hold control characters such as a line break (found {found}): "
            "each setting is one line of Pinot's config file",
        )
    ]
    # ...and an owned key written from that field cannot be compared with it: refused.
    key = "controller.helix.cluster.name" if field == "spec.clusterName" else "controller.zk.str"
    source = "spec.clusterName" if field == "spec.clusterName" else "spec.zookeeper"
    assert owned_problem([Role.CONTROLLER], key, "x", context) == (
        f"is owned by the control plane, which writes {key} from {source}"
    )


def test_a_trailing_backslash_in_a_property_value_keeps_the_next_property() -> None:
    body = answer(spec_with("pools[2]", {"a.first": "x\\", "a.second": "y"}))
    assert ready(body)["reason"] != "InvalidSpec"
    written = lines(pool_config(body, "hot"))
    assert written[written.index("a.first=x\\\\") + 1] == "a.second=y"


@pytest.mark.parametrize(
    ("key", "value", "written"),
    [
        ("Controller.Port", "1", "controller.port=9000"),
        ("controller.p_ort", "9000x", "controller.port=9000"),
        ("pinot.set.instance.id.to.hostname", "false", "pinot.set.instance.id.to.hostname=true"),
    ],
)
def test_an_owned_key_under_any_spelling_with_another_value_is_refused_naming_what_is_written(
    key: str, value: str, written: str
) -> None:
    assert problems(spec_with("controller", {key: value})) == [
        f"spec.defaults.controller.pinot.properties[{key!r}]: is owned by the control plane, which "
        f"writes {written}; leave it out or set exactly that value"
    ]


@pytest.mark.parametrize(
    ("layer", "key", "value"),
    [
        ("common", "pinot.set.instance.id.to.hostname", "true"),  # as Helm values often set it
        ("controller", "Controller.Port", "9000"),
        ("pools[2]", "pinot.server.netty.port", "8098"),
        ("controller", "controller.zk.str", ZOOKEEPER),
        ("controller", "controller.helix.cluster.name", "demo"),  # metadata.name, clusterName unset
        ("minion", "data_dir", "/var/pinot/minion/data"),
    ],
)
def test_an_owned_key_set_to_the_value_written_anyway_is_accepted_and_written_once(
    layer: str, key: str, value: str
) -> None:
    spec = spec_with(layer, {key: value})
    assert problems(spec) == []
    body = answer(spec)
    assert ready(body)["reason"] != "InvalidSpec"
    for pool in BASE_SPEC["pools"]:
        keys = [line.split("=", 1)[0] for line in lines(pool_config(body, pool["name"]))]
        relaxed = [k.replace("_", "").replace("-", "").lower() for k in keys]
        assert len(relaxed) == len(set(relaxed)), keys


@pytest.mark.parametrize(
    ("key", "value", "field"),
    [
        ("controller.zk.str", "evil:2181", "spec.zookeeper"),
        ("Controller.Helix.Cluster.Name", "other", "spec.clusterName"),
        ("Controller.Data.D_ir", "/tmp", "spec.deepStore"),  # the deep store's URI, or the pod's own
    ],
)
def test_an_owned_key_written_from_the_spec_points_to_its_field(key: str, value: str, field: str) -> None:
    owned = key.lower().replace("_", "")
    assert problems(spec_with("controller", {key: value})) == [
        f"spec.defaults.controller.pinot.properties[{key!r}]: is owned by the control plane, which "
        f"writes {owned} from {field}; set it there"
    ]


def test_an_owned_key_for_a_managed_ensemble_is_refused() -> None:
    # The managed ensemble's address follows from the namespace: no value can be known to match.
    spec = spec_with("controller", {"controller.zk.str": ""}, zookeeper={"managed": {}})
    assert problems(spec) == [
        "spec.defaults.controller.pinot.properties['controller.zk.str']: is owned by the control plane, "
        "which writes controller.zk.str from spec.zookeeper"
    ]


def test_two_spellings_of_one_key_in_one_layer_are_refused() -> None:
    assert problems(
        spec_with(
            "pools[2]",
            {"pinot.server.query.executor.timeout": "1", "Pinot.Server.Query.Executor.Timeout": "2"},
        )
    ) == [
        "spec.pools[2].pinot.properties['pinot.server.query.executor.timeout']: is the same key as "
        "'Pinot.Server.Query.Executor.Timeout' to Pinot, which ignores case, '-' and '_' in keys (and "
        "refuses to start on a file that holds both); set one of them"
    ]


def test_two_spellings_of_one_key_in_two_layers_merge_and_the_more_specific_spelling_wins() -> None:
    spec = spec_with("common", {"pinot.query.timeout_ms": "1", "x": "1"})
    spec["pools"][2]["pinot"] = {"properties": {"pinot.query.timeoutMs": "2"}}
    body = answer(spec)
    written = lines(pool_config(body, "hot"))
    assert [line for line in written if line.startswith("pinot.query.")] == ["pinot.query.timeoutMs=2"]
    written = lines(pool_config(body, "cold"))
    assert [line for line in written if line.startswith("pinot.query.")] == ["pinot.query.timeout_ms=1"]


def test_a_control_plane_default_under_another_spelling_replaces_it() -> None:
    body = answer(spec_with("pools[2]", {"pinot.server.shutdown.timeout-ms": "30000"}))
    written = lines(pool_config(body, "hot"))
    assert [line for line in written if "shutdown.timeout" in line] == [
        "pinot.server.shutdown.timeout-ms=30000"
    ]
    # ...and it is the drain the grace period is derived from: 30 s + 30 s.
    sts = next(
        c for c in body["children"] if c["kind"] == "StatefulSet" and c["metadata"]["name"] == "demo-hot"
    )
    assert sts["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] == 60


def test_a_drain_under_another_spelling_is_checked_under_that_spelling() -> None:
    assert (
        problems(spec_with("pools[2]", {"pinot.server.shutdown.timeout_ms": "soon"})) == []
    )  # per pool, in sync
    body = answer(spec_with("pools[2]", {"pinot.server.shutdown.timeout_ms": "soon"}))
    assert (
        "spec.pools[2].pinot.properties['pinot.server.shutdown.timeout_ms']: must be a whole number"
        in (ready(body)["message"])
    )


def test_interpolation_is_refused_pointing_to_the_secret_fields() -> None:
    (problem,) = problems(
        spec_with("common", {"pinot.controller.segment.fetcher.auth.token": "${env:TOKEN}"})
    )
    assert "must not contain '${': Pinot substitutes ${...}" in problem
    assert "use spec.deepStore.secretOptions or spec.auth.basic" in problem


@pytest.mark.parametrize(
    "key", ["include", "config.paths", "Config.Paths", "dynamic.env.config", "templated"]
)
def test_keys_the_loader_reads_as_instructions_are_refused(key: str) -> None:
    (problem,) = problems(spec_with("broker", {key: "/etc/pinot/extra.properties"}))
    assert problem.startswith(f"spec.defaults.broker.pinot.properties[{key!r}]: {key!r} is reserved")


@pytest.mark.parametrize("value", [" x", "x ", "a, b", "a\\\\b", "a\\,b", "a\tb", "a\x00"])
def test_values_pinot_would_not_read_back_are_refused(value: str) -> None:
    (problem,) = problems(spec_with("pools[0]", {"a.b": value}))
    assert problem.startswith("spec.pools[0].pinot.properties['a.b']: must not")


@pytest.mark.parametrize(
    "name", ["\x00", "Pinot", "pinot\n", "a b", "pinot/x", "pinot.eu", "-pinot", "1pinot"]
)
def test_a_parent_name_the_api_server_would_refuse_is_invalid_spec(name: str) -> None:
    """It prefixes the children's names and, without spec.clusterName, names the Helix cluster:
    never rendered (the CRD's rule admits no other name)."""
    assert problems(copy.deepcopy(BASE_SPEC), name) == [
        "metadata.name: must be a DNS label starting with a letter, at most 40 characters "
        "(it prefixes the names of the children)"
    ]
    assert problems(copy.deepcopy(BASE_SPEC), "pinot-1") == []
