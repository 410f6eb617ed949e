"""A ZooKeeper chroot must exist before Pinot starts: Pinot (Helix) neither creates it nor starts
without it, and `examples/zookeeper-dev.yaml` creates the one the heterogeneous example names.

Both on real software: Pinot's controller against a ZooKeeper without the chroot, and the example's
Job script with `zkCli.sh` standing for the image's (ZooKeeperMain of the image's ZooKeeper release,
from `zookeeper-pom.xml`), against a ZooKeeper here.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from .ensemble_harness import CLASSPATH_FILE as ZOOKEEPER_CLASSPATH
from .harness import (
    PinotStartError,
    PortAllocator,
    java_binary,
    load_classpath,
    running_cluster,
    start_zookeeper,
    stop_processes,
    wait_until,
    zk_exists,
    zk_ok,
)
from .overlay import LOOPBACK
from .role_configs import EXTERNAL_CHROOT, load_example, render_cluster, with_external_zookeeper

ROOT = Path(__file__).resolve().parents[2]
ZKCLI = """#!/usr/bin/env bash
# Stands in for the image's zkCli.sh: ZooKeeperMain with the arguments given.
exec "$ZK_JAVA" -Xmx64m -cp "$ZK_CLASSPATH" org.apache.zookeeper.ZooKeeperMain "$@"
"""


def chroot_job() -> dict[str, Any]:
    documents = yaml.safe_load_all((ROOT / "examples" / "zookeeper-dev.yaml").read_text())
    return next(
        d for d in documents if d and d["kind"] == "Job" and d["metadata"]["name"] == "zookeeper-chroot"
    )


def test_the_controller_does_not_start_on_a_chroot_nobody_created(tmp_path: Path) -> None:
    rendered = render_cluster(with_external_zookeeper(load_example()))
    with pytest.raises(PinotStartError) as refused, running_cluster(rendered, tmp_path, timeout=120):
        pass
    assert "controller failed to start" in str(refused.value)
    assert "NoNode" in str(refused.value), str(refused.value)[-2000:]


def test_the_dev_zookeepers_job_creates_the_chroot_and_finds_it_the_next_time(tmp_path: Path) -> None:
    port = PortAllocator().take()
    zookeeper = start_zookeeper(tmp_path / "zookeeper", port, load_classpath())
    try:
        wait_until({"zookeeper": (zookeeper, lambda: zk_ok(port))}, 60, print)
        (container,) = chroot_job()["spec"]["template"]["spec"]["containers"]
        shims = tmp_path / "bin"
        shims.mkdir()
        (shims / "zkCli.sh").write_text(ZKCLI, encoding="utf-8")
        (shims / "zkCli.sh").chmod(0o755)
        env = {e["name"]: e["value"] for e in container["env"]}
        assert env["CHROOT"] == EXTERNAL_CHROOT  # the one the heterogeneous example names
        env |= {
            "ZK_SERVER": f"{LOOPBACK}:{port}",
            "PATH": f"{shims}{os.pathsep}{os.environ.get('PATH', '')}",
            "ZK_JAVA": java_binary(),
            "ZK_CLASSPATH": load_classpath(ZOOKEEPER_CLASSPATH),
        }
        assert not zk_exists(port, EXTERNAL_CHROOT)
        for _ in range(2):  # created, then found (a Job run again, or a chroot made by hand)
            done = subprocess.run(
                [*container["command"], *container["args"]],
                env=env,
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )
            assert done.returncode == 0, done.stdout + done.stderr
            assert f"{EXTERNAL_CHROOT} exists on {LOOPBACK}:{port}" in done.stdout
            assert zk_exists(port, EXTERNAL_CHROOT)
    finally:
        stop_processes([zookeeper], log=print)
