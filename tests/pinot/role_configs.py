"""What the hooks render for each Pinot role: the ``.conf`` file text and the container args.

:func:`render_role` is the single seam between the tests and the config rendering. For now it returns
hand-written minimal configs shaped like the hooks' output (the keys the Helm chart writes, in-cluster
host names and the default ports); replace its body with a call into the hook code to test what the
hooks really render. The harness rewrites hosts, ports and directories (see ``harness.py``).
"""

from __future__ import annotations

from .harness import Role

CLUSTER = "pinot-it"
ZK = f"pinot-it-zookeeper:2181/{CLUSTER}"
CONFIG_DIR = "/var/pinot/{role}/config"

CONF: dict[Role, str] = {
    "controller": f"""\
controller.helix.cluster.name={CLUSTER}
controller.zk.str={ZK}
controller.port=9000
controller.data.dir=/var/pinot/controller/data
pinot.set.instance.id.to.hostname=true
controller.task.scheduler.enabled=true
""",
    "broker": """\
pinot.broker.client.queryPort=8099
pinot.broker.routing.table.builder.class=random
pinot.set.instance.id.to.hostname=true
""",
    "server": """\
pinot.server.netty.port=8098
pinot.server.adminapi.port=8097
pinot.server.instance.dataDir=/var/pinot/server/data/index
pinot.server.instance.segmentTarDir=/var/pinot/server/data/segment
pinot.set.instance.id.to.hostname=true
pinot.server.instance.realtime.alloc.offheap=true
""",
    "minion": """\
pinot.minion.port=9514
dataDir=/var/pinot/minion/data
pinot.set.instance.id.to.hostname=true
""",
}

COMMAND: dict[Role, str] = {
    "controller": "StartController",
    "broker": "StartBroker",
    "server": "StartServer",
    "minion": "StartMinion",
}


def render_role(role: Role) -> tuple[str, list[str]]:
    """Return ``(conf_text, container_args)`` for ``role``, as a pod of that role would get them."""
    conf_file = f"{CONFIG_DIR.format(role=role)}/pinot-{role}.conf"
    if role == "controller":
        args = [COMMAND[role], "-configFileName", conf_file]
    else:
        args = [COMMAND[role], "-clusterName", CLUSTER, "-zkAddress", ZK, "-configFileName", conf_file]
    return CONF[role], args
