"""`pinot-control-plane membership`: tag, rebalance, drain and drop a pool's instances, on 0.11 and 1.3.

Run in-process exactly as the console script parses it, against the fake controller, whose clock moves
only when the command sleeps.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from hooks.pinotapi.assignment import TableBinding
from hooks.pinotapi.client import PinotController
from hooks.pinotapi.command import main
from hooks.pinotapi.instances import PoolIdentity
from hooks.pinotapi.outcome import Outcome
from hooks.pinotapi.rebalance import Waiter, rebalance_table
from tests.support.fake_pinot import FakePinot

URL = "http://pinot-controller.analytics.svc:9000"
NAMESPACE = "analytics"
DOMAIN = ".cluster.local"
PORTS = {"Server": 8098, "Broker": 8099, "Minion": 9514}


def instance(pool: str, ordinal: int, role: str = "Server", domain: str = DOMAIN) -> str:
    host = f"pinot-{pool}-{ordinal}.pinot-{pool}-headless.{NAMESPACE}.svc{domain}"
    return f"{role}_{host}_{PORTS[role]}"


class Runner:
    def __init__(self, pinot: FakePinot, tmp_path: Path) -> None:
        self.pinot = pinot
        self.log = tmp_path / "termination-log"
        self.sleeps: list[float] = []
        self.on_sleep: list[Callable[[int], object]] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        for hook in self.on_sleep:
            hook(len(self.sleeps))

    def __call__(self, operation: str, pool: str, keep: int, *extra: str, role: str = "server") -> Outcome:
        argv = [
            "membership",
            operation,
            "--role",
            role,
            "--statefulset",
            f"pinot-{pool}",
            "--service",
            f"pinot-{pool}-headless",
            "--namespace",
            NAMESPACE,
            "--keep",
            str(keep),
            "--cluster-name",
            "pinot",
            "--controller-url",
            URL,
            "--termination-log",
            str(self.log),
            "--wait-seconds",
            "60",
            *extra,
        ]
        code = main(
            argv, self.pinot.transport(), sleep=self.sleep, environ={}, clock=lambda: sum(self.sleeps)
        )
        outcome = Outcome.from_line(self.log.read_text())
        assert code == outcome.exit_code
        return outcome


@pytest.fixture(params=["0.11", "1.3"])
def pinot(request: pytest.FixtureRequest) -> FakePinot:
    pinot = FakePinot(brokers=0, servers=0, version=request.param)
    pinot.register(instance("brokers", 0, "Broker"))
    return pinot


@pytest.fixture
def run(pinot: FakePinot, tmp_path: Path) -> Runner:
    return Runner(pinot, tmp_path)


def table(pinot: FakePinot, raw: str, tenant: str, replication: int, segments: int) -> None:
    config: dict[str, Any] = {
        "tableName": f"{raw}_OFFLINE",
        "tableType": "OFFLINE",
        "segmentsConfig": {"replication": str(replication)},
        "tenants": {"server": tenant, "broker": "DefaultTenant"},
        "tableIndexConfig": {},
    }
    pinot.schemas[raw] = {"schemaName": raw, "dimensionFieldSpecs": [{"name": "id", "dataType": "INT"}]}
    pinot.tables[raw, "OFFLINE"] = config
    pinot.serve(raw, "OFFLINE")
    pinot.add_segments(raw, "OFFLINE", segments)


def servers(pinot: FakePinot, pool: str, count: int, tenant: str = "hot") -> list[str]:
    return [
        pinot.register(instance(pool, k), [f"{tenant}_OFFLINE", f"{tenant}_REALTIME"]) for k in range(count)
    ]


# ---- instance ids ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("instance_id", "ordinal"),
    [
        (instance("hot", 0), 0),
        (instance("hot", 12, domain=""), 12),  # no cluster domain
        (instance("hot", 3, domain=".corp.example"), 3),
        ("Server_pinot-hot-1.pinot-hot-headless.analytics.svc_8100", 1),  # another port: still its pod
        (instance("hot-1", 0), None),  # pool hot-1's pod pinot-hot-1-0 is not hot's ordinal 1
        (instance("hot", 0, "Broker"), None),
        ("Server_pinot-hot-0.pinot-hot-headless.other.svc.cluster.local_8098", None),
        ("Server_10.0.0.7_8098", None),
        ("Server_pinot-hot-01.pinot-hot-headless.analytics.svc_8098", None),
    ],
)
def test_an_instance_belongs_to_the_ordinal_its_pod_host_names(instance_id: str, ordinal: int | None) -> None:
    pool = PoolIdentity("SERVER", "pinot-hot", "pinot-hot-headless", NAMESPACE)
    assert pool.ordinal(instance_id) == ordinal


def test_explicit_ids_replace_host_matching() -> None:
    pool = PoolIdentity(
        "SERVER", "pinot-hot", "pinot-hot-headless", NAMESPACE, {0: "Server_h_1", 1: "Server_h_2"}
    )
    assert [pool.ordinal(i) for i in ("Server_h_2", "Server_h_1", instance("hot", 0))] == [1, 0, None]


# ---- tag ---------------------------------------------------------------------------------------------


def test_tag_waits_for_the_pods_to_register_then_sets_the_pools_tags(pinot: FakePinot, run: Runner) -> None:
    pinot.register(instance("hot", 0))  # Pinot's default tags (DefaultTenant)
    run.on_sleep.append(lambda n: n == 3 and pinot.register(instance("hot", 1)))

    outcome = run("tag", "hot", 2, "--tags", "hot_REALTIME,hot_OFFLINE")

    assert (outcome.result, outcome.reason) == ("Succeeded", "Tagged")
    assert "Updated tags: [hot_OFFLINE, hot_REALTIME] for instance" in outcome.message
    assert (
        pinot.instances[instance("hot", 0)]
        == pinot.instances[instance("hot", 1)]
        == {"hot_OFFLINE", "hot_REALTIME"}
    )
    assert outcome.view == {"instances": 2, "registered": 2, "tagged": 2}
    assert len(run.sleeps) == 3
    assert run("tag", "hot", 2, "--tags", "hot_OFFLINE,hot_REALTIME").reason == "Unchanged"


def test_tag_fails_naming_the_pods_that_never_registered(pinot: FakePinot, run: Runner) -> None:
    pinot.register(instance("hot", 0))
    pinot.register(instance("hot", 1), live=False)  # known to Pinot, but its process is not up

    outcome = run("tag", "hot", 3, "--tags", "hot_OFFLINE")

    assert (outcome.result, outcome.reason) == ("Failed", "NotRegistered")
    assert "pinot-hot-1, pinot-hot-2" in outcome.message
    assert outcome.view == {"instances": 3, "registered": 1}
    assert pinot.instances[instance("hot", 0)] == {"DefaultTenant_OFFLINE", "DefaultTenant_REALTIME"}


def test_brokers_join_the_tables_of_their_tenant(pinot: FakePinot, run: Runner) -> None:
    servers(pinot, "hot", 1)
    table(pinot, "events", "hot", 1, 1)
    pinot.tables["events", "OFFLINE"]["tenants"]["broker"] = "edge"
    pinot.serve("events", "OFFLINE")
    pinot.register(instance("edge", 0, "Broker"))

    outcome = run("tag", "edge", 1, "--tags", "edge_BROKER", role="broker")

    assert outcome.reason == "Tagged"
    assert "tables added: [events_OFFLINE]" in outcome.message
    assert pinot.membership.broker_resource["events_OFFLINE"] == {instance("edge", 0, "Broker")}


def test_a_pool_without_tags_keeps_pinots_tags_and_gets_back_what_a_drain_marked(
    pinot: FakePinot, run: Runner
) -> None:
    pinot.register(instance("warm", 0), ["warm_OFFLINE.leaving", "warm_REALTIME.leaving"])
    pinot.register(instance("warm", 1))

    outcome = run("tag", "warm", 2)

    assert outcome.reason == "Tagged"
    assert pinot.instances[instance("warm", 0)] == {"warm_OFFLINE", "warm_REALTIME"}
    assert pinot.instances[instance("warm", 1)] == {"DefaultTenant_OFFLINE", "DefaultTenant_REALTIME"}


def test_a_retag_that_leaves_a_table_without_its_servers_is_refused(pinot: FakePinot, run: Runner) -> None:
    servers(pinot, "hot", 2)
    table(pinot, "events", "hot", 2, 4)

    outcome = run("tag", "hot", 2, "--tags", "warm_OFFLINE,warm_REALTIME")

    assert (outcome.result, outcome.reason) == ("Failed", "ScaleInBlocked")
    assert "events_OFFLINE needs 2 instance(s) tagged hot_OFFLINE and 0 would remain" in outcome.message
    assert pinot.instances[instance("hot", 0)] == {"hot_OFFLINE", "hot_REALTIME"}
    assert run("tag", "hot", 2, "--tags", "warm_OFFLINE,warm_REALTIME", "--force").reason == "Tagged"


# ---- rebalance ---------------------------------------------------------------------------------------


def test_rebalance_moves_segments_onto_a_new_server_and_waits_for_the_external_view(
    pinot: FakePinot, run: Runner
) -> None:
    servers(pinot, "hot", 2)
    table(pinot, "events", "hot", 2, 4)
    pinot.register(instance("hot", 2), ["hot_OFFLINE", "hot_REALTIME"])

    outcome = run("rebalance", "hot", 3)

    assert (outcome.result, outcome.reason) == ("Succeeded", "Rebalanced")
    assert "events_OFFLINE: segments moved (4 segments)" in outcome.message
    assert sorted(pinot.segments_on(instance("hot", k)) for k in range(3)) == [2, 3, 3]
    assert pinot.membership.external == pinot.membership.ideal
    assert outcome.view == {"instances": 3, "holdingSegments": 3, "segments": 8}
    rebalance = next(r for r in pinot.requests if r.url.path.endswith("/rebalance"))
    assert dict(rebalance.url.params) == {
        "type": "OFFLINE",
        "dryRun": "false",
        "reassignInstances": "true",
        "includeConsuming": "true",
        "downtime": "false",
        "minAvailableReplicas": "1",
        "bestEfforts": "false",
        "maxAttempts": "1",
    }
    assert run("rebalance", "hot", 3).reason == "Balanced"


def test_a_one_replica_table_moves_with_a_spare_copy_so_no_segment_is_ever_unserved(
    pinot: FakePinot, run: Runner
) -> None:
    servers(pinot, "hot", 1)
    table(pinot, "events", "hot", 1, 4)
    pinot.register(instance("hot", 1), ["hot_OFFLINE", "hot_REALTIME"])

    outcome = run("rebalance", "hot", 2)

    assert outcome.reason == "Rebalanced"
    assert "events_OFFLINE: segments moved (4 segments, a spare copy each meanwhile)" in outcome.message
    assert [pinot.segments_on(instance("hot", k)) for k in (0, 1)] == [2, 2]
    assert pinot.unserved_moves("events_OFFLINE") == []
    stored = pinot.tables["events", "OFFLINE"]
    assert stored["segmentsConfig"]["replication"] == "1"
    assert "controlplane.originalReplication" not in stored["customConfig"]["customConfigs"]
    spread, settle = [
        r for r in pinot.requests if r.url.path.endswith("/rebalance") and "dryRun=false" in str(r.url)
    ]
    assert (spread.url.params["minAvailableReplicas"], settle.url.params["minAvailableReplicas"]) == (
        "1",
        "0",
    )
    assert run("rebalance", "hot", 2).reason == "Balanced"  # a dry run says so: no spare this time


def test_without_a_spare_copy_pinot_moves_a_one_replica_segment_unserved(pinot: FakePinot) -> None:
    """The control for the test above: the same move as Pinot makes it on its own."""
    servers(pinot, "hot", 1)
    table(pinot, "events", "hot", 1, 4)
    pinot.register(instance("hot", 1), ["hot_OFFLINE", "hot_REALTIME"])
    binding = TableBinding(
        "events_OFFLINE", "events", "OFFLINE", frozenset({"hot_OFFLINE"}), "x_BROKER", 1, 1
    )
    with httpx.Client(transport=pinot.transport()) as client:
        rebalance_table(PinotController(client, URL), binding, Waiter(lambda _: None, lambda: 0.0, 60.0))
    assert len(pinot.unserved_moves("events_OFFLINE")) == 2


def test_rebalance_follows_the_job_on_1x_and_the_ideal_state_on_0_11(pinot: FakePinot, run: Runner) -> None:
    servers(pinot, "hot", 1)
    table(pinot, "events", "hot", 1, 2)
    pinot.register(instance("hot", 1), ["hot_OFFLINE"])

    run("rebalance", "hot", 2)

    polled = [r.url.path for r in pinot.requests if r.url.path.startswith("/rebalanceStatus/")]
    assert bool(polled) == (pinot.membership.version == "1.3")


def test_a_table_its_tenant_has_too_few_servers_for_is_reported_not_fatal(
    pinot: FakePinot, run: Runner
) -> None:
    servers(pinot, "hot", 1)
    table(pinot, "events", "hot", 1, 2)
    table(pinot, "ledger", "hot", 1, 2)
    pinot.tables["ledger", "OFFLINE"]["segmentsConfig"]["replication"] = "3"
    pinot.register(instance("hot", 1), ["hot_OFFLINE"])

    outcome = run("rebalance", "hot", 2)

    assert (outcome.result, outcome.reason) == ("Succeeded", "Rebalanced")
    assert "ledger_OFFLINE: cannot be spread: it needs 3 instance(s) tagged hot_OFFLINE, 2 carry it" in (
        outcome.message
    )
    assert "events_OFFLINE: segments moved" in outcome.message
    assert not [r for r in pinot.requests if r.url.path == "/tables/ledger/rebalance"]  # never asked
    assert outcome.view is not None and outcome.view["unbalancedTables"] == 1


def test_pinots_own_refusal_for_too_few_instances_is_read_as_such(pinot: FakePinot) -> None:
    servers(pinot, "hot", 1)
    table(pinot, "events", "hot", 1, 2)
    pinot.tables["events", "OFFLINE"]["segmentsConfig"]["replication"] = "3"
    binding = TableBinding(
        "events_OFFLINE", "events", "OFFLINE", frozenset({"hot_OFFLINE"}), "x_BROKER", 1, 1
    )
    with httpx.Client(transport=pinot.transport()) as client:
        controller = PinotController(client, URL)
        result = rebalance_table(controller, binding, Waiter(lambda _: None, lambda: 0.0, 60.0))
    assert (result.ok, result.short) == (False, True)
    assert (
        "There are less instances: 1 in instance partitions: events_OFFLINE than the table replication: 3"
        in (result.message)
    )


def test_a_rebalance_whose_answer_pinot_cannot_write_is_followed_in_the_ideal_state(
    pinot: FakePinot, run: Runner
) -> None:
    servers(pinot, "hot", 1)
    table(pinot, "events", "hot", 1, 4)
    pinot.register(instance("hot", 1), ["hot_OFFLINE"])
    pinot.membership.unwritten_answers = True

    outcome = run("rebalance", "hot", 2)

    assert (outcome.result, outcome.reason) == ("Succeeded", "Rebalanced")
    assert [pinot.segments_on(instance("hot", k)) for k in (0, 1)] == [2, 2]
    assert len(run.sleeps) >= 2  # it waited to see the ideal state stay as it was


def test_segments_in_error_fail_the_rebalance_with_their_names(pinot: FakePinot, run: Runner) -> None:
    servers(pinot, "hot", 1)
    table(pinot, "events", "hot", 1, 2)
    pinot.register(instance("hot", 1), ["hot_OFFLINE"])
    pinot.membership.errored |= {("events_0", instance("hot", 1)), ("events_1", instance("hot", 1))}

    outcome = run("rebalance", "hot", 2)

    assert (outcome.result, outcome.reason) == ("Failed", "RebalanceFailed")
    assert f"events_OFFLINE: segments in ERROR state: events_0 on {instance('hot', 1)}" in outcome.message


def test_a_rebalance_that_does_not_finish_in_time_is_timed_out(pinot: FakePinot, run: Runner) -> None:
    servers(pinot, "hot", 2)
    table(pinot, "events", "hot", 2, 2)
    pinot.register(instance("hot", 2), ["hot_OFFLINE"])
    pinot.stop(instance("hot", 2))  # the external view never shows it ONLINE

    outcome = run("rebalance", "hot", 3)

    assert (outcome.result, outcome.reason) == ("Failed", "TimedOut")
    assert sum(run.sleeps) >= 60


# ---- drain -------------------------------------------------------------------------------------------


def test_drain_marks_the_leaving_servers_and_waits_until_they_hold_nothing(
    pinot: FakePinot, run: Runner
) -> None:
    servers(pinot, "hot", 3)
    table(pinot, "events", "hot", 2, 6)
    assert pinot.segments_on(instance("hot", 2)) == 4

    outcome = run("drain", "hot", 2)

    assert (outcome.result, outcome.reason) == ("Succeeded", "Drained")
    assert pinot.segments_on(instance("hot", 2)) == 0
    assert [pinot.segments_on(instance("hot", k)) for k in (0, 1)] == [6, 6]
    assert pinot.instances[instance("hot", 2)] == {"hot_OFFLINE.leaving", "hot_REALTIME.leaving"}
    assert pinot.instances[instance("hot", 0)] == {"hot_OFFLINE", "hot_REALTIME"}
    assert outcome.view == {"leaving": 1, "holdingSegments": 0}
    rebalance = next(r for r in pinot.requests if r.url.path.endswith("/rebalance"))
    assert rebalance.url.params["minAvailableReplicas"] == "1"
    assert run("drain", "hot", 2).reason == "Drained"  # once more: nothing left to do


@pytest.mark.parametrize(("count", "keep"), [(2, 1), (4, 2), (3, 1)])
def test_a_drain_gives_one_replica_tables_a_spare_copy_first_so_none_is_ever_unserved(
    pinot: FakePinot, run: Runner, count: int, keep: int
) -> None:
    servers(pinot, "hot", count)
    table(pinot, "events", "hot", 1, 8)

    outcome = run("drain", "hot", keep)

    assert outcome.reason == "Drained"
    assert sum(pinot.segments_on(instance("hot", k)) for k in range(keep)) == 8
    assert all(pinot.segments_on(instance("hot", k)) == 0 for k in range(keep, count))
    assert pinot.unserved_moves("events_OFFLINE") == []
    stored = pinot.tables["events", "OFFLINE"]
    assert stored["segmentsConfig"]["replication"] == "1"
    assert "controlplane.originalReplication" not in stored["customConfig"]["customConfigs"]


def test_a_drain_cut_short_after_the_spare_copy_restores_the_replication_on_its_next_run(
    pinot: FakePinot, run: Runner
) -> None:
    servers(pinot, "hot", 2)
    table(pinot, "events", "hot", 1, 4)
    pinot.fail_next(50, status=500, method="PUT", path=f"/instances/{instance('hot', 1)}")  # marking fails
    assert run("drain", "hot", 1).reason == "PinotError"
    stored = pinot.tables["events", "OFFLINE"]
    assert (stored["segmentsConfig"]["replication"], stored["customConfig"]["customConfigs"]) == (
        "2",
        {"controlplane.originalReplication": "1"},
    )

    pinot.faults.clear()
    assert run("drain", "hot", 1).reason == "Drained"
    assert pinot.tables["events", "OFFLINE"]["segmentsConfig"]["replication"] == "1"
    assert pinot.segments_on(instance("hot", 0)) == 4


def test_drain_is_refused_when_a_table_would_be_left_below_its_replication(
    pinot: FakePinot, run: Runner
) -> None:
    servers(pinot, "hot", 2)
    servers(pinot, "cold", 1, tenant="cold")
    table(pinot, "events", "hot", 2, 4)
    table(pinot, "archive", "cold", 1, 2)

    outcome = run("drain", "hot", 1)

    assert (outcome.result, outcome.reason) == ("Failed", "ScaleInBlocked")
    assert "events_OFFLINE needs 2 instance(s) tagged hot_OFFLINE and 1 would remain" in outcome.message
    assert "archive" not in outcome.message
    assert "their tags are unchanged" in outcome.message
    assert pinot.instances[instance("hot", 1)] == {"hot_OFFLINE", "hot_REALTIME"}
    assert not [r for r in pinot.requests if r.method != "GET"]


def test_another_pool_of_the_same_tenant_lets_a_pool_go(pinot: FakePinot, run: Runner) -> None:
    servers(pinot, "hot", 1)
    pinot.register(instance("hot2", 0), ["hot_OFFLINE", "hot_REALTIME"])
    table(pinot, "events", "hot", 1, 4)

    outcome = run("drain", "hot", 0)

    assert outcome.reason == "Drained"
    assert pinot.segments_on(instance("hot", 0)) == 0
    assert pinot.segments_on(instance("hot2", 0)) == 4


def test_a_forced_drain_moves_what_it_can_and_says_what_stays(pinot: FakePinot, run: Runner) -> None:
    servers(pinot, "hot", 2)
    table(pinot, "events", "hot", 2, 2)
    table(pinot, "small", "hot", 1, 2)

    outcome = run("drain", "hot", 1, "--force")

    assert (outcome.result, outcome.reason) == ("Succeeded", "Drained")
    assert "events_OFFLINE could not be moved" in outcome.message
    assert "it needs 2 instance(s) tagged hot_OFFLINE, 1 carry it" in outcome.message
    assert all(
        instance("hot", 1) not in states for states in pinot.membership.ideal["small_OFFLINE"].values()
    )


def test_drained_brokers_leave_the_broker_resource(pinot: FakePinot, run: Runner) -> None:
    servers(pinot, "hot", 1)
    pinot.register(instance("brokers", 1, "Broker"))
    table(pinot, "events", "hot", 1, 1)
    assert pinot.membership.broker_resource["events_OFFLINE"] == {
        instance("brokers", k, "Broker") for k in (0, 1)
    }

    outcome = run("drain", "brokers", 1, role="broker")

    assert outcome.reason == "Drained"
    assert pinot.membership.broker_resource["events_OFFLINE"] == {instance("brokers", 0, "Broker")}
    assert pinot.instances[instance("brokers", 1, "Broker")] == {"DefaultTenant_BROKER.leaving"}


def test_the_last_broker_of_a_tenant_in_use_is_not_drained(pinot: FakePinot, run: Runner) -> None:
    servers(pinot, "hot", 1)
    table(pinot, "events", "hot", 1, 1)

    outcome = run("drain", "brokers", 0, role="broker")

    assert outcome.reason == "ScaleInBlocked"
    assert (
        "events_OFFLINE needs 1 instance(s) tagged DefaultTenant_BROKER and 0 would remain" in outcome.message
    )


def test_drained_minions_finish_their_running_subtasks_first(pinot: FakePinot, run: Runner) -> None:
    minion = pinot.register(instance("minions", 1, "Minion"))
    subtask = pinot.run_subtask("MergeRollupTask", minion)

    def finish(sleeps: int) -> None:
        if sleeps == 2:
            subtask.state = "COMPLETED"

    run.on_sleep.append(finish)

    outcome = run("drain", "minions", 1, role="minion")

    assert (outcome.reason, len(run.sleeps)) == ("Drained", 2)
    assert pinot.instances[minion] == {"minion_untagged.leaving"}


# ---- drop --------------------------------------------------------------------------------------------


def test_drop_waits_until_the_pods_are_gone_then_deletes_the_instances(pinot: FakePinot, run: Runner) -> None:
    servers(pinot, "hot", 3)

    def stop(sleeps: int) -> None:
        if sleeps == 2:
            pinot.stop(instance("hot", 2))

    run.on_sleep.append(stop)

    outcome = run("drop", "hot", 2)

    assert (outcome.result, outcome.reason) == ("Succeeded", "Dropped")
    assert instance("hot", 2) not in pinot.instances
    assert instance("hot", 1) in pinot.instances
    assert outcome.view == {"leaving": 0, "dropped": 1}
    assert run("drop", "hot", 2).message == "no instance of pinot-hot left to drop"


def test_drop_refuses_an_instance_that_still_holds_segments(pinot: FakePinot, run: Runner) -> None:
    servers(pinot, "hot", 2)
    table(pinot, "events", "hot", 1, 2)
    pinot.stop(instance("hot", 1))

    outcome = run("drop", "hot", 1)

    assert (outcome.result, outcome.reason) == ("Failed", "InUse")
    assert "exists in ideal state for events_OFFLINE" in outcome.message
    assert instance("hot", 1) in pinot.instances


def test_drop_of_a_live_instance_times_out(pinot: FakePinot, run: Runner) -> None:
    servers(pinot, "hot", 2)

    outcome = run("drop", "hot", 1)

    assert (outcome.result, outcome.reason) == ("Failed", "StillLive")
    assert instance("hot", 1) in outcome.message


# ---- failures ----------------------------------------------------------------------------------------


def test_pinot_errors_and_unreachable_controllers_become_outcomes(pinot: FakePinot, run: Runner) -> None:
    servers(pinot, "hot", 1)
    pinot.fail_next(10, status=500, path="/instances")
    outcome = run("tag", "hot", 1, "--tags", "hot_OFFLINE")
    assert (outcome.reason, outcome.httpStatus) == ("PinotError", 500)
    assert outcome.message.startswith("listing instances: injected fault")

    pinot.faults.clear()
    pinot.drop_next(10)
    assert run("drain", "hot", 0).reason == "Unreachable"


def test_usage_errors_exit_2(run: Runner, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["membership", "tag", "--role", "controller", "--controller-url", URL], run.pinot.transport())
    assert code == 2
    assert "invalid choice" in capsys.readouterr().err
