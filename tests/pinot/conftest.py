"""Session fixture: one real Pinot cluster (ZooKeeper, controller, broker, server, minion) for tests/pinot.

Use it as ``def test_x(pinot_cluster: Cluster) -> None`` and talk to ``pinot_cluster.controller_url``.
The configs come from :func:`role_configs.render_role`. If Pinot cannot start, the fixture raises and
the tests fail (they are never skipped). Logs and configs stay under pytest's base temp dir.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .harness import Cluster, running_cluster
from .role_configs import render_role

_REPORT: list[str] = []


def _log(line: str) -> None:
    _REPORT.append(line)
    print(line, flush=True)


@pytest.fixture(scope="session")
def pinot_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    workdir = tmp_path_factory.mktemp("pinot")
    with running_cluster(render_role, workdir, log=_log) as cluster:
        yield cluster
        rss = cluster.rss_mib()
        total = sum(rss.values())
        _log("pinot: RSS MiB " + ", ".join(f"{n} {v:.0f}" for n, v in rss.items()) + f"; total {total:.0f}")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _REPORT:
        terminalreporter.section("pinot cluster")
        for line in _REPORT:
            terminalreporter.write_line(line)
