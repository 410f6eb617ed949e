"""The production cluster: the minimal example with the production settings of the spec turned on.

- ``spec.auth.basic``: Pinot's basic auth on controller and broker, an admin and a read-only
  principal; every password reaches Pinot only through the environment (``secretKeyRef`` values,
  resolved here from :data:`principals.SECRETS`), and the internal token through the file the
  rendered init container writes.
- ``spec.deepStore``: a ``file://`` deep store on a volume shared by two controller replicas (here
  one directory both processes use, as an RWX volume would be), so that either controller serves
  every segment.
- ``spec.metrics``: the JMX exporter agent (from Maven Central) with the rendered rules.

The Jobs log in as the Secret named by the cluster's ``spec.auth.secretRef`` says.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from ..conftest import booted, job_runner, report_jobs, rest_client
from ..harness import Cluster
from ..jobs import SECRET_NAME, JobRunner
from ..overlay import RenderedRole, Role
from ..rest import PinotRest
from ..role_configs import EXTERNAL_CHROOT, load_example, render_cluster, with_external_zookeeper
from .principals import ADMIN, AUTH, SECRETS, secret

DEEP_STORE = {
    "uri": "file:///mnt/pinot-deepstore/segments",
    "volume": {"persistentVolumeClaim": {"claimName": "pinot-deepstore"}},
}


def production_cluster() -> dict[str, Any]:
    # On an external ZooKeeper with a chroot, which whoever runs that ZooKeeper has created (`pinot`).
    cluster = with_external_zookeeper(load_example())
    spec = cluster["spec"]
    spec["auth"] = AUTH
    spec["deepStore"] = DEEP_STORE
    spec["metrics"] = {"enabled": True}
    next(pool for pool in spec["pools"] if pool["role"] == "controller")["replicas"] = 2
    return cluster


@pytest.fixture(scope="package")
def rendered() -> dict[Role, RenderedRole]:
    return render_cluster(production_cluster())


@pytest.fixture(scope="package")
def pinot(rendered: dict[Role, RenderedRole], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    workdir = tmp_path_factory.mktemp("pinot-production")
    # The chroot exists, as README requires of an external ZooKeeper (zookeeper-dev.yaml's Job).
    with booted("production", rendered, workdir, secrets=SECRETS, chroots=[EXTERNAL_CHROOT]) as cluster:
        yield cluster


@pytest.fixture(scope="package")
def rest(pinot: Cluster) -> Iterator[PinotRest]:
    """Reads back as the admin."""
    client = rest_client(pinot, ADMIN)
    yield client
    client.close()


@pytest.fixture(scope="package")
def jobs(pinot: Cluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[JobRunner]:
    """Jobs whose cluster names the admin Secret, as the hooks render them."""
    runner = job_runner(pinot, tmp_path_factory.mktemp("jobs-production"), secret(ADMIN), SECRET_NAME)
    yield runner
    report_jobs("production", runner)
