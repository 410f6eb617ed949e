"""The membership cluster: a controller, a broker and two server pools of different tenants, run as
processes by `driver.HookDriver` from what the PinotCluster hook answers, round after round."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from ..conftest import log
from ..harness import empty_stream_classes, load_classpath
from ..jobs import JobRunner
from .driver import HookDriver

SERVER_PROPERTIES = {
    # Several servers share this machine: each gets its own gRPC port (the overlay hands out a free one).
    "pinot.server.grpc.port": "8090",
    # A stopping server drains its queries this long (then Kubernetes' grace period would end it).
    "pinot.server.shutdown.timeoutMs": "10000",
}


def server_pool(name: str, tenant: str, replicas: int = 1) -> dict[str, Any]:
    return {
        "name": name,
        "role": "server",
        "replicas": replicas,
        "tenant": tenant,
        "pinot": {"properties": dict(SERVER_PROPERTIES)},
    }


CLUSTER: dict[str, Any] = {
    "apiVersion": "pinot.controlplane.dev/v1alpha1",
    "kind": "PinotCluster",
    "metadata": {"name": "pinot"},
    "spec": {
        "image": "apachepinot/pinot:1.3.0",
        "zookeeper": {"address": "zookeeper.zookeeper.svc.cluster.local:2181/pinot"},
        "pools": [
            {"name": "controller", "role": "controller"},
            {"name": "brokers", "role": "broker"},
            server_pool("hot", "hot"),
            server_pool("cold", "cold"),
        ],
    },
}


@pytest.fixture(scope="package")
def classpath() -> str:
    found = load_classpath()
    return found + ":" + str(empty_stream_classes(found, log))


@pytest.fixture(scope="package")
def driver(classpath: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[HookDriver]:
    workdir = tmp_path_factory.mktemp("pinot-membership")
    with HookDriver.running(CLUSTER, workdir, classpath, log) as running:
        yield running
        failures = [
            f"{p.name}: exit {p.process.popen.poll()}\n{p.process.log_tail()}"
            for p in running.pods.values()
            if not p.process.alive()
        ]
        assert not failures, "a Pinot process died during the tests:\n" + "\n\n".join(failures)


@pytest.fixture(scope="package")
def jobs(driver: HookDriver, tmp_path_factory: pytest.TempPathFactory) -> JobRunner:
    driver.ready()
    return JobRunner(driver.controller_url, tmp_path_factory.mktemp("jobs-membership"))
