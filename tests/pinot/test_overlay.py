"""The laptop overlay keeps what the hooks render and changes only hosts, ports and directories."""

from __future__ import annotations

from pathlib import Path

import pytest

from .harness import LOOPBACK, PortAllocator, apply_overlay, parse_properties, zk_chroot, zk_chroots
from .role_configs import render_role


def test_server_overlay_rewrites_hosts_ports_dirs_and_keeps_the_rest(tmp_path: Path) -> None:
    conf, args = render_role("server")
    out = apply_overlay(
        "server", conf + "custom.key=kept\n", args, zk_port=2999, ports=PortAllocator(), role_dir=tmp_path
    )
    props = parse_properties(out.conf_text)
    assert props["custom.key"] == "kept"
    assert props["pinot.set.instance.id.to.hostname"] == "true"
    assert props["pinot.server.netty.host"] == LOOPBACK
    ports = {
        props[k] for k in ("pinot.server.netty.port", "pinot.server.adminapi.port", "pinot.server.grpc.port")
    }
    assert len(ports) == 3 and "8098" not in ports and "8097" not in ports
    assert props["pinot.server.instance.dataDir"].startswith(str(tmp_path))
    assert props["pinot.server.instance.segmentTarDir"].startswith(str(tmp_path))
    assert out.args[0] == "StartServer"
    assert out.args[out.args.index("-zkAddress") + 1] == f"{LOOPBACK}:2999/pinot-it"
    assert out.args[out.args.index("-clusterName") + 1] == "pinot-it"
    assert out.args[out.args.index("-configFileName") + 1] == str(out.conf_path)
    assert out.health_url == f"http://{LOOPBACK}:{props['pinot.server.adminapi.port']}/health/readiness"


def test_controller_overlay_keeps_the_zookeeper_chroot(tmp_path: Path) -> None:
    conf, args = render_role("controller")
    out = apply_overlay("controller", conf, args, zk_port=2999, ports=PortAllocator(), role_dir=tmp_path)
    props = parse_properties(out.conf_text)
    assert props["controller.zk.str"] == f"{LOOPBACK}:2999/pinot-it"
    assert props["controller.helix.cluster.name"] == "pinot-it"
    assert props["controller.data.dir"] == str(tmp_path / "data")


def test_flags_follow_the_overlaid_file(tmp_path: Path) -> None:
    args = ["StartMinion", "-minionHost", "m-0.svc", "-minionPort", "9514", "-zkAddress", "zk:2181"]
    out = apply_overlay(
        "minion", "pinot.minion.port=9514\n", args, zk_port=1, ports=PortAllocator(), role_dir=tmp_path
    )
    assert out.args[:7] == [
        "StartMinion",
        "-minionHost",
        LOOPBACK,
        "-minionPort",
        str(out.port),
        "-zkAddress",
        f"{LOOPBACK}:1",
    ]
    assert out.args[-2:] == ["-configFileName", str(out.conf_path)]


def test_duplicate_keys_are_rejected() -> None:
    with pytest.raises(ValueError, match="duplicate key 'a'"):
        parse_properties("a=1\n# comment\na=2\n")


def test_chroots() -> None:
    assert zk_chroot("zk-0:2181,zk-1:2181/a/b/") == "/a/b"
    assert zk_chroot("zk:2181") == ""
    assert zk_chroots({role: render_role(role) for role in ("controller", "broker")}) == {"/pinot-it"}
