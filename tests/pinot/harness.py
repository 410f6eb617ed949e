"""Run a real Apache Pinot cluster on this machine for tests.

Every role is its own JVM, started as ``java <launcher flags> <JAVA_OPTS> -cp <jars> PinotAdministrator
<args>`` from the jars that ``make pinot-deps`` resolves into ``tests/pinot/.cache`` (version pinned in
``tests/pinot/pom.xml``). ZooKeeper is Pinot's own ``StartZookeeper`` command.

The classpath is Pinot's jars plus one test-only plugin, :data:`EMPTY_STREAM_FACTORY` (compiled from
``emptystream/`` on first use): a stream without messages, so that REALTIME tables can be created
without Kafka. Nothing uses it unless a table's stream config names it.

Input, per role, is what the hooks render for a pod (``role_configs.py``): the ``.conf`` file, the
container args and ``JAVA_OPTS``. ``overlay.py`` documents and applies the few rewrites a single machine
needs (ZooKeeper address, ports, directories, heap) and checks that nothing else changed.

The processes listen where Pinot puts them by default (all interfaces); the tests talk to them on
127.0.0.1. Start-up fails fast, with the log tail, when a process exits or logs that it gave up.
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
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
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from .overlay import (
    HEAP,
    LAUNCHER_FLAGS,
    LOOPBACK,
    ROLES,
    Overlaid,
    RenderedRole,
    Role,
    apply_overlay,
    overlay_violations,
)

__all__ = [
    "LOOPBACK",
    "ROLES",
    "Cluster",
    "PinotStartError",
    "PortAllocator",
    "Role",
    "http_status",
    "running_cluster",
]

PINOT_DIR = Path(__file__).resolve().parent
CACHE_DIR = PINOT_DIR / ".cache"
CLASSPATH_FILE = CACHE_DIR / "classpath.txt"
#: The Prometheus JMX exporter agent (``make pinot-deps`` copies it here from Maven Central), the
#: version the apachepinot/pinot:1.3.0 image ships.
AGENT_JAR = CACHE_DIR / "agents" / "jmx_prometheus_javaagent-0.18.0.jar"
LOCAL_REPO = CACHE_DIR / "m2"
REPO_PLACEHOLDER = "@M2@"
MAIN_CLASS = "org.apache.pinot.tools.admin.PinotAdministrator"
EMPTY_STREAM_SOURCE = PINOT_DIR / "emptystream" / "EmptyStreamConsumerFactory.java"
#: The class a REALTIME table's stream config names to consume from the empty stream.
EMPTY_STREAM_FACTORY = "controlplane.tests.stream.EmptyStreamConsumerFactory"

#: ZooKeeper is not rendered by the hooks (the cluster points at an existing one): its options are ours.
ZOOKEEPER_OPTIONS = ["-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"]

#: Ports a role binds although the rendered file does not name them (Pinot's defaults), by the key that
#: would move them. Not overlaid (that would add a key); checked free before start-up instead.
DEFAULT_PORTS: dict[Role, dict[str, int]] = {"server": {"pinot.server.grpc.port": 8090}}

#: Log lines after which a process will never become healthy (it keeps running regardless).
FATAL_LOG_MARKERS = ("Failed to start a Pinot",)


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


#: Where ``../shared/tools/pinot-1x.sh`` builds Pinot 1.x and writes ``classpath-<version>.txt``.
PINOT1X_CACHE = Path(os.environ.get("PINOT1X_CACHE", str(Path.home() / ".cache" / "pcp-pinot1x")))


def versioned_classpath(version: str) -> str:
    """The classpath of Pinot ``version``: the one ``make pinot-deps`` resolves (its pinned version), or
    one that ``pinot-1x.sh`` built into :data:`PINOT1X_CACHE`."""
    pinned = PINOT_DIR / "pom.xml"
    if f"<pinot.version>{version}</pinot.version>" in pinned.read_text(encoding="utf-8"):
        return load_classpath()
    built = PINOT1X_CACHE / f"classpath-{version}.txt"
    if not built.is_file():
        raise PinotStartError(
            f"no Pinot {version} at {built}: build it with ../shared/tools/pinot-1x.sh "
            f"(PINOT1X_VERSION={version}), or point PINOT1X_CACHE at where it was built"
        )
    return load_classpath(built, PINOT1X_CACHE / "m2")


def empty_stream_classes(classpath: str, log: Callable[[str], None] = print) -> Path:
    """Compile the test-only stream plugin (``emptystream/``) once; return its class directory.

    A REALTIME table needs a stream that Pinot can ask for partitions and offsets; this one has a single
    partition that never holds a message, so no Kafka is needed.
    """
    spi = [jar for jar in classpath.split(os.pathsep) if Path(jar).name.startswith("pinot-spi-")]
    if not spi:
        raise PinotStartError(f"cannot compile {EMPTY_STREAM_SOURCE}: no pinot-spi jar on the classpath")
    return compiled_classes(EMPTY_STREAM_SOURCE, spi[0], log)


def compiled_classes(source_file: Path, classpath: str, log: Callable[[str], None] = print) -> Path:
    """Compile one test-only Java source against ``classpath``, once; return its class directory.

    The output is cached by the hash of the source and of the classpath (another Pinot version's jars
    get their own classes)."""
    source = source_file.read_bytes()
    digest = hashlib.sha256(source + classpath.encode()).hexdigest()[:12]
    out = CACHE_DIR / f"{source_file.parent.name}-{digest}"
    if (out / ".compiled").is_file():
        return out
    javac = Path(java_binary()).with_name("javac")
    found = str(javac) if javac.is_file() else shutil.which("javac")
    if not found:
        raise PinotStartError(f"cannot compile {source_file}: no javac next to java or on PATH")
    began = time.monotonic()
    staging = Path(str(out) + ".tmp")
    shutil.rmtree(staging, ignore_errors=True)
    command = [found, "-nowarn", "--release", "11", "-cp", classpath, "-d", str(staging), str(source_file)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise PinotStartError(f"javac failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    (staging / ".compiled").touch()
    shutil.rmtree(out, ignore_errors=True)
    staging.rename(out)
    log(f"pinot: compiled {source_file.name} in {time.monotonic() - began:.1f}s into {out}")
    return out


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("", port))
        except OSError:
            return False
    return True


def check_default_ports(roles: Mapping[Role, Overlaid]) -> None:
    """Fail before start-up, naming the port, when a default port a role will bind is taken."""
    for role, defaults in DEFAULT_PORTS.items():
        for key, port in defaults.items():
            if key not in roles[role].props and not port_is_free(port):
                raise PinotStartError(
                    f"port {port} is in use, and the {role} binds it by default ({key} is not rendered); "
                    "stop whatever holds it (another Pinot?) and run again"
                )


class PortAllocator:
    """Hands out distinct free TCP ports."""

    def __init__(self) -> None:
        self._given: set[int] = set()

    def take(self) -> int:
        for _ in range(100):
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
                sock.bind(("", 0))
                port = int(sock.getsockname()[1])
            if port not in self._given:
                self._given.add(port)
                return port
        raise PinotStartError("no free port found")


# ---------------------------------------------------------------------------------------------------
# A minimal ZooKeeper client (handshake, create, exists): health, the chroot, and where Pinot wrote


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


def zk_exists(port: int, path: str, timeout: float = 5.0) -> bool:
    """True when the znode ``path`` exists."""
    with _zk_session(port, timeout) as sock:
        sock.sendall(_zk_frame(struct.pack(">ii", 1, 3) + _zk_string(path) + struct.pack(">?", False)))
        _xid, _zxid, err = struct.unpack(">iqi", _zk_read_frame(sock)[:16])
        sock.sendall(_zk_frame(struct.pack(">ii", 2, -11)))
    if err not in (0, -101):  # OK, NONODE
        raise PinotStartError(f"ZooKeeper exists {path} failed with error {err}")
    return bool(err == 0)


# ---------------------------------------------------------------------------------------------------
# Processes


def java_binary() -> str:
    java_home = os.environ.get("JAVA_HOME")
    candidate = Path(java_home) / "bin" / "java" if java_home else None
    found = str(candidate) if candidate and candidate.is_file() else shutil.which("java")
    if not found:
        raise PinotStartError("no java found (set JAVA_HOME or put java on PATH)")
    return found


def java_command(classpath: str, jvm_options: Sequence[str], args: Sequence[str]) -> list[str]:
    """``java <launcher flags> <jvm_options> -cp <classpath> PinotAdministrator <args>``."""
    return [java_binary(), *LAUNCHER_FLAGS, *jvm_options, "-cp", classpath, MAIN_CLASS, *args]


def zookeeper_options() -> list[str]:
    xms, xmx = HEAP["zookeeper"]
    return [f"-Xms{xms}", f"-Xmx{xmx}", *ZOOKEEPER_OPTIONS]


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


def pinot_version(classpath: str) -> tuple[int, ...]:
    """The Pinot release on ``classpath`` (from its pinot-controller jar), e.g. ``(0, 11, 0)``."""
    for jar in classpath.split(os.pathsep):
        name = Path(jar).name
        if name.startswith("pinot-controller-") and name.endswith(".jar"):
            return tuple(
                int(part) for part in name[len("pinot-controller-") : -len(".jar")].split("-")[0].split(".")
            )
    raise PinotStartError("no pinot-controller jar on the classpath")


def start_process(
    name: str, command: Sequence[str], cwd: Path, env: Mapping[str, str] | None = None
) -> PinotProcess:
    cwd.mkdir(parents=True, exist_ok=True)
    log_path = cwd / f"{name}.log"
    log_file = log_path.open("wb")
    log_file.write(("$ " + " ".join(command) + "\n").encode())
    log_file.flush()
    popen = subprocess.Popen(
        list(command),
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        env=None if env is None else dict(env),
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
    """A running cluster: where each role listens, its processes and how long each took to start.

    ``roles`` holds the first replica of each role; ``replicas`` all of them (one process each)."""

    workdir: Path
    zk_port: int  # where the tests reach ZooKeeper (the first server of an ensemble)
    roles: dict[Role, Overlaid]
    replicas: dict[Role, list[Overlaid]] = field(default_factory=dict)
    processes: list[PinotProcess] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    version: tuple[int, ...] = (0, 0, 0)

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

    def failures(self) -> list[str]:
        """Processes that exited or logged that they gave up, with their log tails."""
        return [
            f"{p.name} (exit code {p.popen.poll()}, {p.fatal_line()!r}); log {p.log_path}:\n{p.log_tail()}"
            for p in self.processes
            if not p.alive() or p.fatal_line()
        ]


def overlay_cluster(
    rendered: Mapping[Role, RenderedRole],
    workdir: Path,
    ports: PortAllocator,
    zk: str,
    secrets: Mapping[str, Mapping[str, str]] | None = None,
) -> dict[Role, list[Overlaid]]:
    """Overlay every replica of every role (each its own directory and ports; shared volumes under
    ``workdir/shared``) and check each against the overlay's rules (raises on any other change)."""
    roles: dict[Role, list[Overlaid]] = {}
    shared_dir = workdir / "shared"
    for role in ROLES:
        roles[role] = []
        for replica in range(max(1, rendered[role].replicas)):
            role_dir = workdir / (role if replica == 0 else f"{role}-{replica}")
            out = apply_overlay(
                rendered[role],
                zk=zk,
                ports=ports,
                role_dir=role_dir,
                shared_dir=shared_dir,
                agent_jar=AGENT_JAR,
                secrets=secrets,
            )
            problems = overlay_violations(out, zk=zk, role_dir=role_dir, shared_dir=shared_dir)
            if problems:
                raise PinotStartError("the overlay changed more than it may:\n" + "\n".join(problems))
            roles[role].append(out)
    return roles


def run_init_containers(name: str, overlaid: Overlaid, cwd: Path) -> None:
    """Run the pod's init containers' commands as the kubelet would, in order, before the role."""
    for directory in overlaid.mount_dirs:
        directory.mkdir(parents=True, exist_ok=True)
    for index, (command, env) in enumerate(overlaid.init_commands):
        done = subprocess.run(
            command,
            env={"PATH": os.environ.get("PATH", "")} | env,
            cwd=cwd,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise PinotStartError(f"{name}: init container {index} exited {done.returncode}: {done.stderr}")


def start_zookeeper(directory: Path, port: int, classpath: str) -> PinotProcess:
    """A standalone ZooKeeper on ``port`` (Pinot's own launcher), its data under ``directory``."""
    command = ["StartZookeeper", "-zkPort", str(port), "-dataDir", str(directory / "data")]
    java = [java_binary(), *zookeeper_options(), "-cp", classpath, MAIN_CLASS, *command]
    return start_process("zookeeper", java, directory)


@contextlib.contextmanager
def running_cluster(
    rendered: Mapping[Role, RenderedRole],
    workdir: Path,
    *,
    classpath: str | None = None,
    timeout: float = 240.0,
    log: Callable[[str], None] = print,
    zookeeper: str | None = None,
    ports: PortAllocator | None = None,
    secrets: Mapping[str, Mapping[str, str]] | None = None,
    chroots: Iterable[str] = (),
) -> Iterator[Cluster]:
    """Start ZooKeeper, then the controller, then broker, server and minion together; stop all on exit.

    ``zookeeper``, the connect string of an ensemble already running here (tests/pinot/ensemble), takes
    the place of the ZooKeeper started otherwise. ``chroots`` are the znodes that exist before Pinot
    starts, as whoever runs an external ZooKeeper must create a chroot its connect string names: a
    rendered chroot not among them stays absent, and Pinot fails to start as it would in a pod. Every
    process is stopped when the block exits, also when starting fails part-way. A role counts as
    started when its rendered readiness probe answers 200.
    """
    began = time.monotonic()
    classpath = classpath or load_classpath()
    classpath += os.pathsep + str(empty_stream_classes(classpath, log))
    ports = ports or PortAllocator()
    zk_port = int(zookeeper.split(",")[0].rsplit(":", 1)[1]) if zookeeper else ports.take()
    replicas = overlay_cluster(rendered, workdir, ports, zookeeper or f"{LOOPBACK}:{zk_port}", secrets)
    roles = {role: found[0] for role, found in replicas.items()}
    check_default_ports(roles)
    cluster = Cluster(workdir, zk_port, roles, replicas, version=pinot_version(classpath))
    try:
        if zookeeper is None:
            zk = start_zookeeper(workdir / "zookeeper", zk_port, classpath)
            cluster.processes.append(zk)
            cluster.timings |= wait_until({"zookeeper": (zk, lambda: zk_ok(zk_port))}, timeout, log)
        for chroot in sorted(chroots):
            zk_ensure_path(zk_port, chroot)

        def launch(role: Role, only: int | None = None) -> dict[str, tuple[PinotProcess, Callable[[], bool]]]:
            started = {}
            for index, overlaid in enumerate(replicas[role]):
                if only is not None and index != only:
                    continue
                name = role if index == 0 else f"{role}-{index}"
                overlaid.conf_path.parent.mkdir(parents=True, exist_ok=True)
                overlaid.conf_path.write_text(overlaid.conf_text, encoding="utf-8")
                for path, text in overlaid.files.items():
                    path.write_text(text, encoding="utf-8")
                cwd = overlaid.conf_path.parent.parent
                run_init_containers(name, overlaid, cwd)
                command = java_command(classpath, overlaid.jvm_options, overlaid.args)
                # The container's env on top of this machine's (PATH, JAVA_HOME).
                proc = start_process(name, command, cwd, {**os.environ, **overlaid.env})
                cluster.processes.append(proc)
                started[name] = (proc, healthy(overlaid))
            return started

        def healthy(overlaid: Overlaid) -> Callable[[], bool]:
            return lambda: http_status(overlaid.health_url) == 200

        # Controllers one by one: the first sets the Helix cluster up, the others join it.
        for index in range(len(replicas["controller"])):
            cluster.timings |= wait_until(launch("controller", index), timeout, log)
        rest: list[Role] = ["broker", "server", "minion"]
        cluster.timings |= wait_until({k: v for r in rest for k, v in launch(r).items()}, timeout, log)
        if cluster.failures():  # healthy for a moment, then gave up (e.g. a port taken after the check)
            raise PinotStartError("\n\n".join(cluster.failures()))
        cluster.timings["total"] = time.monotonic() - began
        log(f"pinot: cluster up in {cluster.timings['total']:.1f}s; work dir {workdir}")
        yield cluster
    finally:
        stopping = time.monotonic()
        stop_processes(cluster.processes[::-1], log=log)
        log(f"pinot: stopped {len(cluster.processes)} processes in {time.monotonic() - stopping:.1f}s")
