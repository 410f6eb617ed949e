"""Three real ZooKeeper servers as a managed ensemble, Pinot on it, a server stopped and a rollout.

The tests run in file order on one Pinot cluster and one ensemble.
"""

from __future__ import annotations

import itertools
import time
from pathlib import Path
from typing import Any

import httpx

from ..conftest import log
from ..documents import offline_table, schema, schema_spec, table_spec
from ..ensemble_harness import LocalEnsemble
from ..ensemble_overlay import RenderedEnsemble, ensemble_violations
from ..harness import Cluster, zk_exists
from ..jobs import JobRunner
from ..overlay import parse_properties
from ..rest import PinotRest

TABLE = "visits"


def query(pinot: Cluster, sql: str, routing_wait: float = 0.0) -> dict[str, Any]:
    """A query through the broker, which must answer without exceptions. On a table just created,
    `routing_wait` seconds for the broker to build its routing from ZooKeeper (a moment after the
    controller has answered): it says BrokerResourceMissingError until then."""
    deadline = time.monotonic() + routing_wait
    answer = httpx.post(f"{pinot.broker_url}/query/sql", json={"sql": sql}, timeout=30)
    while "BrokerResourceMissing" in answer.text and time.monotonic() < deadline:
        time.sleep(0.5)
        answer = httpx.post(f"{pinot.broker_url}/query/sql", json={"sql": sql}, timeout=30)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    assert body.get("exceptions") == [], body
    return body


def wait_for_quorum(ensemble: LocalEnsemble, ordinals: list[int], timeout: float = 60.0) -> int:
    """The leader once every server of ``ordinals`` is ready again."""
    ensemble.wait_ready(ordinals, timeout)
    deadline = time.monotonic() + timeout
    while (leader := ensemble.leader()) is None:
        assert time.monotonic() < deadline, "no single leader"
        time.sleep(0.25)
    return leader


def test_each_server_runs_the_rendered_config_with_its_own_id(
    ensemble: LocalEnsemble, rendered_ensemble: RenderedEnsemble
) -> None:
    assert rendered_ensemble.replicas == 3
    assert ensemble_violations(rendered_ensemble, ensemble.servers) == []
    for server in ensemble.servers:
        # Written by the rendered script from the pod's name: server.<ordinal + 1> of zoo.cfg.
        assert (server.data_dir / "myid").read_text().strip() == str(server.ordinal + 1)
        assert (server.conf_dir / "zoo.cfg").read_text() == server.zoo_cfg
        assert parse_properties(server.zoo_cfg)[f"server.{server.ordinal + 1}"].endswith(
            f";{server.client_port}"
        )
        assert ensemble.probe(server.ordinal, "liveness")
    assert sorted(ensemble.mode(n) for n in range(3)) == ["follower", "follower", "leader"]


def test_pinot_runs_on_the_ensemble(
    pinot: Cluster, ensemble: LocalEnsemble, rest: PinotRest, jobs: JobRunner
) -> None:
    controller = parse_properties(pinot.roles["controller"].conf_text)
    assert controller["controller.zk.str"] == ensemble.connect  # every server, no chroot
    name = controller["controller.helix.cluster.name"]
    assert rest.json("/cluster/info") == {"clusterName": name}
    for server in ensemble.servers:
        assert zk_exists(server.client_port, f"/{name}/CONFIGS")  # on every server of the quorum
    assert jobs.apply("schema", schema_spec(schema(TABLE))).reason == "Created"
    assert jobs.apply("table", table_spec(offline_table(TABLE))).reason == "Created"
    # No segments yet: answered, nothing scanned.
    answer = query(pinot, f"SELECT COUNT(*) FROM {TABLE}", routing_wait=30)
    assert answer["numDocsScanned"] == 0


def test_pinot_keeps_working_with_the_leader_stopped(
    pinot: Cluster, ensemble: LocalEnsemble, jobs: JobRunner, rest: PinotRest
) -> None:
    leader = wait_for_quorum(ensemble, [0, 1, 2])
    ensemble.stop(leader)
    rest_of = [n for n in range(3) if n != leader]
    new_leader = wait_for_quorum(ensemble, rest_of)
    assert new_leader != leader

    query(pinot, f"SELECT COUNT(*) FROM {TABLE}")
    written = jobs.apply("schema", schema_spec(schema("clicks")))
    assert (written.exit_code, written.reason) == (0, "Created"), written
    assert rest.schema("clicks") is not None

    ensemble.start(leader)
    assert wait_for_quorum(ensemble, [0, 1, 2]) == new_leader  # it rejoins as a follower
    assert ensemble.mode(leader) == "follower"
    assert zk_exists(
        ensemble.servers[leader].client_port, "/" + _cluster(pinot) + "/PROPERTYSTORE/SCHEMAS/clicks"
    )


def test_a_rollout_in_statefulset_order_keeps_pinot_up_with_at_most_two_elections(
    pinot: Cluster, ensemble: LocalEnsemble, jobs: JobRunner
) -> None:
    """The StatefulSet replaces servers from the highest ordinal down, each once the one before is ready
    again plus minReadySeconds (hooks.cluster.ensemble). Elections prefer the highest id, which grows with
    the ordinal: the servers replaced first are those preferred next."""
    min_ready = 10  # the rendered minReadySeconds
    leaders = [wait_for_quorum(ensemble, [0, 1, 2])]
    for ordinal in (2, 1, 0):
        ensemble.stop(ordinal)
        ensemble.start(ordinal)
        leaders.append(wait_for_quorum(ensemble, [0, 1, 2]))
        query(pinot, f"SELECT COUNT(*) FROM {TABLE}")
        time.sleep(min_ready)
    elections = sum(1 for before, after in itertools.pairwise(leaders) if before != after)
    log(f"pinot[ensemble]: leaders (ordinals) during the rollout {leaders}: {elections} election(s)")
    assert elections <= 2
    written = jobs.apply("schema", schema_spec(schema("views")))
    assert (written.exit_code, written.reason) == (0, "Created"), written


def _cluster(pinot: Cluster) -> str:
    return parse_properties(pinot.roles["controller"].conf_text)["controller.helix.cluster.name"]


def test_the_servers_logged_no_startup_error(ensemble: LocalEnsemble) -> None:
    for process in ensemble.processes.values():
        text = Path(process.log_path).read_text(encoding="utf-8", errors="replace")
        assert "Invalid config" not in text and "ConfigException" not in text, process.log_tail()
