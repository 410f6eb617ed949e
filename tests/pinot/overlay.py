"""The laptop overlay: the only changes made to what the hooks render before Pinot runs it here.

A pod gets its ``pinot-<role>.conf`` from a ConfigMap, its container ``args`` and its ``JAVA_OPTS`` env
from the StatefulSet (see ``role_configs.py``). In a pod every role has its own host name, its own
ports, volumes under ``/var/pinot/<role>/`` and a Linux image with Pinot in ``/opt/pinot``. On one
machine all roles share one host, so exactly these things are rewritten, and nothing else:

=================  ==========================================  ==============================================
What               Where                                       Rendered -> run here
=================  ==========================================  ==============================================
ZooKeeper address  ``controller.zk.str``, ``pinot.zk.server``  ``zookeeper.zookeeper.svc...:2181/pinot``
                   (when present) and the ``-zkAddress``       -> ``127.0.0.1:<free port>/pinot``; the
                   arg                                         chroot is kept (created only where a test
                                                               says it exists); a
                                                               managed ensemble's servers -> those run
                                                               here (``127.0.0.1:<p1>,...``)
Ports              every ``*port``/``*Port`` key of the file   ``9000``, ``8099``, ``8098``, ``8097``,
                   with an integer value, the same number      ``9514`` -> a free port each; a probe
                   in a ``-*Port`` arg, the probes' ports      follows the key that held its port
Directories        every value under ``/var/pinot/<role>/``    ``/var/pinot/server/data/index`` ->
                   in the file and the args (data dirs,        ``<workdir>/server/data/index``; the file
                   and ``-configFileName``)                    is written where the arg now points
Heap               ``-Xms``/``-Xmx`` in ``JAVA_OPTS``          ``-Xms256M -Xmx1G`` -> :data:`HEAP`
Image paths        ``JAVA_OPTS`` flags naming a path under     ``-Dlog4j2.configurationFile=/opt/pinot/...``,
                   ``/opt/pinot/`` that does not exist here    ``-Dplugins.dir=/opt/pinot/plugins`` ->
                                                               dropped: the log4j2 config bundled in the
                                                               jars applies (``<role>/logs/``), and every
                                                               plugin is on the classpath
=================  ==========================================  ==============================================

Not an overlay, but how the JVM is launched without the image's ``bin/pinot-admin.sh``: ``java
<launcher flags> <JAVA_OPTS as overlaid> -cp <jars> PinotAdministrator <args as overlaid>``. The
:data:`LAUNCHER_FLAGS` change no Pinot setting:

* :data:`JAVA17_OPENS`: the jars tested here (0.11.0) predate Java 17's strong encapsulation, which the
  Java 11 of the image does not enforce; without them Pinot fails on reflective access.
* ``-XX:TieredStopAtLevel=1`` (C1 JIT only): five JVMs and the tests share two cores here, where each
  pod has its own; measured, it more than halves start-up (about 70 s -> 30 s per cluster). It affects
  only how fast the code is compiled, not what it does.

Every other key, value, argument and JVM flag is passed through byte for byte (comments and key order
of the file included). In particular no host name is set: with the rendered
``pinot.set.instance.id.to.hostname=true`` each instance registers under this machine's canonical host
name, as a pod registers under its FQDN. Nor is a port the file does not name: the server's gRPC port
stays Pinot's default 8090 (the harness checks it is free first). :func:`overlay_violations` re-checks
a result against these rules independently of how :func:`apply_overlay` produced it; the harness
refuses to start a cluster whose overlay it flags.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

Role = Literal["controller", "broker", "server", "minion"]
ROLES: tuple[Role, ...] = ("controller", "broker", "server", "minion")
LOOPBACK = "127.0.0.1"

#: ``(-Xms, -Xmx)`` per process.
HEAP: dict[str, tuple[str, str]] = {
    "zookeeper": ("32m", "192m"),
    "controller": ("64m", "384m"),
    "broker": ("64m", "256m"),
    "server": ("64m", "512m"),
    "minion": ("64m", "256m"),
}

# Pinot before 1.x predates the Java module system's strong encapsulation (JAXB, Netty, memory mapping).
JAVA17_OPENS = [
    f"--add-opens=java.base/{package}=ALL-UNNAMED"
    for package in (
        "java.lang",
        "java.lang.reflect",
        "java.util",
        "java.nio",
        "sun.nio.ch",
        "jdk.internal.ref",
    )
] + ["--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED"]

#: Flags of how this machine launches a JVM, before the rendered ``JAVA_OPTS`` (module docstring).
LAUNCHER_FLAGS = [*JAVA17_OPENS, "-XX:TieredStopAtLevel=1"]

ZK_KEYS = ("controller.zk.str", "pinot.zk.server")
ZK_FLAG = "-zkAddress"
CONFIG_FILE_FLAGS = ("-configFileName", "-config", "-configFile", "-controllerConfig", "-controllerConf")
IMAGE_HOME = "/opt/pinot/"
_PORT_KEY = re.compile(r"port$", re.IGNORECASE)
_PORT_FLAG = re.compile(r"^-\w*Port$")
_IMAGE_PATH_FLAG = re.compile(r"^-D[^=]+=(/opt/pinot/.*)$")
# The JMX exporter agent of the image: -javaagent:<jar>=<port>:<config>
_AGENT_FLAG = re.compile(r"^-javaagent:(/opt/pinot/[^=]+)=(\d+):(.+)$")
_LOCAL_AGENT_FLAG = re.compile(r"^-javaagent:([^=]+)=(\d+):(.+)$")
VIP_HOST_KEY = "controller.vip.host"
FILE_URL = "file://"


def pod_prefix(role: Role) -> str:
    """Where a pod of ``role`` keeps its volumes (config and data)."""
    return f"/var/pinot/{role}/"


@dataclass(frozen=True)
class Probe:
    path: str
    port: int


@dataclass(frozen=True)
class RenderedRole:
    """One pool of one role, as the sync hook renders it (see ``role_configs.py``)."""

    role: Role
    statefulset: str
    configmap: str
    conf_name: str  # the ConfigMap's data key, e.g. "pinot-server.conf"
    conf_text: str
    args: list[str]
    java_opts: str
    config_mount: str  # where the pod mounts the ConfigMap
    container_ports: dict[str, int]
    probes: dict[str, Probe] = field(default_factory=dict)
    replicas: int = 1
    files: dict[str, str] = field(default_factory=dict)  # every file of the ConfigMap, by name
    env: list[dict[str, Any]] = field(default_factory=list)  # the container's env but JAVA_OPTS
    init_containers: list[dict[str, Any]] = field(default_factory=list)
    shared_mounts: dict[str, str] = field(default_factory=dict)  # volume -> mount path, shared by pods


@dataclass(frozen=True)
class Overlaid:
    """One role after the overlay: what to write and run, and where it listens."""

    rendered: RenderedRole
    conf_text: str
    conf_path: Path
    args: list[str]
    jvm_options: list[str]
    ports: dict[int, int]  # rendered port -> port used here
    probes: dict[str, Probe]
    props: dict[str, str]
    env: dict[str, str] = field(default_factory=dict)  # the container's env, Secrets resolved
    init_commands: list[tuple[list[str], dict[str, str]]] = field(default_factory=list)
    files: dict[Path, str] = field(default_factory=dict)  # the ConfigMap's other files
    metrics_port: int | None = None
    mount_dirs: list[Path] = field(default_factory=list)  # the init containers' volumes, made first

    @property
    def role(self) -> Role:
        return self.rendered.role

    def url(self, probe: str = "readinessProbe", path: str | None = None) -> str:
        chosen = self.probes[probe]
        return f"http://{LOOPBACK}:{chosen.port}{chosen.path if path is None else path}"

    @property
    def port(self) -> int:
        """The port the readiness probe uses (controller, broker query, server admin, minion)."""
        return self.probes["readinessProbe"].port

    @property
    def base_url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    @property
    def health_url(self) -> str:
        return self.url("readinessProbe")


# ---------------------------------------------------------------------------------------------------
# Properties files


def parse_properties(text: str) -> dict[str, str]:
    """Parse ``key=value`` lines (``#``/``!`` comments, blank lines ignored); duplicate keys are an error."""
    props: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line[0] in "#!":
            continue
        key, sep, value = line.partition("=")
        if not sep:
            raise ValueError(f"line {number} is not key=value: {raw!r}")
        key = key.strip()
        if key in props:
            raise ValueError(f"duplicate key {key!r} (line {number})")
        props[key] = value.strip()
    return props


def replace_values(text: str, changes: Mapping[str, str]) -> str:
    """``text`` with the value of each key in ``changes`` replaced; every other byte kept."""
    lines = []
    for raw in text.splitlines(keepends=True):
        line = raw.strip()
        key = line.partition("=")[0].strip()
        if line and line[0] not in "#!" and key in changes:
            newline = raw[len(raw.rstrip("\r\n")) :]
            raw = f"{key}={changes[key]}{newline}"
        lines.append(raw)
    return "".join(lines)


def zk_chroot(address: str) -> str:
    """The chroot of a ZooKeeper connect string (``"zk:2181/c"`` -> ``"/c"``; none -> ``""``)."""
    slash = address.find("/")
    return address[slash:].rstrip("/") if slash >= 0 else ""


def local_zk_address(original: str, zk: str) -> str:
    """``zk`` (where ZooKeeper listens here: ``127.0.0.1:<port>[,...]``) with ``original``'s chroot."""
    return f"{zk}{zk_chroot(original)}"


def is_port_key(key: str, value: str) -> bool:
    return bool(_PORT_KEY.search(key)) and value.isdigit()


def zk_addresses(rendered: RenderedRole) -> list[str]:
    props = parse_properties(rendered.conf_text)
    found = [props[key] for key in ZK_KEYS if key in props]
    args = rendered.args
    found += [args[i + 1] for i in range(len(args) - 1) if args[i] == ZK_FLAG]
    return found


def zk_chroots(rendered: Mapping[Role, RenderedRole]) -> set[str]:
    """Every chroot named by the rendered configs and args (to create before Pinot starts)."""
    return {zk_chroot(a) for r in rendered.values() for a in zk_addresses(r) if zk_chroot(a)}


# ---------------------------------------------------------------------------------------------------
# The overlay


class PortSource(Protocol):
    """Anything that hands out free ports (``harness.PortAllocator``)."""

    def take(self) -> int: ...


@dataclass(frozen=True)
class Places:
    """Where a pod's paths are on this machine: its own under ``role_dir``, shared volumes (the
    deep store every controller mounts) under ``shared_dir/<volume>``."""

    role: Role
    role_dir: Path
    shared: dict[str, str] = field(default_factory=dict)  # mount path -> volume name
    shared_dir: Path | None = None

    def local(self, value: str) -> str | None:
        """``value`` with a pod path (or a ``file://`` URL of one) moved here; None if it holds none."""
        scheme = FILE_URL if value.startswith(FILE_URL) else ""
        path = value[len(scheme) :]
        prefix = pod_prefix(self.role)
        if path.startswith(prefix):
            return scheme + str(self.role_dir / path[len(prefix) :])
        for mount, volume in self.shared.items():
            if self.shared_dir is not None and (path == mount or path.startswith(mount.rstrip("/") + "/")):
                return scheme + str(self.shared_dir / volume) + path[len(mount.rstrip("/")) :]
        return None


def overlay_jvm_options(
    role: Role,
    java_opts: str,
    agent: tuple[Path, Callable[[int], int], Places] | None = None,
) -> list[str]:
    """``JAVA_OPTS`` as the image's shell splits it, heap replaced, missing image paths dropped, the
    JMX exporter agent taken from ``agent`` (local jar, port map, places) when there is one."""
    xms, xmx = HEAP[role]
    out: list[str] = []
    for token in java_opts.split():
        image_path = _IMAGE_PATH_FLAG.match(token)
        agent_flag = _AGENT_FLAG.match(token)
        if agent_flag and agent is not None:
            jar, port_of, places = agent
            config = places.local(agent_flag.group(3)) or agent_flag.group(3)
            out.append(f"-javaagent:{jar}={port_of(int(agent_flag.group(2)))}:{config}")
        elif token.startswith("-Xms"):
            out.append(f"-Xms{xms}")
        elif token.startswith("-Xmx"):
            out.append(f"-Xmx{xmx}")
        elif image_path and not Path(image_path.group(1)).exists():
            continue
        else:
            out.append(token)
    return out


def apply_overlay(
    rendered: RenderedRole,
    *,
    zk: str,
    ports: PortSource,
    role_dir: Path,
    shared_dir: Path | None = None,
    agent_jar: Path | None = None,
    secrets: Mapping[str, Mapping[str, str]] | None = None,
    known_ports: Mapping[int, int] | None = None,
) -> Overlaid:
    """Rewrite one role's rendered file, args and JVM options to run on this machine (module docstring).

    ``known_ports`` (rendered port -> port used here) keeps the ports of an earlier overlay of the same
    pod, so that a process restarted with a newer config listens where it did (and keeps its Pinot
    instance id, which holds the port)."""
    role = rendered.role
    places = Places(role, role_dir, {path: name for name, path in rendered.shared_mounts.items()}, shared_dir)
    props = parse_properties(rendered.conf_text)
    changes: dict[str, str] = {}
    port_map: dict[int, int] = {}
    known = dict(known_ports or {})

    def local_port(rendered_port: int) -> int:
        if rendered_port not in port_map:
            port_map[rendered_port] = known[rendered_port] if rendered_port in known else ports.take()
        return port_map[rendered_port]

    for key, value in props.items():
        local = places.local(value)
        if key in ZK_KEYS:
            changes[key] = local_zk_address(value, zk)
        elif is_port_key(key, value):
            changes[key] = str(local_port(int(value)))
        elif key == VIP_HOST_KEY:
            changes[key] = LOOPBACK
        elif local is not None:
            changes[key] = local
    args = list(rendered.args)
    for index in range(1, len(args)):
        flag, value = args[index - 1], args[index]
        local = places.local(value)
        if flag == ZK_FLAG:
            args[index] = local_zk_address(value, zk)
        elif _PORT_FLAG.match(flag) and value.isdigit():
            args[index] = str(local_port(int(value)))
        elif local is not None:
            args[index] = local
    conf_arg = next(args[i + 1] for i in range(len(args) - 1) if args[i] in CONFIG_FILE_FLAGS)
    probes = {}
    for kind, probe in rendered.probes.items():
        if probe.port not in port_map:
            raise ValueError(f"{role}: the {kind} port {probe.port} is not a port of the rendered file")
        probes[kind] = Probe(probe.path, port_map[probe.port])
    agent = (agent_jar, local_port, places) if agent_jar is not None else None
    jvm_options = overlay_jvm_options(role, rendered.java_opts, agent)
    metrics = next((m for m in map(_AGENT_FLAG.match, rendered.java_opts.split()) if m), None)
    return Overlaid(
        rendered=rendered,
        conf_text=replace_values(rendered.conf_text, changes),
        conf_path=Path(conf_arg),
        args=args,
        jvm_options=jvm_options,
        ports=port_map,
        probes=probes,
        props=props | changes,
        env=local_env(rendered.env, places, secrets or {}),
        init_commands=[
            ([*c.get("command", []), *c.get("args", [])], local_env(c.get("env", []), places, secrets or {}))
            for c in rendered.init_containers
        ],
        files={
            Path(conf_arg).with_name(name): text
            for name, text in rendered.files.items()
            if name != rendered.conf_name
        },
        metrics_port=port_map.get(int(metrics.group(2))) if metrics and agent is not None else None,
        mount_dirs=[
            Path(places.local(m["mountPath"]) or m["mountPath"])
            for c in rendered.init_containers
            for m in c.get("volumeMounts", [])
        ],
    )


def local_env(
    entries: Sequence[Mapping[str, Any]], places: Places, secrets: Mapping[str, Mapping[str, str]]
) -> dict[str, str]:
    """A container's env here: ``secretKeyRef`` values from ``secrets`` (a missing one fails, as a
    pod does not start), pod paths moved like the file's."""
    env: dict[str, str] = {}
    for entry in entries:
        if "valueFrom" in entry:
            ref = entry["valueFrom"]["secretKeyRef"]
            env[entry["name"]] = secrets[ref["name"]][ref["key"]]
        else:
            value = str(entry.get("value", ""))
            env[entry["name"]] = places.local(value) or value
    return env


# ---------------------------------------------------------------------------------------------------
# The check


def overlay_violations(
    out: Overlaid, *, zk: str, role_dir: Path, shared_dir: Path | None = None
) -> list[str]:
    """Every difference between ``out`` and what was rendered that the module docstring does not allow."""
    rendered = out.rendered
    role = rendered.role
    places = Places(role, role_dir, {path: name for name, path in rendered.shared_mounts.items()}, shared_dir)
    problems: list[str] = []
    before = parse_properties(rendered.conf_text)
    after = parse_properties(out.conf_text)
    if list(before) != list(after):
        problems.append(f"{role}: keys differ: {list(before)} -> {list(after)}")
    if _other_lines(rendered.conf_text) != _other_lines(out.conf_text):
        problems.append(f"{role}: comments or blank lines differ")
    for key in before.keys() & after.keys():
        if not _allowed(places, before[key], after[key], zk, key=key):
            problems.append(f"{role}: {key}={before[key]!r} became {after[key]!r}")
    if len(rendered.args) != len(out.args):
        problems.append(f"{role}: args {rendered.args} -> {out.args}")
    else:
        for index, (was, now) in enumerate(zip(rendered.args, out.args, strict=True)):
            flag = rendered.args[index - 1] if index else ""
            if not _allowed(places, was, now, zk, flag=flag):
                problems.append(f"{role}: arg {index} {was!r} became {now!r}")
    problems += _jvm_violations(role, rendered.java_opts.split(), out.jvm_options, places)
    literal = {e["name"]: str(e.get("value", "")) for e in rendered.env if "valueFrom" not in e}
    if set(out.env) != {e["name"] for e in rendered.env}:
        problems.append(
            f"{role}: env {sorted(out.env)} is not the rendered {[e['name'] for e in rendered.env]}"
        )
    for name, value in literal.items():
        if out.env.get(name) not in (value, places.local(value)):
            problems.append(f"{role}: env {name}={value!r} became {out.env.get(name)!r}")
    for kind, probe in rendered.probes.items():
        local = out.probes.get(kind)
        if local is None or local.path != probe.path or out.ports.get(probe.port) != local.port:
            problems.append(f"{role}: {kind} {probe} became {local}")
    if not str(out.conf_path).startswith(str(role_dir)) or out.conf_path.name != rendered.conf_name:
        problems.append(f"{role}: the file is written to {out.conf_path}, not as {rendered.conf_name}")
    return problems


def _other_lines(text: str) -> list[str]:
    """Comments and blank lines, which the overlay never touches."""
    return [line for line in text.splitlines() if "=" not in line or line.lstrip()[:1] in "#!"]


def _allowed(places: Places, was: str, now: str, zk: str, key: str = "", flag: str = "") -> bool:
    if was == now:
        return True
    if key in ZK_KEYS or flag == ZK_FLAG:
        return now == local_zk_address(was, zk) and zk_chroot(now) == zk_chroot(was)
    if (is_port_key(key, was) or (_PORT_FLAG.match(flag) and was.isdigit())) and now.isdigit():
        return True
    if key == VIP_HOST_KEY:
        return now == LOOPBACK
    return now == places.local(was)


def _jvm_violations(role: Role, before: Sequence[str], after: Sequence[str], places: Places) -> list[str]:
    """``after`` must be ``before`` with heap sizes replaced, only ``/opt/pinot/`` flags left out, and
    the agent's jar, port and (moved) config the only change to its flag."""
    xms, xmx = HEAP[role]
    remaining = list(after)
    for token in before:
        agent = _AGENT_FLAG.match(token)
        local_agent = _LOCAL_AGENT_FLAG.match(remaining[0]) if remaining else None
        if token.startswith("-Xms"):
            token = f"-Xms{xms}"
        elif token.startswith("-Xmx"):
            token = f"-Xmx{xmx}"
        elif agent and local_agent and local_agent.group(3) == places.local(agent.group(3)):
            remaining.pop(0)
            continue
        if remaining and remaining[0] == token:
            remaining.pop(0)
        elif not (_IMAGE_PATH_FLAG.match(token) and token.split("=", 1)[1].startswith(IMAGE_HOME)):
            return [f"{role}: JAVA_OPTS {list(before)} became {list(after)} ({token!r} missing)"]
    return [f"{role}: JAVA_OPTS gained {remaining}"] if remaining else []
