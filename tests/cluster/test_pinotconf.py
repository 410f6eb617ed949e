"""Rendered Pinot configs: owned keys written once, user properties never duplicate a key."""

from __future__ import annotations

from collections import Counter

import pytest

from hooks.cluster import pinotconf
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
