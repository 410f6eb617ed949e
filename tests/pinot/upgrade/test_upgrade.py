"""Pinot 0.11.0 -> 1.3.0 -> 0.11.0 on real processes, in the order and with the steps the product plans.

The sync hook itself plans every step: its answers go to :class:`fleet.Fleet`, which runs them as the
StatefulSet controller would (pods started from the configs the hook rendered, one at a time), and
reports back what runs; the loop ends when the cluster is Ready at the new generation. The cluster:
one controller, two brokers, three servers, and an OFFLINE table with replication 2, queried through
the brokers the whole time. Every answer must be full (the count, no exceptions, every queried server
responded), going up (servers prepared with DataTable v4 first, then controller, brokers, servers) and
coming back down (servers, brokers, controller). A control runs the same upgrade with that known step
skipped, and must see answers lost.

Needs Pinot 1.3.0 built by ``../shared/tools/pinot-1x.sh`` (``PINOT1X_CACHE``) and 0.11.0 from
``make pinot-deps``: ``make test-upgrade``. The summary ("pinot cluster") prints the timings.
"""

from __future__ import annotations

import copy
import json
import statistics
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from hooks.cluster.sync import sync_cluster
from hooks.cluster.upgrade import ALLOW_JUMP_ANNOTATION, SKIP_STEPS_ANNOTATION
from hooks.contract import HookRequest
from tests.cluster.builders import request_body

from ..conftest import log
from ..harness import (
    PortAllocator,
    java_command,
    start_zookeeper,
    stop_processes,
    versioned_classpath,
    wait_until,
    zk_ensure_path,
    zk_ok,
)
from .fleet import Fleet
from .queries import Answer, QueryLoop

JsonObject = dict[str, Any]
OLD, NEW = "0.11.0", "1.3.0"
TABLE = "events"
SEGMENTS, ROWS = 6, 50
ZK_CHROOT = "/pinot"
UP = ["PreparingServers", "UpgradingControllers", "UpgradingBrokers", "UpgradingServers"]
DOWN = ["RollingBackServers", "RollingBackBrokers", "RollingBackControllers"]


def cluster(zk_port: int) -> JsonObject:
    return {
        "apiVersion": "pinot.controlplane.dev/v1alpha1",
        "kind": "PinotCluster",
        "metadata": {
            "name": "pinot",
            "namespace": "default",
            "uid": "uid-upgrade",
            "generation": 1,
            # 0.11 and 1.3 are four release lines apart: the jump is forced, the known steps apply.
            "annotations": {ALLOW_JUMP_ANNOTATION: "true"},
        },
        "spec": {
            "image": f"apachepinot/pinot:{OLD}",
            "zookeeper": {"address": f"127.0.0.1:{zk_port}{ZK_CHROOT}"},
            "pools": [
                {"name": "controllers", "role": "controller"},
                {"name": "brokers", "role": "broker", "replicas": 2},
                # Pinot's default gRPC port, written out so that each server on this one host gets its own.
                {
                    "name": "servers",
                    "role": "server",
                    "replicas": 3,
                    "pinot": {"properties": {"pinot.server.grpc.port": "8090"}},
                },
            ],
        },
    }


class Driver:
    """Metacontroller's part: sync the PinotCluster with what the fleet runs and the Pods of the Jobs it
    ran, apply the answer, let the fleet act, again, until the cluster is Ready at its generation.
    Records when each phase began."""

    def __init__(self, parent: JsonObject, fleet: Fleet) -> None:
        self.parent = parent
        self.fleet = fleet
        self.phases: list[tuple[str, float]] = []

    def sync(self) -> JsonObject:
        observed = {**request_body(self.parent, self.fleet.observed()), "related": self.fleet.related()}
        body = sync_cluster(HookRequest.model_validate(observed), datetime.now(UTC)).body
        generation = self.parent["metadata"]["generation"]
        self.parent["status"] = {**body["status"], "observedGeneration": generation}
        self.fleet.apply(body["children"])
        progressing = self.condition("Progressing")
        reason = progressing["reason"]
        if not self.phases or self.phases[-1][0] != reason:
            self.phases.append((reason, time.monotonic()))
            log(f"pinot[upgrade]: {reason}: {progressing['message'][:200]}")
        return body

    def condition(self, kind: str) -> JsonObject:
        found: JsonObject = next(c for c in self.parent["status"]["conditions"] if c["type"] == kind)
        return found

    def run(self, timeout: float = 3600.0) -> list[tuple[str, float]]:
        """Until Ready; returns the phases this run went through and how long each took."""
        began, first = time.monotonic(), len(self.phases)
        idle = 0
        while True:
            self.sync()
            ready = self.condition("Ready")["status"] == "True"
            acted = self.fleet.step()
            if ready and not acted:
                break
            idle = 0 if acted else idle + 1
            assert idle < 5, f"nothing moves and the cluster is not Ready: {self.parent['status']}"
            assert not self.fleet.failures(), self.fleet.failures()
            assert time.monotonic() - began < timeout, self.parent["status"]
        ends = [at for _, at in self.phases[first + 1 :]] + [time.monotonic()]
        return [(reason, end - at) for (reason, at), end in zip(self.phases[first:], ends, strict=True)]

    def change(self, **spec: Any) -> None:
        self.parent["spec"] = {**self.parent["spec"], **copy.deepcopy(spec)}
        self.parent["metadata"]["generation"] += 1


def admin(version: str, workdir: Path, *args: str) -> None:
    """A PinotAdministrator command of ``version``, which must succeed."""
    command = java_command(versioned_classpath(version), ["-Dpinot.admin.system.exit=true", "-Xmx512m"], args)
    done = subprocess.run(command, cwd=workdir, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, (
        f"{args[0]} failed ({done.returncode}):\n{done.stdout[-3000:]}{done.stderr[-3000:]}"
    )


def create_table(controller: str, workdir: Path) -> int:
    """An OFFLINE table with replication 2 and SEGMENTS segments of ROWS rows; returns the row count."""
    host, port = controller.removeprefix("http://").split(":")
    schema = {
        "schemaName": TABLE,
        "dimensionFieldSpecs": [{"name": "id", "dataType": "INT"}, {"name": "city", "dataType": "STRING"}],
        "metricFieldSpecs": [{"name": "v", "dataType": "LONG"}],
    }
    table = {
        "tableName": TABLE,
        "tableType": "OFFLINE",
        "segmentsConfig": {"replication": "2", "schemaName": TABLE},
        "tenants": {"broker": "DefaultTenant", "server": "DefaultTenant"},
        "tableIndexConfig": {},
        "metadata": {},
    }
    (workdir / "schema.json").write_text(json.dumps(schema), encoding="utf-8")
    (workdir / "table.json").write_text(json.dumps(table), encoding="utf-8")
    data = workdir / "data"
    data.mkdir()
    for part in range(SEGMENTS):
        rows = [f"{part * ROWS + i},city{i % 7},{i}" for i in range(ROWS)]
        (data / f"part-{part}.csv").write_text("id,city,v\n" + "\n".join(rows) + "\n", encoding="utf-8")
    where = ["-controllerHost", host, "-controllerPort", port]
    files = ["-tableConfigFile", "table.json", "-schemaFile", "schema.json"]
    admin(OLD, workdir, "AddTable", *files, *where, "-exec")
    creating = ["-dataDir", "data", "-format", "CSV", "-outDir", "segments", "-overwrite"]
    admin(OLD, workdir, "CreateSegment", *creating, *files)
    admin(OLD, workdir, "UploadSegment", *where, "-segmentDir", "segments", "-tableName", TABLE)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        view = httpx.get(f"{controller}/tables/{TABLE}/externalview", params={"tableType": "offline"}).json()
        segments = (view.get("OFFLINE") or {}) if isinstance(view, dict) else {}
        online = [s for s in segments.values() if list(s.values()).count("ONLINE") == 2]
        if len(segments) == SEGMENTS and len(online) == SEGMENTS:
            return SEGMENTS * ROWS
        time.sleep(1)
    raise AssertionError(f"segments not ONLINE twice within 120 s: {view}")


@pytest.fixture
def zookeeper(tmp_path: Path) -> Iterator[int]:
    port = PortAllocator().take()
    process = start_zookeeper(tmp_path / "zookeeper", port, versioned_classpath(OLD))
    try:
        wait_until({"zookeeper": (process, lambda: zk_ok(port))}, 120, log)
        zk_ensure_path(port, ZK_CHROOT)
        yield port
    finally:
        stop_processes([process], log=log)


@dataclass
class Rig:
    """The cluster installed at 0.11.0 by the hook, its table, and the query loop running."""

    driver: Driver
    fleet: Fleet
    queries: QueryLoop
    expected: int

    def roll(self, version: str) -> list[tuple[str, float]]:
        """Change the image to ``version`` and let the hook carry it out; the phases and their seconds."""
        self.driver.change(image=f"apachepinot/pinot:{version}")
        phases = self.driver.run()
        assert set(self.fleet.versions().values()) == {version}
        time.sleep(5)  # queries against the settled cluster too
        return phases

    def missed(self, since: int = 0) -> list[Answer]:
        return [a for a in self.queries.answers[since:] if not a.full(self.expected)]


@pytest.fixture
def rig(zookeeper: int, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Rig]:
    versioned_classpath(NEW)  # fail at once, saying what to build, when 1.3.0 is not there
    fleet = Fleet(tmp_path / "pods", zookeeper, log=log)
    parent = cluster(zookeeper)
    parent["metadata"]["annotations"].update(getattr(request, "param", {}))
    driver = Driver(parent, fleet)
    queries = QueryLoop(f"SELECT COUNT(*) FROM {TABLE}")
    fleet.endpoints_changed = lambda: setattr(
        queries, "endpoints", tuple(p.overlaid.base_url for p in fleet.ready_pods("broker"))
    )
    try:
        installed = driver.run()
        log(f"pinot[upgrade]: installed {OLD} in {sum(s for _, s in installed):.0f}s: {fleet.versions()}")
        expected = create_table(fleet.url("controller"), tmp_path)
        fleet.endpoints_changed()
        queries.start()
        time.sleep(5)
        yield Rig(driver, fleet, queries, expected)
    finally:
        queries.stop()
        fleet.stop()


def test_up_to_1_3_and_back_to_0_11_answers_every_query_in_full(rig: Rig) -> None:
    up = rig.roll(NEW)
    mark = len(rig.queries.answers)
    down = rig.roll(OLD)

    report({"0.11.0 -> 1.3.0": up, "1.3.0 -> 0.11.0": down}, rig, mark)
    assert [reason for reason, _ in up[:-1]] == UP
    assert [reason for reason, _ in down[:-1]] == DOWN
    missed = rig.missed()
    assert not missed, f"{len(missed)} of {len(rig.queries.answers)} answers not full: {missed[:5]}"
    assert mark > 50 and len(rig.queries.answers) - mark > 50, "too few queries ran during a roll"


@pytest.mark.parametrize("rig", [{SKIP_STEPS_ANNOTATION: "datatable-v4"}], indirect=True, ids=["skipped"])
def test_without_the_known_step_the_same_upgrade_loses_answers(rig: Rig) -> None:
    """The control: the query loop does see what the known step prevents."""
    up = rig.roll(NEW)

    report({"0.11.0 -> 1.3.0 without datatable-v4": up}, rig, len(rig.queries.answers))
    assert [reason for reason, _ in up[:-1]] == UP[1:]
    missed = rig.missed()
    assert missed, "every answer was full although 1.3.0 brokers met servers sending DataTable v3"
    assert all(a.count != rig.expected or a.exceptions or a.responded < a.queried for a in missed)


def report(rolls: dict[str, list[tuple[str, float]]], rig: Rig, mark: int) -> None:
    for name, phases in rolls.items():
        total = sum(seconds for _, seconds in phases)
        parts = ", ".join(f"{reason} {seconds:.0f}s" for reason, seconds in phases)
        log(f"pinot[upgrade]: {name} took {total:.0f} s: {parts}")
    for event in rig.fleet.events:
        if event.before:
            log(
                f"pinot[upgrade]: restart {event.pod} {event.before} -> {event.after}: "
                f"stop {event.stop_seconds:.1f}s, ready {event.start_seconds:.1f}s"
            )
    answers = rig.queries.answers
    for name, part in (("first roll", answers[:mark]), ("second roll", answers[mark:])):
        if not part:
            continue
        full = sum(a.full(rig.expected) for a in part)
        millis = sorted(a.millis for a in part)
        log(
            f"pinot[upgrade]: queries in the {name}: {full} of {len(part)} full; "
            f"median {statistics.median(millis):.0f} ms, max {millis[-1]:.0f} ms"
        )
        for answer in [a for a in part if not a.full(rig.expected)][:3]:
            log(f"pinot[upgrade]:   e.g. {answer}")
