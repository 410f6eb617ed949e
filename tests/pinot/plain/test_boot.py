"""The cluster runs what the hooks render: every role healthy on its rendered probes, all registered."""

from __future__ import annotations

from pathlib import Path

from ..harness import Cluster, http_status, zk_exists
from ..overlay import ROLES, RenderedRole, Role, overlay_violations, parse_properties, zk_chroot
from ..rest import PinotRest

# The instance-id prefix of each role, and the rendered key holding the port in its id.
INSTANCE_PORT_KEY: dict[Role, tuple[str, str]] = {
    "controller": ("Controller", "controller.port"),
    "broker": ("Broker", "pinot.broker.client.queryPort"),
    "server": ("Server", "pinot.server.netty.port"),
    "minion": ("Minion", "pinot.minion.port"),
}


def test_every_role_answers_every_rendered_probe(pinot: Cluster, rendered: dict[Role, RenderedRole]) -> None:
    checked = []
    for role in ROLES:
        assert set(rendered[role].probes) == {"startupProbe", "livenessProbe", "readinessProbe"}, role
        for kind in rendered[role].probes:
            url = pinot.roles[role].url(kind)
            assert http_status(url) == 200, f"{role} {kind} {url}"
            checked.append(f"{role} {kind} {rendered[role].probes[kind].path}")
    # The paths are the rendered ones: the server's readiness is its own endpoint on the admin port.
    assert rendered["server"].probes["readinessProbe"].path == "/health/readiness"
    assert rendered["server"].probes["readinessProbe"].port == rendered["server"].container_ports["admin"]
    assert len(checked) == 12


def test_controller_lists_every_instance(pinot: Cluster, rest: PinotRest) -> None:
    instances = rest.instances()
    assert len(instances) == 4, instances
    hosts = set()
    for role, (prefix, key) in INSTANCE_PORT_KEY.items():
        port = pinot.roles[role].props[key]
        matching = [i for i in instances if i.startswith(prefix + "_") and i.endswith(f"_{port}")]
        assert len(matching) == 1, f"{role}: no {prefix}_<host>_{port} in {instances}"
        hosts.add(matching[0][len(prefix) + 1 : -len(port) - 1])
    # pinot.set.instance.id.to.hostname=true: every id carries this machine's host name, not an IP.
    assert len(hosts) == 1, hosts


def test_server_registered_the_rendered_ports(pinot: Cluster, rest: PinotRest) -> None:
    server = pinot.roles["server"]
    netty = server.props["pinot.server.netty.port"]
    (instance,) = [i for i in rest.instances() if i.startswith("Server_") and i.endswith("_" + netty)]
    config = rest.json(f"/instances/{instance}")
    assert str(config["port"]) == netty
    assert str(config["adminPort"]) == server.props["pinot.server.adminapi.port"]
    assert rest.tags(instance) == ["DefaultTenant_OFFLINE", "DefaultTenant_REALTIME"]


def test_the_cluster_lives_where_the_rendered_config_says(
    pinot: Cluster, rendered: dict[Role, RenderedRole], rest: PinotRest
) -> None:
    conf = parse_properties(rendered["controller"].conf_text)
    name = conf["controller.helix.cluster.name"]
    chroot = zk_chroot(conf["controller.zk.str"])
    assert rest.json("/cluster/info") == {"clusterName": name}
    assert chroot == ""  # the example runs a managed ensemble: Pinot keeps the cluster at its root
    assert zk_exists(pinot.zk_port, f"/{name}/CONFIGS")
    for role in ("broker", "server", "minion"):
        args = rendered[role].args
        assert args[args.index("-clusterName") + 1] == name
        assert zk_chroot(args[args.index("-zkAddress") + 1]) == chroot


def test_each_process_runs_the_overlaid_rendering_and_nothing_else(
    pinot: Cluster, rendered: dict[Role, RenderedRole]
) -> None:
    for role in ROLES:
        out = pinot.roles[role]
        assert out.rendered == rendered[role]
        assert overlay_violations(out, zk=f"127.0.0.1:{pinot.zk_port}", role_dir=pinot.workdir / role) == []
        assert out.conf_path.read_text(encoding="utf-8") == out.conf_text
        before, after = parse_properties(rendered[role].conf_text), parse_properties(out.conf_text)
        assert list(before) == list(after), role
        unchanged = {k for k in before if before[k] == after[k]}
        # What changed is exactly ports, the ZooKeeper address and /var/pinot paths.
        for key in before.keys() - unchanged:
            assert (
                key.lower().endswith("port")
                or key == "controller.zk.str"
                or before[key].startswith(f"/var/pinot/{role}/")
            ), (role, key)
        assert "pinot.set.instance.id.to.hostname" in unchanged
        command_line = (pinot.workdir / role / f"{role}.log").read_text(encoding="utf-8").splitlines()[0]
        assert " ".join([*out.jvm_options, "-cp"]) in command_line, role
        assert command_line.endswith(" ".join(out.args)), role
        assert Path(out.args[out.args.index("-configFileName") + 1]) == out.conf_path
