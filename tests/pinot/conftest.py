"""Shared set-up of the real-Pinot tests: booting a cluster from rendered configs, and where time goes.

Two clusters are booted, one after the other, each by a package-scoped fixture: ``plain/`` (the
minimal example as rendered) and ``production/`` (the same with the spec's production settings on:
basic auth, a deep store shared by two controllers, metrics). A package fixture is torn down when
its package's tests are done, so at most one cluster runs at a time. If Pinot cannot start, the
fixture raises and the tests fail (they are never skipped). Logs, configs and data stay under
pytest's base temp dir.

The summary at the end ("pinot cluster") lists per-phase timings: rendering, each process's start-up,
the tests of each module, Job runs, tear-down, and the resident memory of every process.
"""

from __future__ import annotations

import contextlib
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

import pytest

from .harness import Cluster, running_cluster
from .jobs import JobRunner
from .overlay import RenderedRole, Role
from .rest import PinotRest

_REPORT: list[str] = []
_PHASES: dict[str, float] = defaultdict(float)
_STARTED = time.monotonic()


def log(line: str) -> None:
    _REPORT.append(line)
    print(line, flush=True)


@contextlib.contextmanager
def booted(
    name: str,
    rendered: Mapping[Role, RenderedRole],
    workdir: Path,
    zookeeper: str | None = None,
    secrets: Mapping[str, Mapping[str, str]] | None = None,
    chroots: Iterable[str] = (),
) -> Iterator[Cluster]:
    """Run the cluster for one package, logging start-up, memory and tear-down under ``name``
    (on the ZooKeeper ``zookeeper`` names, when given, with the znodes ``chroots`` created first: see
    ``harness.running_cluster``). ``secrets`` are the Kubernetes Secrets the pods' ``secretKeyRef``
    values come from."""

    def tagged(line: str) -> None:
        log(line.replace("pinot:", f"pinot[{name}]:", 1))

    with running_cluster(
        rendered, workdir, log=tagged, zookeeper=zookeeper, secrets=secrets, chroots=chroots
    ) as cluster:
        yield cluster
        rss = cluster.rss_mib()
        total = sum(rss.values())
        tagged("pinot: RSS MiB " + ", ".join(f"{n} {v:.0f}" for n, v in rss.items()) + f"; total {total:.0f}")
        failures = cluster.failures()
        assert not failures, "a Pinot process died during the tests:\n" + "\n\n".join(failures)


def job_runner(
    cluster: Cluster, workdir: Path, secrets: Mapping[str, Mapping[str, str]] | None = None, secret: str = ""
) -> JobRunner:
    return JobRunner(cluster.controller_url, workdir, secrets, secret)


def report_jobs(name: str, runner: JobRunner) -> None:
    line = f"pinot[{name}]: {runner.count} Job runs took {runner.seconds:.1f}s"
    if runner.slowest is not None:
        slowest = runner.slowest
        line += f"; slowest {slowest.seconds:.1f}s: {' '.join(slowest.argv[:2])} -> {slowest.reason}"
    log(line)


def rest_client(cluster: Cluster, auth: tuple[str, str] | None = None) -> PinotRest:
    return PinotRest(cluster.controller_url, auth)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    module = report.nodeid.split("::", 1)[0]
    _PHASES[f"{module} ({report.when})"] += report.duration


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not _REPORT and not _PHASES:
        return
    terminalreporter.section("pinot cluster")
    for line in _REPORT:
        terminalreporter.write_line(line)
    for phase, seconds in _PHASES.items():
        if seconds >= 0.05:
            terminalreporter.write_line(f"pinot: {seconds:6.1f}s  {phase}")
    terminalreporter.write_line(f"pinot: {time.monotonic() - _STARTED:6.1f}s  whole session")
