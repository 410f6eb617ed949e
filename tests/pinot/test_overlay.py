"""The laptop overlay changes only ZooKeeper address, ports, /var/pinot paths and heap (no cluster needed)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from .harness import PortAllocator
from .overlay import (
    HEAP,
    LOOPBACK,
    ROLES,
    Overlaid,
    RenderedRole,
    Role,
    apply_overlay,
    overlay_violations,
    parse_properties,
    zk_chroot,
    zk_chroots,
)
from .role_configs import load_example, render_cluster, with_external_zookeeper, with_pool_properties

ZK_PORT = 2999


@pytest.fixture(scope="module")
def rendered() -> dict[Role, RenderedRole]:
    """The minimal example on an external ZooKeeper with a chroot (the overlay keeps the chroot)."""
    return render_cluster(with_external_zookeeper(load_example()))


def overlay(role: RenderedRole, tmp_path: Path) -> Overlaid:
    return apply_overlay(
        role, zk=f"127.0.0.1:{ZK_PORT}", ports=PortAllocator(), role_dir=tmp_path / role.role
    )


def test_the_rendering_is_what_the_example_asks_for(rendered: dict[Role, RenderedRole]) -> None:
    assert set(rendered) == set(ROLES)
    server = rendered["server"]
    assert server.args == [
        "StartServer",
        "-clusterName",
        "pinot-dev",
        "-zkAddress",
        "zookeeper.zookeeper.svc.cluster.local:2181/pinot",
        "-configFileName",
        "/var/pinot/server/config/pinot-server.conf",
    ]
    assert server.config_mount == "/var/pinot/server/config"
    assert server.configmap.startswith("pinot-dev-server-config-")
    assert parse_properties(server.conf_text)["pinot.server.adminapi.port"] == "8097"
    assert rendered["controller"].args == [
        "StartController",
        "-configFileName",
        "/var/pinot/controller/config/pinot-controller.conf",
    ]


def test_server_overlay(rendered: dict[Role, RenderedRole], tmp_path: Path) -> None:
    out = overlay(rendered["server"], tmp_path)
    before, after = parse_properties(rendered["server"].conf_text), parse_properties(out.conf_text)
    assert list(before) == list(after)
    changed = {key for key in before if before[key] != after[key]}
    assert changed == {
        "pinot.server.netty.port",
        "pinot.server.adminapi.port",
        "pinot.server.instance.dataDir",
        "pinot.server.instance.segmentTarDir",
    }
    assert after["pinot.server.instance.dataDir"] == str(tmp_path / "server" / "data" / "index")
    assert {after["pinot.server.netty.port"], after["pinot.server.adminapi.port"]}.isdisjoint(
        {"8098", "8097"}
    )
    assert out.args[out.args.index("-zkAddress") + 1] == f"{LOOPBACK}:{ZK_PORT}/pinot"
    assert out.conf_path == tmp_path / "server" / "config" / "pinot-server.conf"
    assert out.health_url == f"http://{LOOPBACK}:{after['pinot.server.adminapi.port']}/health/readiness"
    assert out.url("livenessProbe").endswith(f":{after['pinot.server.adminapi.port']}/health/liveness")
    xms, xmx = HEAP["server"]
    assert out.jvm_options == [f"-Xms{xms}", f"-Xmx{xmx}", "-XX:+UseG1GC", "-XX:MaxGCPauseMillis=200"]
    assert overlay_violations(out, zk=f"127.0.0.1:{ZK_PORT}", role_dir=tmp_path / "server") == []


def test_controller_overlay_keeps_the_zookeeper_chroot_and_every_other_line(
    rendered: dict[Role, RenderedRole], tmp_path: Path
) -> None:
    out = overlay(rendered["controller"], tmp_path)
    props = parse_properties(out.conf_text)
    assert props["controller.zk.str"] == f"{LOOPBACK}:{ZK_PORT}/pinot"
    assert props["controller.helix.cluster.name"] == "pinot-dev"
    assert props["controller.data.dir"] == str(tmp_path / "controller" / "data")
    rendered_lines = rendered["controller"].conf_text.splitlines()
    out_lines = out.conf_text.splitlines()
    assert len(rendered_lines) == len(out_lines)
    same = [a for a, b in zip(rendered_lines, out_lines, strict=True) if a == b]
    assert len(same) == len(rendered_lines) - 3  # zk.str, port, data.dir
    assert "-XX:ActiveProcessorCount=2" in out.jvm_options
    assert not [flag for flag in out.jvm_options if "/opt/pinot/" in flag]


def test_every_role_overlays_cleanly(rendered: dict[Role, RenderedRole], tmp_path: Path) -> None:
    ports = PortAllocator()
    for role in ROLES:
        out = apply_overlay(rendered[role], zk=f"127.0.0.1:{ZK_PORT}", ports=ports, role_dir=tmp_path / role)
        assert overlay_violations(out, zk=f"127.0.0.1:{ZK_PORT}", role_dir=tmp_path / role) == [], role


def test_properties_added_to_a_pool_pass_through(tmp_path: Path) -> None:
    cluster = with_pool_properties(
        with_external_zookeeper(load_example()), "controller", {"controller.admin.access.control.x": "y"}
    )
    controller = render_cluster(cluster)["controller"]
    out = overlay(controller, tmp_path)
    assert parse_properties(out.conf_text)["controller.admin.access.control.x"] == "y"
    assert overlay_violations(out, zk=f"127.0.0.1:{ZK_PORT}", role_dir=tmp_path / "controller") == []


def test_the_check_flags_anything_else(rendered: dict[Role, RenderedRole], tmp_path: Path) -> None:
    role_dir = tmp_path / "broker"
    out = overlay(rendered["broker"], tmp_path)

    def problems(changed: Overlaid) -> list[str]:
        return overlay_violations(changed, zk=f"127.0.0.1:{ZK_PORT}", role_dir=role_dir)

    added_key = dataclasses.replace(out, conf_text=out.conf_text + "pinot.broker.hostname=127.0.0.1\n")
    assert any("keys differ" in p for p in problems(added_key))
    changed_value = dataclasses.replace(
        out, conf_text=out.conf_text.replace("delayShutdownTimeMs=10000", "delayShutdownTimeMs=0")
    )
    assert any("delayShutdownTimeMs" in p for p in problems(changed_value))
    added_flag = dataclasses.replace(out, jvm_options=[*out.jvm_options, "-XX:+UseSerialGC"])
    assert any("JAVA_OPTS gained" in p for p in problems(added_flag))
    dropped_flag = dataclasses.replace(out, jvm_options=out.jvm_options[:-1])
    assert any("JAVA_OPTS" in p for p in problems(dropped_flag))
    renamed = dataclasses.replace(out, args=[a.replace("pinot-dev", "other") for a in out.args])
    assert any("arg 2" in p for p in problems(renamed))
    lost_chroot = dataclasses.replace(
        out, args=[a.replace(f":{ZK_PORT}/pinot", f":{ZK_PORT}") for a in out.args]
    )
    assert any("-zkAddress" in p or "arg 4" in p for p in problems(lost_chroot))


def test_duplicate_keys_are_rejected() -> None:
    with pytest.raises(ValueError, match="duplicate key 'a'"):
        parse_properties("a=1\n# comment\na=2\n")


def test_chroots(rendered: dict[Role, RenderedRole]) -> None:
    assert zk_chroot("zk-0:2181,zk-1:2181/a/b/") == "/a/b"
    assert zk_chroot("zk:2181") == ""
    assert zk_chroots(rendered) == {"/pinot"}
    assert zk_chroots(render_cluster()) == set()  # the example's managed ensemble: Pinot at its root


def test_a_managed_ensemble_is_replaced_by_every_local_server(tmp_path: Path) -> None:
    broker = render_cluster()["broker"]
    hosts = broker.args[broker.args.index("-zkAddress") + 1]
    assert hosts == "pinot-dev-zookeeper-0.pinot-dev-zookeeper-headless.default.svc:2181"
    local = f"{LOOPBACK}:2001,{LOOPBACK}:2002,{LOOPBACK}:2003"
    out = apply_overlay(broker, zk=local, ports=PortAllocator(), role_dir=tmp_path / "broker")
    assert out.args[out.args.index("-zkAddress") + 1] == local
    assert overlay_violations(out, zk=local, role_dir=tmp_path / "broker") == []
