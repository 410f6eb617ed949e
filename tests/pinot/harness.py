"""Run a real Apache Pinot cluster on 127.0.0.1 for tests.

Every role is its own JVM, started as ``java <opts> -cp <jars> PinotAdministrator <args>`` from the jars
that ``make pinot-deps`` resolves into ``tests/pinot/.cache`` (version pinned in ``tests/pinot/pom.xml``).
ZooKeeper is Pinot's own ``StartZookeeper`` command.

Input, per role, is what the hooks render for a pod: the ``.conf`` file text and the container args, e.g.
``["StartServer", "-clusterName", "c", "-zkAddress", "zk:2181/c", "-configFileName",
"/var/pinot/server/config/pinot-server.conf"]``. :func:`apply_overlay` turns them into something that runs
on one machine next to the other roles (the "laptop overlay"):

* ZooKeeper addresses (``controller.zk.str``, ``pinot.zk.server``, ``-zkAddress``) point at the local
  ZooKeeper; the chroot path of the original value is kept and created before anything starts.
* Host names become ``127.0.0.1`` (``controller.host``, ``controller.vip.host``, ``pinot.broker.hostname``,
  ``pinot.server.netty.host``, ``pinot.minion.host``), so instance ids look like
  ``Server_127.0.0.1_<port>``.
* Every listening port gets a free port picked at run time (``controller.port``, ``controller.vip.port``,
  ``pinot.broker.client.queryPort``, ``pinot.server.netty.port``, ``pinot.server.adminapi.port``,
  ``pinot.server.grpc.port``, ``pinot.minion.port``, and ``pinot.query.server.port`` /
  ``pinot.query.runner.port`` when present). Keys the input lacks are added.
* Data directories move under the run's work dir (``controller.data.dir``, ``controller.local.temp.dir``,
  ``pinot.server.instance.dataDir``, ``pinot.server.instance.segmentTarDir``,
  ``pinot.server.instance.consumerDir`` when present, the minion's ``dataDir``).
* ``pinot.broker.delayShutdownTimeMs=0`` so tear-down is quick.
* The args keep their shape; ``-configFileName`` (or an alias) points at the written file, and host, port
  and directory flags, when present, get the same values as the file.
* Heap is small and set per role (:data:`HEAP`); JVM options are in :func:`java_command`.

Any other key or flag is passed through untouched, so whatever the hooks render is what Pinot reads.
A key that appears twice in the input is an error: Pinot releases after 1.5 refuse such files.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Literal

Role = Literal["controller", "broker", "server", "minion"]
ROLES: tuple[Role, ...] = ("controller", "broker", "server", "minion")

PINOT_DIR = Path(__file__).resolve().parent
CACHE_DIR = PINOT_DIR / ".cache"
CLASSPATH_FILE = CACHE_DIR / "classpath.txt"
LOCAL_REPO = CACHE_DIR / "m2"
REPO_PLACEHOLDER = "@M2@"
MAIN_CLASS = "org.apache.pinot.tools.admin.PinotAdministrator"
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

#: Log lines after which a process will never become healthy (it keeps running regardless).
FATAL_LOG_MARKERS = ("Failed to start a Pinot",)

CONF_FILE_NAMES: dict[Role, str] = {
    "controller": "pinot-controller.conf",
    "broker": "pinot-broker.conf",
    "server": "pinot-server.conf",
    "minion": "pinot-minion.conf",
}

CONFIG_FILE_FLAGS = ("-configFileName", "-config", "-configFile", "-controllerConfig", "-controllerConf")
ZK_KEYS = ("controller.zk.str", "pinot.zk.server")

# Command-line flag -> the config key whose overlaid value it takes (when the flag is present).
FLAG_TO_KEY: dict[str, str] = {
    "-controllerHost": "controller.host",
    "-controllerPort": "controller.port",
    "-brokerHost": "pinot.broker.hostname",
    "-brokerPort": "pinot.broker.client.queryPort",
    "-serverHost": "pinot.server.netty.host",
    "-serverPort": "pinot.server.netty.port",
    "-serverAdminPort": "pinot.server.adminapi.port",
    "-serverGrpcPort": "pinot.server.grpc.port",
    "-serverMultiStageServerPort": "pinot.query.server.port",
    "-serverMultiStageRunnerPort": "pinot.query.runner.port",
    "-segmentDir": "pinot.server.instance.segmentTarDir",
    "-minionHost": "pinot.minion.host",
    "-minionPort": "pinot.minion.port",
}
DATA_DIR_KEY: dict[Role, str] = {
    "controller": "controller.data.dir",
    "broker": "",
    "server": "pinot.server.instance.dataDir",
    "minion": "dataDir",
}


class PinotStartError(RuntimeError):
    """A Pinot process did not start or did not become healthy in time."""


# ---------------------------------------------------------------------------------------------------
# Classpath and ports


def load_classpath(classpath_file: Path = CLASSPATH_FILE, local_repo: Path = LOCAL_REPO) -> str:
    """Return the Java classpath that ``make pinot-deps`` wrote, checking that every jar is present."""
    if not classpath_file.is_file():
        raise PinotStartError(f"{classpath_file} is missing: run `make pinot-deps` first")
    text = classpath_file.read_text(encoding="utf-8").strip()
    jars = [entry.replace(REPO_PLACEHOLDER, str(local_repo)) for entry in text.split(os.pathsep) if entry]
    missing = [jar for jar in jars if not Path(jar).is_file()]
    if not jars or missing:
        raise PinotStartError(
            f"{len(missing)} of {len(jars)} jars listed in {classpath_file} are missing "
            f"(e.g. {missing[:1]}): delete {classpath_file} and run `make pinot-deps`"
        )
    return os.pathsep.join(jars)


class PortAllocator:
    """Hands out distinct free TCP ports on 127.0.0.1."""

    def __init__(self) -> None:
        self._given: set[int] = set()

    def take(self) -> int:
        for _ in range(100):
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
                sock.bind((LOOPBACK, 0))
                port = int(sock.getsockname()[1])
            if port not in self._given:
                self._given.add(port)
                return port
        raise PinotStartError("no free port found")


# ---------------------------------------------------------------------------------------------------
# The laptop overlay


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


def format_properties(props: Mapping[str, str]) -> str:
    return "".join(f"{key}={value}\n" for key, value in props.items())


def zk_chroot(address: str) -> str:
    """The chroot of a ZooKeeper connect string (``"zk:2181/c"`` -> ``"/c"``; none -> ``""``)."""
    slash = address.find("/")
    return address[slash:].rstrip("/") if slash >= 0 else ""


def local_zk_address(original: str, zk_port: int) -> str:
    return f"{LOOPBACK}:{zk_port}{zk_chroot(original)}"


def arg_value(args: Sequence[str], flags: Sequence[str]) -> str | None:
    for index, arg in enumerate(args[:-1]):
        if arg in flags:
            return args[index + 1]
    return None


@dataclass(frozen=True)
class Overlaid:
    """One role after the overlay: what to write and run, and where it listens."""

    role: Role
    conf_text: str
    args: list[str]
    conf_path: Path
    port: int  # controller.port / broker query port / server admin port / minion port
    health_path: str
    props: dict[str, str]

    @property
    def base_url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    @property
    def health_url(self) -> str:
        return self.base_url + self.health_path


def role_overrides(
    role: Role, props: Mapping[str, str], ports: PortAllocator, role_dir: Path
) -> dict[str, str]:
    """The keys the overlay sets for ``role``; see the module docstring."""
    data = role_dir / "data"
    out: dict[str, str] = {}
    if role == "controller":
        port = str(ports.take())
        out |= {"controller.host": LOOPBACK, "controller.port": port}
        out |= {"controller.data.dir": str(data), "controller.local.temp.dir": str(role_dir / "tmp")}
        if "controller.vip.host" in props or "controller.vip.port" in props:
            out |= {"controller.vip.host": LOOPBACK, "controller.vip.port": port}
    elif role == "broker":
        out |= {"pinot.broker.hostname": LOOPBACK, "pinot.broker.client.queryPort": str(ports.take())}
        out["pinot.broker.delayShutdownTimeMs"] = "0"
    elif role == "server":
        out["pinot.server.netty.host"] = LOOPBACK
        for key in ("pinot.server.netty.port", "pinot.server.adminapi.port", "pinot.server.grpc.port"):
            out[key] = str(ports.take())
        out["pinot.server.instance.dataDir"] = str(data / "index")
        out["pinot.server.instance.segmentTarDir"] = str(data / "segment")
        if "pinot.server.instance.consumerDir" in props:
            out["pinot.server.instance.consumerDir"] = str(data / "consumer")
    else:
        out |= {"pinot.minion.host": LOOPBACK, "pinot.minion.port": str(ports.take()), "dataDir": str(data)}
    for key in ("pinot.query.server.port", "pinot.query.runner.port"):
        if key in props:
            out[key] = str(ports.take())
    return out


def _overlay_args(
    args: Sequence[str], role: Role, props: Mapping[str, str], conf_path: Path, zk_port: int
) -> list[str]:
    out = list(args)
    has_conf_flag = False
    for index in range(len(out) - 1):
        flag = out[index]
        if flag in CONFIG_FILE_FLAGS:
            out[index + 1] = str(conf_path)
            has_conf_flag = True
        elif flag == "-zkAddress":
            out[index + 1] = local_zk_address(out[index + 1], zk_port)
        elif flag in FLAG_TO_KEY and FLAG_TO_KEY[flag] in props:
            out[index + 1] = props[FLAG_TO_KEY[flag]]
        elif flag == "-dataDir" and DATA_DIR_KEY[role]:
            out[index + 1] = props[DATA_DIR_KEY[role]]
    if not has_conf_flag:
        out += ["-configFileName", str(conf_path)]
    return out


def apply_overlay(
    role: Role, conf_text: str, args: Sequence[str], *, zk_port: int, ports: PortAllocator, role_dir: Path
) -> Overlaid:
    """Rewrite one role's rendered config and args to run on this machine (see the module docstring)."""
    props = parse_properties(conf_text)
    for key in ZK_KEYS:
        if key in props:
            props[key] = local_zk_address(props[key], zk_port)
    props.update(role_overrides(role, props, ports, role_dir))
    conf_path = role_dir / "config" / CONF_FILE_NAMES[role]
    new_args = _overlay_args(args, role, props, conf_path, zk_port)
    port_key, health = {
        "controller": ("controller.port", "/health"),
        "broker": ("pinot.broker.client.queryPort", "/health"),
        "server": ("pinot.server.adminapi.port", "/health/readiness"),
        "minion": ("pinot.minion.port", "/health"),
    }[role]
    return Overlaid(role, format_properties(props), new_args, conf_path, int(props[port_key]), health, props)


def zk_chroots(specs: Mapping[Role, tuple[str, Sequence[str]]]) -> set[str]:
    """Every chroot named by the rendered configs and args (to create before Pinot starts)."""
    found: set[str] = set()
    for conf_text, args in specs.values():
        props = parse_properties(conf_text)
        addresses = [props[key] for key in ZK_KEYS if key in props]
        zk_arg = arg_value(args, ["-zkAddress"])
        addresses += [zk_arg] if zk_arg else []
        found |= {zk_chroot(address) for address in addresses if zk_chroot(address)}
    return found


# ---------------------------------------------------------------------------------------------------
# A minimal ZooKeeper client (handshake and create), enough to check health and create a chroot


def _zk_frame(payload: bytes) -> bytes:
    return struct.pack(">i", len(payload)) + payload


def _zk_string(value: str) -> bytes:
    raw = value.encode()
    return struct.pack(">i", len(raw)) + raw


def _recv_exact(sock: socket.socket, size: int) -> bytes:
    chunks = b""
    while len(chunks) < size:
        chunk = sock.recv(size - len(chunks))
        if not chunk:
            raise ConnectionError("ZooKeeper closed the connection")
        chunks += chunk
    return chunks


def _zk_read_frame(sock: socket.socket) -> bytes:
    (size,) = struct.unpack(">i", _recv_exact(sock, 4))
    return _recv_exact(sock, size)


def _zk_session(port: int, timeout: float) -> socket.socket:
    sock = socket.create_connection((LOOPBACK, port), timeout=timeout)
    # ConnectRequest: protocolVersion, lastZxidSeen, timeOut, sessionId, passwd, readOnly
    sock.sendall(_zk_frame(struct.pack(">iqiqi16s?", 0, 0, 10000, 0, 16, b"\0" * 16, False)))
    _zk_read_frame(sock)
    return sock


def zk_ok(port: int, timeout: float = 2.0) -> bool:
    """True when ZooKeeper on ``port`` completes a session handshake."""
    try:
        with _zk_session(port, timeout) as sock:
            sock.sendall(_zk_frame(struct.pack(">ii", 1, -11)))  # closeSession
            return True
    except OSError:
        return False


def zk_ensure_path(port: int, path: str, timeout: float = 5.0) -> None:
    """Create ``path`` (and its parents) as persistent znodes if they do not exist."""
    acl = struct.pack(">ii", 1, 31) + _zk_string("world") + _zk_string("anyone")  # OPEN_ACL_UNSAFE
    with _zk_session(port, timeout) as sock:
        parts = [part for part in path.split("/") if part]
        for depth in range(1, len(parts) + 1):
            node = "/" + "/".join(parts[:depth])
            request = struct.pack(">ii", depth, 1) + _zk_string(node) + struct.pack(">i", -1) + acl
            sock.sendall(_zk_frame(request + struct.pack(">i", 0)))
            _xid, _zxid, err = struct.unpack(">iqi", _zk_read_frame(sock)[:16])
            if err not in (0, -110):  # OK, NODEEXISTS
                raise PinotStartError(f"ZooKeeper create {node} failed with error {err}")
        sock.sendall(_zk_frame(struct.pack(">ii", len(parts) + 1, -11)))


# ---------------------------------------------------------------------------------------------------
# Processes


def java_binary() -> str:
    java_home = os.environ.get("JAVA_HOME")
    candidate = Path(java_home) / "bin" / "java" if java_home else None
    found = str(candidate) if candidate and candidate.is_file() else shutil.which("java")
    if not found:
        raise PinotStartError("no java found (set JAVA_HOME or put java on PATH)")
    return found


def java_command(name: str, classpath: str, args: Sequence[str]) -> list[str]:
    xms, xmx = HEAP[name]
    options = [
        f"-Xms{xms}",
        f"-Xmx{xmx}",
        "-XX:+UseSerialGC",  # fewest threads and smallest footprint; these JVMs do little work
        "-XX:TieredStopAtLevel=1",  # C1 only: faster start, less CPU on 2 cores
        "-XX:ActiveProcessorCount=2",
        "-Xss512k",
        "-Djute.maxbuffer=4000000",  # as the Helm chart: ZooKeeper and its clients must agree
        "-Djava.net.preferIPv4Stack=true",
        "-Dpinot.admin.system.exit=false",
        *JAVA17_OPENS,
    ]
    return [java_binary(), *options, "-cp", classpath, MAIN_CLASS, *args]


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    """Ask Linux to SIGKILL the child if the test process dies without tearing down."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


@dataclass
class PinotProcess:
    name: str
    popen: subprocess.Popen[bytes]
    log_path: Path
    log_file: IO[bytes]
    started_at: float
    _scanned: int = 0
    _fatal: str | None = None

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def log_tail(self, lines: int = 60) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def fatal_line(self) -> str | None:
        """The first log line that says start-up failed for good, if any (reads only new output)."""
        if self._fatal is None:
            with contextlib.suppress(OSError), self.log_path.open("rb") as log:
                log.seek(self._scanned)
                chunk = log.read()
                complete = chunk[: chunk.rfind(b"\n") + 1]
                self._scanned += len(complete)
                lines = complete.decode("utf-8", errors="replace").splitlines()
                self._fatal = next((ln for ln in lines if any(m in ln for m in FATAL_LOG_MARKERS)), None)
        return self._fatal

    def rss_mib(self) -> float:
        """Resident memory of the JVM, in MiB (0 when it has exited)."""
        try:
            status = Path(f"/proc/{self.pid}/status").read_text(encoding="utf-8")
        except OSError:
            return 0.0
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return 0.0

    def signal_group(self, sig: signal.Signals) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, sig)


def start_process(name: str, command: Sequence[str], cwd: Path) -> PinotProcess:
    cwd.mkdir(parents=True, exist_ok=True)
    log_path = cwd / f"{name}.log"
    log_file = log_path.open("wb")
    log_file.write(("$ " + " ".join(command) + "\n").encode())
    log_file.flush()
    popen = subprocess.Popen(
        list(command),
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=log_file,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # own process group: stopped as a group
        preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
    )
    return PinotProcess(name, popen, log_path, log_file, time.monotonic())


def stop_processes(
    processes: Sequence[PinotProcess], grace: float = 3.0, log: Callable[[str], None] = print
) -> None:
    """SIGTERM every process group, wait up to ``grace`` seconds, then SIGKILL what is left."""
    for proc in processes:
        if proc.alive():
            proc.signal_group(signal.SIGTERM)
    deadline = time.monotonic() + grace
    for proc in processes:
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.popen.wait(timeout=max(0.0, deadline - time.monotonic()))
    for proc in processes:
        if proc.alive():
            log(f"pinot: {proc.name} ignored SIGTERM for {grace:.0f}s; killing it")
            proc.signal_group(signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.popen.wait(timeout=10)
        proc.log_file.close()


def http_status(url: str, timeout: float = 2.0) -> int | None:
    """The HTTP status of a GET, or None when nothing answers."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)
    except (OSError, ValueError):
        return None


def wait_until(
    pending: Mapping[str, tuple[PinotProcess, Callable[[], bool]]], timeout: float, log: Callable[[str], None]
) -> dict[str, float]:
    """Poll every check until it passes; return the seconds each process took since it was started.

    Raises :class:`PinotStartError`, with the log tail, when a process exits or the timeout passes.
    """
    waiting = dict(pending)
    took: dict[str, float] = {}
    deadline = time.monotonic() + timeout
    while waiting:
        for name, (proc, check) in list(waiting.items()):
            if check():
                took[name] = time.monotonic() - proc.started_at
                log(f"pinot: {name} healthy after {took[name]:.1f}s (pid {proc.pid}, log {proc.log_path})")
                del waiting[name]
            elif not proc.alive() or proc.fatal_line():
                raise PinotStartError(
                    f"{name} failed to start (exit code {proc.popen.poll()}, {proc.fatal_line()!r}); "
                    f"log {proc.log_path}:\n{proc.log_tail()}"
                )
        if waiting and time.monotonic() > deadline:
            details = "\n\n".join(f"--- {n} ({p.log_path}):\n{p.log_tail()}" for n, (p, _) in waiting.items())
            raise PinotStartError(f"not healthy after {timeout:.0f}s: {sorted(waiting)}\n{details}")
        if waiting:
            time.sleep(0.25)
    return took


# ---------------------------------------------------------------------------------------------------
# The cluster


@dataclass
class Cluster:
    """A running cluster: where each role listens, its processes and how long each took to start."""

    workdir: Path
    zk_port: int
    roles: dict[Role, Overlaid]
    processes: list[PinotProcess] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def controller_url(self) -> str:
        return self.roles["controller"].base_url

    @property
    def broker_url(self) -> str:
        return self.roles["broker"].base_url

    @property
    def server_admin_url(self) -> str:
        return self.roles["server"].base_url

    @property
    def minion_url(self) -> str:
        return self.roles["minion"].base_url

    def rss_mib(self) -> dict[str, float]:
        return {proc.name: proc.rss_mib() for proc in self.processes}


RenderRole = Callable[[Role], tuple[str, list[str]]]


@contextlib.contextmanager
def running_cluster(
    render_role: RenderRole,
    workdir: Path,
    *,
    classpath: str | None = None,
    timeout: float = 240.0,
    log: Callable[[str], None] = print,
) -> Iterator[Cluster]:
    """Start ZooKeeper, then the controller, then broker, server and minion together; stop all on exit.

    ``render_role(role)`` returns the rendered ``.conf`` text and container args for that role. Every
    process is stopped when the block exits, also when starting fails part-way.
    """
    began = time.monotonic()
    classpath = classpath or load_classpath()
    specs = {role: render_role(role) for role in ROLES}
    ports = PortAllocator()
    zk_port = ports.take()
    roles = {
        role: apply_overlay(role, conf, args, zk_port=zk_port, ports=ports, role_dir=workdir / role)
        for role, (conf, args) in specs.items()
    }
    cluster = Cluster(workdir, zk_port, roles)
    try:
        zk_cmd = ["StartZookeeper", "-zkPort", str(zk_port), "-dataDir", str(workdir / "zookeeper" / "data")]
        zk = start_process("zookeeper", java_command("zookeeper", classpath, zk_cmd), workdir / "zookeeper")
        cluster.processes.append(zk)
        cluster.timings |= wait_until({"zookeeper": (zk, lambda: zk_ok(zk_port))}, timeout, log)
        for chroot in sorted(zk_chroots(specs)):
            zk_ensure_path(zk_port, chroot)

        def launch(role: Role) -> PinotProcess:
            overlaid = roles[role]
            overlaid.conf_path.parent.mkdir(parents=True, exist_ok=True)
            overlaid.conf_path.write_text(overlaid.conf_text, encoding="utf-8")
            proc = start_process(role, java_command(role, classpath, overlaid.args), workdir / role)
            cluster.processes.append(proc)
            return proc

        def healthy(role: Role) -> Callable[[], bool]:
            return lambda: http_status(roles[role].health_url) == 200

        controller = launch("controller")
        cluster.timings |= wait_until({"controller": (controller, healthy("controller"))}, timeout, log)
        rest: list[Role] = ["broker", "server", "minion"]
        started = {role: launch(role) for role in rest}
        cluster.timings |= wait_until({r: (started[r], healthy(r)) for r in rest}, timeout, log)
        cluster.timings["total"] = time.monotonic() - began
        log(f"pinot: cluster up in {cluster.timings['total']:.1f}s; work dir {workdir}")
        yield cluster
    finally:
        stopping = time.monotonic()
        stop_processes(cluster.processes[::-1], log=log)
        log(f"pinot: stopped {len(cluster.processes)} processes in {time.monotonic() - stopping:.1f}s")
