"""The plain cluster: ``examples/cluster-minimal.yaml`` exactly as the hooks render it (plus the overlay)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ..conftest import booted, job_runner, report_jobs, rest_client
from ..harness import Cluster
from ..jobs import JobRunner
from ..overlay import RenderedRole, Role
from ..rest import PinotRest
from ..role_configs import render_cluster


@pytest.fixture(scope="package")
def rendered() -> dict[Role, RenderedRole]:
    return render_cluster()


@pytest.fixture(scope="package")
def pinot(rendered: dict[Role, RenderedRole], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    with booted("plain", rendered, tmp_path_factory.mktemp("pinot-plain")) as cluster:
        yield cluster


@pytest.fixture(scope="package")
def rest(pinot: Cluster) -> Iterator[PinotRest]:
    client = rest_client(pinot)
    yield client
    client.close()


@pytest.fixture(scope="package")
def jobs(pinot: Cluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[JobRunner]:
    runner = job_runner(pinot, tmp_path_factory.mktemp("jobs-plain"))
    yield runner
    report_jobs("plain", runner)
