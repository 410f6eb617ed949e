"""The ensemble cluster: the minimal example with a three-server managed ZooKeeper, as the hooks render it.

The three ZooKeeper servers run from the rendered ``zoo.cfg``, start script and probes (``ensemble_overlay``
lists the only changes); Pinot runs from the rendered pools, given the ensemble's servers as they run here.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest

from hooks.render import render_children

from ..conftest import booted, job_runner, log, report_jobs, rest_client
from ..ensemble_harness import LocalEnsemble, running_ensemble
from ..ensemble_overlay import RenderedEnsemble, render_ensemble
from ..harness import Cluster, PortAllocator
from ..jobs import JobRunner
from ..overlay import RenderedRole, Role
from ..rest import PinotRest
from ..role_configs import load_example, render_cluster


@pytest.fixture(scope="package")
def document() -> dict[str, Any]:
    cluster = load_example()
    cluster["spec"]["zookeeper"] = {"managed": {"replicas": 3}}
    return cluster


@pytest.fixture(scope="package")
def children(document: dict[str, Any]) -> list[dict[str, Any]]:
    found, status = render_children(copy.deepcopy(document), ready=True)
    assert next(c for c in status["conditions"] if c["type"] == "Ready")["status"] == "True"
    return found


@pytest.fixture(scope="package")
def rendered_ensemble(children: list[dict[str, Any]]) -> RenderedEnsemble:
    return render_ensemble(children)


@pytest.fixture(scope="package")
def rendered(document: dict[str, Any]) -> dict[Role, RenderedRole]:
    return render_cluster(document)


@pytest.fixture(scope="package")
def ensemble(
    rendered_ensemble: RenderedEnsemble, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LocalEnsemble]:
    workdir = tmp_path_factory.mktemp("zookeeper-ensemble")
    with running_ensemble(rendered_ensemble, workdir, PortAllocator(), log=log) as running:
        yield running


@pytest.fixture(scope="package")
def pinot(
    rendered: dict[Role, RenderedRole], ensemble: LocalEnsemble, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Cluster]:
    workdir = tmp_path_factory.mktemp("pinot-ensemble")
    with booted("ensemble", rendered, workdir, zookeeper=ensemble.connect) as cluster:
        yield cluster


@pytest.fixture(scope="package")
def rest(pinot: Cluster) -> Iterator[PinotRest]:
    client = rest_client(pinot)
    yield client
    client.close()


@pytest.fixture(scope="package")
def jobs(pinot: Cluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[JobRunner]:
    runner = job_runner(pinot, tmp_path_factory.mktemp("jobs-ensemble"))
    yield runner
    report_jobs("ensemble", runner)
