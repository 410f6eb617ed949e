"""Run a managed ZooKeeper ensemble on this machine as the hooks render it (``ensemble_overlay.py``).

Each server is ``bash -ec <rendered start script>`` with ``HOSTNAME`` set to its pod's name, so the script
itself writes ``myid``; its ``exec zkServer.sh start-foreground`` reaches a shim (written here) that starts
``QuorumPeerMain`` on ``$ZOOCFGDIR/zoo.cfg`` with ``$JVMFLAGS``, as the image's script does, from the jars of
``zookeeper-pom.xml``. A server counts as ready when its rendered readiness probe passes.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .ensemble_overlay import LocalServer, RenderedEnsemble, ensemble_violations, overlay_ensemble
from .harness import (
    CACHE_DIR,
    PinotProcess,
    PinotStartError,
    PortAllocator,
    java_binary,
    load_classpath,
    start_process,
    stop_processes,
)
from .overlay import LOOPBACK

CLASSPATH_FILE = CACHE_DIR / "zookeeper-classpath.txt"
#: How this machine launches the JVM (no ZooKeeper setting): five Pinot JVMs share two cores here.
LAUNCHER_FLAGS = "-XX:+UseSerialGC -XX:TieredStopAtLevel=1"
SHIM = """#!/usr/bin/env bash
# Stands in for the image's zkServer.sh: start-foreground runs QuorumPeerMain on $ZOOCFGDIR/zoo.cfg with
# $JVMFLAGS and the config directory first on the classpath (zkEnv.sh does the same).
set -euo pipefail
[[ "${1:-}" == start-foreground ]] || { echo "zkServer.sh here runs start-foreground only" >&2; exit 2; }
exec "$ZK_JAVA" $ZK_LAUNCHER_FLAGS -cp "$ZOOCFGDIR:$ZK_CLASSPATH" $JVMFLAGS \\
  org.apache.zookeeper.server.quorum.QuorumPeerMain "$ZOOCFGDIR/zoo.cfg"
"""
#: The image's conf/ has a logback.xml (console, INFO); the jars bring none, and logback's default is DEBUG.
LOGBACK = """<configuration>
  <appender name="CONSOLE" class="ch.qos.logback.core.ConsoleAppender">
    <encoder><pattern>%d{ISO8601} [myid:%X{myid}] - %-5p [%t:%C{1}@%L] - %m%n</pattern></encoder>
  </appender>
  <root level="INFO"><appender-ref ref="CONSOLE"/></root>
</configuration>
"""


def four_letter_word(port: int, word: str, timeout: float = 2.0) -> str:
    """ZooKeeper's answer to a four-letter word on ``port`` ("" when nothing answers)."""
    try:
        with socket.create_connection((LOOPBACK, port), timeout=timeout) as sock:
            sock.sendall(word.encode())
            chunks = []
            while chunk := sock.recv(4096):
                chunks.append(chunk)
            return b"".join(chunks).decode(errors="replace")
    except OSError:
        return ""


@dataclass
class LocalEnsemble:
    rendered: RenderedEnsemble
    servers: list[LocalServer]
    classpath: str
    shim_dir: Path
    log: Callable[[str], None]
    processes: dict[int, PinotProcess] = field(default_factory=dict)

    @property
    def connect(self) -> str:
        return ",".join(f"{LOOPBACK}:{server.client_port}" for server in self.servers)

    def start(self, ordinal: int) -> PinotProcess:
        server = self.servers[ordinal]
        server.conf_dir.mkdir(parents=True, exist_ok=True)
        server.data_dir.mkdir(parents=True, exist_ok=True)  # the pod's volume
        (server.conf_dir / "zoo.cfg").write_text(server.zoo_cfg, encoding="utf-8")
        (server.conf_dir / "logback.xml").write_text(LOGBACK, encoding="utf-8")
        env = {
            **os.environ,
            "HOSTNAME": server.hostname,
            "ZOOCFGDIR": str(server.conf_dir),
            "JVMFLAGS": " ".join(server.jvmflags),
            "PATH": f"{self.shim_dir}{os.pathsep}{os.environ.get('PATH', '')}",
            "ZK_JAVA": java_binary(),
            "ZK_CLASSPATH": self.classpath,
            "ZK_LAUNCHER_FLAGS": LAUNCHER_FLAGS,
        }
        command = ["bash", "-ec", server.script]
        process = start_process(f"zookeeper-{ordinal}", command, server.directory, env)
        self.processes[ordinal] = process
        return process

    def stop(self, ordinal: int) -> None:
        stop_processes([self.processes.pop(ordinal)], log=self.log)

    def probe(self, ordinal: int, kind: str = "readiness") -> bool:
        """The server's rendered probe, as the kubelet runs it (timeout 5 s)."""
        server = self.servers[ordinal]
        command = server.readiness if kind == "readiness" else server.liveness
        with contextlib.suppress(subprocess.TimeoutExpired):
            return subprocess.run(command, capture_output=True, timeout=5, check=False).returncode == 0
        return False

    def mode(self, ordinal: int) -> str:
        """leader, follower or standalone; "" while the server is not serving."""
        answer = four_letter_word(self.servers[ordinal].client_port, "srvr")
        return next((ln.split(":", 1)[1].strip() for ln in answer.splitlines() if ln.startswith("Mode:")), "")

    def leader(self) -> int | None:
        found = [n for n in self.processes if self.mode(n) == "leader"]
        return found[0] if len(found) == 1 else None

    def wait_ready(self, ordinals: Sequence[int], timeout: float = 90.0) -> float:
        """Seconds until every server of ``ordinals`` passes its readiness probe."""
        began = time.monotonic()
        waiting = set(ordinals)
        while waiting:
            for ordinal in sorted(waiting):
                process = self.processes.get(ordinal)
                if process is not None and not process.alive():
                    raise PinotStartError(f"zookeeper-{ordinal} exited:\n{process.log_tail()}")
                if self.probe(ordinal):
                    waiting.discard(ordinal)
            if waiting and time.monotonic() - began > timeout:
                tails = "\n".join(f"--- zookeeper-{n}:\n{self.processes[n].log_tail(20)}" for n in waiting)
                raise PinotStartError(f"not ready after {timeout:.0f}s: {sorted(waiting)}\n{tails}")
            if waiting:
                time.sleep(0.25)
        return time.monotonic() - began


@contextlib.contextmanager
def running_ensemble(
    rendered: RenderedEnsemble, workdir: Path, ports: PortAllocator, log: Callable[[str], None] = print
) -> Iterator[LocalEnsemble]:
    """Start every server at once (the StatefulSet's Parallel policy) and wait until all are ready."""
    servers = overlay_ensemble(rendered, ports, workdir)
    problems = ensemble_violations(rendered, servers)
    if problems:
        raise PinotStartError("the ensemble overlay changed more than it may:\n" + "\n".join(problems))
    shim_dir = workdir / "bin"
    shim_dir.mkdir(parents=True, exist_ok=True)
    (shim_dir / "zkServer.sh").write_text(SHIM, encoding="utf-8")
    (shim_dir / "zkServer.sh").chmod(0o755)
    classpath = load_classpath(CLASSPATH_FILE)
    ensemble = LocalEnsemble(rendered, servers, classpath, shim_dir, log)
    try:
        for ordinal in range(len(servers)):
            ensemble.start(ordinal)
        took = ensemble.wait_ready(range(len(servers)))
        log(f"pinot: ZooKeeper ensemble of {len(servers)} ready after {took:.1f}s ({ensemble.connect})")
        yield ensemble
    finally:
        stop_processes(list(ensemble.processes.values()), log=log)
