"""A managed ZooKeeper ensemble as the hooks render it, and the only changes made to run it here.

From the ensemble's StatefulSet and ConfigMap (``render_ensemble``) a pod gets ``zoo.cfg`` (mounted at
``/conf/zoo.cfg``), its start script (``bash -ec``: write ``myid`` from the pod's ordinal, then
``exec zkServer.sh start-foreground``), ``JVMFLAGS`` and its exec probes. In a pod every server has its
own host name, its own ports and its own ``/data`` volume; here three servers share one host, so exactly
these things are rewritten, and nothing else:

================  ===========================================  ===========================================
What              Where                                        Rendered -> run here
================  ===========================================  ===========================================
Server addresses  every ``server.N`` line of ``zoo.cfg``       ``<pod>.<headless>.<ns>.svc:2888:3888;2181``
                                                               -> ``127.0.0.1:<q_N>:<e_N>;<c_N>``
Data directory    ``dataDir``, the start script's ``/data/``   ``/data`` -> ``<workdir>/zkN/data``
Client port       the probes' ``/dev/tcp/127.0.0.1/2181``      ``2181`` -> ``<c_N>`` of that server
Heap              ``-Xms``/``-Xmx`` in ``JVMFLAGS``            -> :data:`overlay.HEAP` ``zookeeper``
================  ===========================================  ===========================================

Each server runs the rendered start script with ``HOSTNAME`` set to its pod's name (the script derives
``myid`` from it) and ``ZOOCFGDIR`` at its config directory, as in the image. ``zkServer.sh`` is a shim
that starts what the image's ``zkServer.sh start-foreground`` starts (``QuorumPeerMain <ZOOCFGDIR>/zoo.cfg``
with ``$JVMFLAGS``, the config directory on the classpath for logging), from the jars of
``zookeeper-pom.xml``. :func:`ensemble_violations` checks a result against these rules.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from .overlay import HEAP, LOOPBACK, parse_properties, replace_values

COMPONENT_LABEL = "pinot.controlplane.dev/component"
POD_DATA = "/data"
_SERVER = re.compile(r"^(?P<host>[^:]+):(?P<quorum>\d+):(?P<election>\d+);(?P<client>\d+)$")
_PROBE_PORT = re.compile(r"/dev/tcp/127\.0\.0\.1/(\d+)")


class PortSource(Protocol):
    def take(self) -> int: ...


@dataclass(frozen=True)
class RenderedEnsemble:
    statefulset: str
    replicas: int
    zoo_cfg: str
    script: str  # the start script (`bash -ec <script>`)
    jvmflags: str
    readiness: list[str]
    liveness: list[str]
    config_mount: str
    data_mount: str


@dataclass(frozen=True)
class LocalServer:
    ordinal: int
    hostname: str  # the pod's name: HOSTNAME, from which the script derives myid
    directory: Path
    zoo_cfg: str
    script: str
    jvmflags: list[str]
    readiness: list[str]
    liveness: list[str]
    client_port: int

    @property
    def conf_dir(self) -> Path:
        return self.directory / "conf"

    @property
    def data_dir(self) -> Path:
        return self.directory / "data"


def render_ensemble(children: Sequence[Mapping[str, Any]]) -> RenderedEnsemble:
    """The ensemble among the sync hook's children (there must be exactly one)."""
    [sts] = [
        c
        for c in children
        if c["kind"] == "StatefulSet"
        and c["spec"]["selector"]["matchLabels"].get(COMPONENT_LABEL) == "zookeeper"
    ]
    pod = sts["spec"]["template"]["spec"]
    [container] = pod["containers"]
    config_name = next(v["configMap"]["name"] for v in pod["volumes"] if v["name"] == "config")
    [config] = [c for c in children if c["kind"] == "ConfigMap" and c["metadata"]["name"] == config_name]
    mounts = {m["name"]: m for m in container["volumeMounts"]}
    assert container["command"][:2] == ["bash", "-ec"], container["command"]
    return RenderedEnsemble(
        statefulset=sts["metadata"]["name"],
        replicas=int(sts["spec"]["replicas"]),
        zoo_cfg=config["data"][mounts["config"]["subPath"]],
        script=container["command"][2],
        jvmflags=next(e["value"] for e in container["env"] if e["name"] == "JVMFLAGS"),
        readiness=list(container["readinessProbe"]["exec"]["command"]),
        liveness=list(container["livenessProbe"]["exec"]["command"]),
        config_mount=mounts["config"]["mountPath"],
        data_mount=mounts["data"]["mountPath"],
    )


def _heap(jvmflags: str) -> list[str]:
    xms, xmx = HEAP["zookeeper"]
    out = []
    for token in jvmflags.split():
        if token.startswith("-Xms"):
            token = f"-Xms{xms}"
        elif token.startswith("-Xmx"):
            token = f"-Xmx{xmx}"
        out.append(token)
    return out


def overlay_ensemble(rendered: RenderedEnsemble, ports: PortSource, workdir: Path) -> list[LocalServer]:
    """One server per pod of the StatefulSet, as this machine runs it (module docstring)."""
    props = parse_properties(rendered.zoo_cfg)
    servers = sorted(
        (int(key.split(".", 1)[1]), value) for key, value in props.items() if key.startswith("server.")
    )
    local = {sid: (ports.take(), ports.take(), ports.take()) for sid, _ in servers}
    lines = {f"server.{sid}": f"{LOOPBACK}:{q}:{e};{c}" for sid, (q, e, c) in local.items()}
    found = []
    for ordinal in range(rendered.replicas):
        directory = workdir / f"zk{ordinal}"
        client = local[ordinal + 1][2]
        data = str(directory / "data")
        found.append(
            LocalServer(
                ordinal=ordinal,
                hostname=f"{rendered.statefulset}-{ordinal}",
                directory=directory,
                zoo_cfg=replace_values(rendered.zoo_cfg, {**lines, "dataDir": data}),
                script=rendered.script.replace(f"{rendered.data_mount}/", f"{data}/"),
                jvmflags=_heap(rendered.jvmflags),
                readiness=[_PROBE_PORT.sub(f"/dev/tcp/127.0.0.1/{client}", a) for a in rendered.readiness],
                liveness=[_PROBE_PORT.sub(f"/dev/tcp/127.0.0.1/{client}", a) for a in rendered.liveness],
                client_port=client,
            )
        )
    return found


def connect_string(servers: Sequence[LocalServer]) -> str:
    return ",".join(f"{LOOPBACK}:{server.client_port}" for server in servers)


def ensemble_violations(rendered: RenderedEnsemble, servers: Sequence[LocalServer]) -> list[str]:
    """Every difference between what runs here and what was rendered that the module does not allow."""
    problems: list[str] = []
    before = parse_properties(rendered.zoo_cfg)
    seen_ports: set[int] = set()
    for server in servers:
        where = f"zk{server.ordinal}"
        after = parse_properties(server.zoo_cfg)
        if list(before) != list(after):
            problems.append(f"{where}: keys differ: {list(before)} -> {list(after)}")
            continue
        comments = [line for line in rendered.zoo_cfg.splitlines() if "=" not in line or line.startswith("#")]
        if comments != [
            line for line in server.zoo_cfg.splitlines() if "=" not in line or line.startswith("#")
        ]:
            problems.append(f"{where}: comments or blank lines differ")
        for key, was in before.items():
            now = after[key]
            if key == "dataDir":
                ok = was == POD_DATA and now == str(server.data_dir)
            elif key.startswith("server."):
                rendered_line, local_line = _SERVER.match(was), _SERVER.match(now)
                ok = bool(rendered_line and local_line and local_line["host"] == LOOPBACK)
                if ok and local_line:
                    seen_ports |= {int(local_line[p]) for p in ("quorum", "election", "client")}
            else:
                ok = was == now
            if not ok:
                problems.append(f"{where}: {key}={was!r} became {now!r}")
        if server.script != rendered.script.replace(f"{POD_DATA}/", f"{server.data_dir}/"):
            problems.append(f"{where}: the start script changed beyond its data directory")
        for kind, was_probe, now_probe in (
            ("readiness", rendered.readiness, server.readiness),
            ("liveness", rendered.liveness, server.liveness),
        ):
            if [_PROBE_PORT.sub("PORT", a) for a in was_probe] != [
                _PROBE_PORT.sub("PORT", a) for a in now_probe
            ]:
                problems.append(f"{where}: the {kind} probe changed beyond its port")
        if server.jvmflags != _heap(rendered.jvmflags):
            problems.append(f"{where}: JVMFLAGS {rendered.jvmflags!r} became {server.jvmflags}")
    if len(seen_ports) != 3 * len(servers):
        problems.append(f"servers share ports: {sorted(seen_ports)}")
    return problems
