"""The auth cluster: the minimal example with Pinot's basic auth set in the controller pool's properties.

The keys are the ones Pinot's Helm chart writes for ``pinotAuth`` (pinot-operations.md §1, §2 "Auth"),
given as ``spec.pools[controller].pinot.properties`` of the PinotCluster, so the hooks render them
into ``pinot-controller.conf``. Two principals: ``admin`` (every permission) and ``reader`` (READ).
The Jobs log in as the Secret named by the cluster's ``spec.auth.secretRef`` says.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ..conftest import booted, job_runner, report_jobs, rest_client
from ..harness import Cluster
from ..jobs import SECRET_NAME, JobRunner
from ..overlay import RenderedRole, Role
from ..rest import PinotRest
from ..role_configs import load_example, render_cluster, with_external_zookeeper, with_pool_properties
from .principals import ADMIN, AUTH_PROPERTIES, secret


@pytest.fixture(scope="package")
def rendered() -> dict[Role, RenderedRole]:
    # On an external ZooKeeper with a chroot (the harness creates it, as whoever runs that ZooKeeper must).
    cluster = with_pool_properties(with_external_zookeeper(load_example()), "controller", AUTH_PROPERTIES)
    cluster["spec"]["auth"] = {"secretRef": {"name": SECRET_NAME}}
    return render_cluster(cluster)


@pytest.fixture(scope="package")
def pinot(rendered: dict[Role, RenderedRole], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    with booted("auth", rendered, tmp_path_factory.mktemp("pinot-auth")) as cluster:
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
    runner = job_runner(pinot, tmp_path_factory.mktemp("jobs-auth"), secret(ADMIN), SECRET_NAME)
    yield runner
    report_jobs("auth", runner)
