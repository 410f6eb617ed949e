"""Rendered Pinot configs: owned keys written once, user properties never duplicate a key (under
any spelling), every value encoded or refused."""

from __future__ import annotations

from collections import Counter

import pytest

from hooks.cluster import pinotconf
from hooks.cluster.javaprops import UnwritableProperty, relaxed
from hooks.cluster.pinotconf import ConfigInput, owned_keys, parse_keys, render_config
from hooks.cluster.spec import Role


@pytest.mark.parametrize("role", list(Role))
def test_every_key_appears_once(role: Role) -> None:
    text = render_config(ConfigInput(role, "pool", "demo", "zk:2181/pinot", {"custom.key": "1", "zeta": "z"}))
    counts = Counter(parse_keys(text))
    assert [key for key, n in counts.items() if n > 1] == []
    assert owned_keys(role) <= set(counts)
    assert {"custom.key", "zeta"} <= set(counts)


@pytest.mark.parametrize("role", list(Role))
def test_instance_id_is_the_hostname(role: Role) -> None:
    assert "pinot.set.instance.id.to.hostname=true" in render_config(
        ConfigInput(role, "p", "c", "zk:2181", {})
    )


def test_controller_owns_cluster_name_and_zookeeper() -> None:
    text = render_config(ConfigInput(Role.CONTROLLER, "ctl", "helix-name", "zk:2181/chroot", {}))
    assert "controller.helix.cluster.name=helix-name" in text.splitlines()
    assert "controller.zk.str=zk:2181/chroot" in text.splitlines()
    assert "controller.port=9000" in text.splitlines()


def test_user_property_overrides_a_control_plane_default() -> None:
    text = render_config(
        ConfigInput(Role.SERVER, "hot", "c", "zk", {"pinot.server.shutdown.timeoutMs": "300000"})
    )
    lines = text.splitlines()
    assert "pinot.server.shutdown.timeoutMs=300000" in lines
    assert "pinot.server.shutdown.timeoutMs=120000" not in lines


def test_properties_are_sorted_so_equal_specs_render_equal_bytes() -> None:
    a = render_config(ConfigInput(Role.BROKER, "b", "c", "zk", {"b": "2", "a": "1"}))
    b = render_config(ConfigInput(Role.BROKER, "b", "c", "zk", {"a": "1", "b": "2"}))
    assert a == b


@pytest.mark.parametrize(
    ("role", "keys"),
    [
        (
            Role.SERVER,
            {"pinot.server.netty.port", "pinot.server.adminapi.port", "pinot.server.instance.dataDir"},
        ),
        (Role.MINION, {"pinot.minion.port", "dataDir"}),
        (Role.BROKER, {"pinot.broker.client.queryPort"}),
    ],
)
def test_owned_keys_are_read_from_the_templates(role: Role, keys: set[str]) -> None:
    assert keys <= owned_keys(role)


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("properties", [{}, {"a.b": "1"}, {"z": "last", "a": "first", "m": "x=y"}])
def test_the_owned_block_and_properties_render_apart_as_the_whole_template(
    role: Role, properties: dict[str, str]
) -> None:
    assert pinotconf._properties_render_apart(role)
    whole = pinotconf._render(
        role,
        "pool",
        "demo",
        "zk:2181",
        tuple(sorted({**pinotconf.ROLE_DEFAULTS[role], **properties}.items())),
    )
    assert render_config(ConfigInput(role, "pool", "demo", "zk:2181", properties)) == whole


PROPERTIES_J2 = "{% for key, value in properties %}{{ key }}={{ value }}\n{% endfor %}"


@pytest.mark.parametrize(
    ("role_source", "properties_source", "apart"),
    [
        ('a={{ pool }}\n{% include "properties.j2" %}', PROPERTIES_J2, True),
        ('{% include "properties.j2" %}\nb=1\n', PROPERTIES_J2, False),
        ('n={{ properties|length }}\n{% include "properties.j2" %}', PROPERTIES_J2, False),
        ('a=1\n{% include "other.j2" %}', PROPERTIES_J2, False),
        ('a=1\n{% include "properties.j2" %}', "# {{ pool }}\n" + PROPERTIES_J2, False),
    ],
    ids=["include-last", "text-after", "properties-read-before", "other-include", "block-reads-more"],
)
def test_templates_render_apart_only_when_nothing_but_the_include_reads_properties(
    role_source: str, properties_source: str, apart: bool
) -> None:
    assert pinotconf.renders_apart(pinotconf._environment(), role_source, properties_source) is apart


# --- what reaches the file: encoded values, owned keys once under any spelling ----------------------


def entries(text: str) -> dict[str, str]:
    pairs = [line.split("=", 1) for line in text.splitlines() if line and not line.startswith("#")]
    assert len({key for key, _ in pairs}) == len(pairs), text
    return dict(pairs)


@pytest.mark.parametrize(
    "cluster_name",
    ["pinot\ncontroller.zk.str=evil:2181", "pinot\rcontroller.zk.str=evil:2181", "p${env:HOME}"],
)
@pytest.mark.parametrize("role", list(Role))
def test_a_cluster_name_that_would_inject_is_never_rendered(role: Role, cluster_name: str) -> None:
    # Header comments carry the cluster name in every role's file, so no role may render it.
    with pytest.raises(UnwritableProperty):
        render_config(ConfigInput(role, "pool", cluster_name, "zk:2181", {}))


@pytest.mark.parametrize("zookeeper", ["zk:2181\ncontroller.port=1", "zk:2181/${env:HOME}", "zk:2181 "])
def test_a_zookeeper_address_that_would_inject_is_never_rendered(zookeeper: str) -> None:
    with pytest.raises(UnwritableProperty):
        render_config(ConfigInput(Role.CONTROLLER, "pool", "demo", zookeeper, {}))


def test_a_trailing_backslash_in_the_cluster_name_does_not_swallow_the_next_key() -> None:
    text = render_config(ConfigInput(Role.CONTROLLER, "ctl", "pinot\\", "zk:2181", {}))
    assert entries(text)["controller.helix.cluster.name"] == "pinot\\\\"
    assert entries(text)["controller.zk.str"] == "zk:2181"
    assert "Pinot cluster pinot\\\\, rendered" in text.splitlines()[0]


def test_a_trailing_backslash_in_a_value_does_not_swallow_the_next_property() -> None:
    text = render_config(ConfigInput(Role.BROKER, "b", "c", "zk", {"a": "x\\", "b": "y"}))
    assert (entries(text)["a"], entries(text)["b"]) == ("x\\\\", "y")


@pytest.mark.parametrize("value", ["x\ny=1", "${env:SECRET}", " padded", "a\\\\b"])
def test_a_property_value_pinot_would_not_read_back_fails_the_render(value: str) -> None:
    with pytest.raises(UnwritableProperty):
        render_config(ConfigInput(Role.SERVER, "s", "c", "zk", {"a": value}))


@pytest.mark.parametrize("key", ["a=b", "a\nb", "include", "config.paths"])
def test_a_key_pinot_would_not_read_as_a_setting_fails_the_render(key: str) -> None:
    with pytest.raises(UnwritableProperty):
        render_config(ConfigInput(Role.SERVER, "s", "c", "zk", {key: "1"}))


def test_non_ascii_values_are_written_as_unicode_escapes() -> None:
    text = render_config(ConfigInput(Role.MINION, "m", "c", "zk", {"label": "größe 𝄞"}))
    assert text.isascii()
    assert entries(text)["label"] == "gr\\u00f6\\u00dfe \\ud834\\udd1e"


@pytest.mark.parametrize(
    ("role", "key", "value"),
    [
        (Role.SERVER, "pinot.set.instance.id.to.hostname", "true"),
        (Role.CONTROLLER, "Controller.Port", "9000"),
        (Role.CONTROLLER, "controller.zk.str", "zk:2181/pinot"),
        (Role.MINION, "data_dir", "/var/pinot/minion/data"),
    ],
)
def test_an_owned_key_set_to_the_value_written_anyway_is_written_once(
    role: Role, key: str, value: str
) -> None:
    text = render_config(ConfigInput(role, "p", "demo", "zk:2181/pinot", {key: value}))
    written = [k for k in parse_keys(text) if relaxed(k) == relaxed(key)]
    assert len(written) == 1 and written[0] in owned_keys(role)


@pytest.mark.parametrize(
    ("key", "value"),
    [("Controller.Port", "1"), ("controller.p_ort", "9001"), ("controller.zk.str", "evil:2181")],
)
def test_an_owned_key_set_to_another_value_fails_the_render(key: str, value: str) -> None:
    with pytest.raises(UnwritableProperty, match="owned by the control plane"):
        render_config(ConfigInput(Role.CONTROLLER, "c", "demo", "zk:2181", {key: value}))


def test_a_control_plane_default_overridden_under_another_spelling_is_written_once() -> None:
    text = render_config(ConfigInput(Role.SERVER, "s", "c", "zk", {"pinot.server.shutdown.timeout_ms": "5"}))
    drains = {k: v for k, v in entries(text).items() if relaxed(k) == "pinot.server.shutdown.timeoutms"}
    assert drains == {"pinot.server.shutdown.timeout_ms": "5"}


@pytest.mark.parametrize("role", list(Role))
def test_ownership_says_which_owned_values_follow_the_spec(role: Role) -> None:
    sources = {owned.key: owned.sources for owned in pinotconf.ownership(role).values()}
    expected = (
        {
            "controller.helix.cluster.name": ("spec.clusterName",),
            "controller.zk.str": ("spec.zookeeper",),
            "controller.data.dir": ("spec.deepStore",),
        }
        if role is Role.CONTROLLER
        else {}
    )
    assert {key: source for key, source in sources.items() if source} == expected
    # Owned values never follow the pool (owned_values renders for a probe pool).
    data_dir = pinotconf.DATA_DIR[role]
    assert entries(pinotconf._owned_block(role, "a", "c", "zk", (), data_dir)) == entries(
        pinotconf._owned_block(role, "b", "c", "zk", (), data_dir)
    )
