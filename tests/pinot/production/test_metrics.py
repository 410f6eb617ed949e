"""``spec.metrics``: the JMX exporter agent started from the rendered JAVA_OPTS and rules answers on
the metrics port of every role with Pinot's own metrics (after the other tests made some traffic)."""

from __future__ import annotations

import httpx
import pytest

from ..harness import Cluster
from ..overlay import ROLES, Role


def metric_names(text: str) -> set[str]:
    return {line.split("{", 1)[0].split(" ", 1)[0] for line in text.splitlines() if line and line[0] != "#"}


@pytest.mark.parametrize("role", ROLES)
def test_the_metrics_port_answers_with_pinot_metrics(pinot: Cluster, role: Role) -> None:
    overlaid = pinot.roles[role]
    assert overlaid.metrics_port is not None
    answer = httpx.get(f"http://127.0.0.1:{overlaid.metrics_port}/metrics", timeout=30)
    assert answer.status_code == 200
    names = metric_names(answer.text)
    pinot_names = sorted(name for name in names if name.startswith(f"pinot_{role}_"))
    assert pinot_names, sorted(names)[:50]
    assert any(name.startswith("jvm_") for name in names)
    print(f"{role}: {len(pinot_names)} Pinot metrics, e.g. {pinot_names[:5]}")


def test_table_metrics_carry_the_table_as_a_label(pinot: Cluster) -> None:
    answer = httpx.get(f"http://127.0.0.1:{pinot.roles['server'].metrics_port}/metrics", timeout=30)
    labelled = [line for line in answer.text.splitlines() if 'table="shared"' in line]
    assert labelled and all('tableType="OFFLINE"' in line for line in labelled if "tableType" in line)
