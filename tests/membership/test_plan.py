"""What the membership plan decides from observed state alone (`hooks/membership/plan.py`)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from hooks import jsonio
from hooks.children import EncodedChild
from hooks.cluster.rollout import Observation
from hooks.cluster.spec import Role
from hooks.membership.plan import JobRecords, MembershipPhase, MembershipPlan, PoolInput, plan_membership
from hooks.membership.runs import MembershipRun, Target

JsonObject = dict[str, Any]
NOW = datetime(2026, 11, 25, 12, 0, 0, tzinfo=UTC)
TARGET = Target("pinot", "analytics", "pinot", "http://pinot-controller.analytics.svc:9000", "", "img:1")


def sts(spec: int, pods: int | None = None, ready: int | None = None) -> Observation:
    pods = spec if pods is None else pods
    ready = pods if ready is None else ready
    return Observation("t", spec, 1, 1, pods, ready, pods, "r", "r")


def pool(name: str, role: Role, desired: int, observation: Observation | None, **extra: Any) -> PoolInput:
    tags = extra.pop("tags", (f"{name}_OFFLINE", f"{name}_REALTIME") if role is Role.SERVER else None)
    return PoolInput(name, role, desired, tags, observation, **extra)


def run(operation: str, name: str, role: Role, keep: int, **extra: Any) -> MembershipRun:
    tags = extra.pop("tags", (f"{name}_OFFLINE", f"{name}_REALTIME") if role is Role.SERVER else None)
    tags = tags if operation in ("tag", "rebalance") else None
    return MembershipRun(operation, TARGET, name, role.value, keep, tags, **extra)


def job(r: MembershipRun, state: str = "", at: datetime = NOW) -> JsonObject:
    """The Job of a run as observed: running (""), "Complete" or "Failed" (without a Pod's message)."""
    found = r.job()
    found["metadata"]["uid"] = f"uid-{r.name}"
    if state:
        stamp = at.strftime("%Y-%m-%dT%H:%M:%SZ")
        found["status"] = {"conditions": [{"type": state, "status": "True", "lastTransitionTime": stamp}]}
    return found


def pod(r: MembershipRun, line: str) -> JsonObject:
    """The Pod of a finished run, its termination message the CLI's outcome line."""
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": f"{r.name}-x",
            "labels": r.labels(),
            "ownerReferences": [{"uid": f"uid-{r.name}"}],
        },
        "status": {"containerStatuses": [{"state": {"terminated": {"message": line, "finishedAt": "t"}}}]},
    }


def plan(
    pools: list[PoolInput],
    jobs: list[JsonObject] = (),  # type: ignore[assignment]
    pods: list[JsonObject] = (),  # type: ignore[assignment]
    controller_ready: bool = True,
    now: datetime = NOW,
) -> MembershipPlan:
    records = JobRecords({j["metadata"]["name"]: j for j in jobs}, list(pods), TARGET.cluster)
    return plan_membership(TARGET, pools, records, controller_ready, now)


def names(found: MembershipPlan) -> list[str]:
    return sorted(
        child.key[2] if isinstance(child, EncodedChild) else child["metadata"]["name"]
        for child in found.children
    )


def test_a_pool_whose_pods_are_ready_is_tagged_first_and_not_ready_until_then() -> None:
    found = plan([pool("hot", Role.SERVER, 2, sts(2))])

    hot = found.pools["hot"]
    assert (hot.phase, hot.held, hot.replicas) == (MembershipPhase.TAGGING, True, 2)
    assert names(found) == [run("tag", "hot", Role.SERVER, 2).name]
    assert hot.message == f"Job {run('tag', 'hot', Role.SERVER, 2).name} registers and tags pinot-hot"


def test_nothing_is_asked_of_pinot_before_every_pod_is_ready() -> None:
    found = plan([pool("hot", Role.SERVER, 3, sts(3, pods=3, ready=2))])

    assert found.pools["hot"].phase is MembershipPhase.WAITING
    assert found.children == []


@pytest.mark.parametrize(
    "observation", [None, Observation("t", 2, 1, 0, 0, 0, 0, "", "")], ids=["absent", "unseen"]
)
def test_a_pool_not_created_or_not_yet_seen_waits_in_the_same_words_as_while_its_pods_start(
    observation: Observation | None,
) -> None:
    found = plan([pool("hot", Role.SERVER, 2, observation)])
    starting = plan([pool("hot", Role.SERVER, 2, sts(2, pods=2, ready=0))])
    assert found.pools["hot"].phase is MembershipPhase.WAITING and found.children == []
    assert found.pools["hot"].status() == starting.pools["hot"].status()


def test_servers_are_rebalanced_after_tagging_and_then_settled() -> None:
    tag, rebalance = run("tag", "hot", Role.SERVER, 2), run("rebalance", "hot", Role.SERVER, 2)
    line = (
        '{"result":"Succeeded","reason":"Rebalanced","message":"events_OFFLINE: segments moved",'
        '"view":{"holdingSegments":2,"segments":6}}'
    )

    moving = plan([pool("hot", Role.SERVER, 2, sts(2))], [job(tag, "Complete")])
    assert moving.pools["hot"].phase is MembershipPhase.REBALANCING
    assert names(moving) == sorted([tag.name, rebalance.name])

    settled = plan(
        [pool("hot", Role.SERVER, 2, sts(2))],
        [job(tag, "Complete"), job(rebalance, "Complete")],
        [pod(rebalance, line)],
    )
    hot = settled.pools["hot"]
    assert (hot.phase, hot.held) == (MembershipPhase.SETTLED, False)
    assert dict(hot.view) == {"holdingSegments": 2, "segments": 6}
    assert names(settled) == sorted([tag.name, rebalance.name])  # the records stay


def test_a_job_observed_is_answered_encoded_and_a_new_one_as_an_object_the_metrics_count() -> None:
    tag, rebalance = run("tag", "hot", Role.SERVER, 2), run("rebalance", "hot", Role.SERVER, 2)

    moving = plan([pool("hot", Role.SERVER, 2, sts(2))], [job(tag, "Complete")])

    kept, new = sorted(moving.children, key=lambda child: isinstance(child, dict))
    assert isinstance(kept, EncodedChild) and jsonio.loads(kept.data) == tag.job()
    assert isinstance(new, dict) and new == rebalance.job()


def test_brokers_and_minions_are_only_tagged() -> None:
    brokers = run("tag", "brokers", Role.BROKER, 1, tags=("edge_BROKER",))
    found = plan([pool("brokers", Role.BROKER, 1, sts(1), tags=("edge_BROKER",))], [job(brokers, "Complete")])
    assert found.pools["brokers"].phase is MembershipPhase.SETTLED
    assert "--tags" in brokers.argv() and "edge_BROKER" in brokers.argv()


def test_jobs_of_one_role_run_one_at_a_time_in_order_and_roles_do_not_wait_for_each_other() -> None:
    found = plan(
        [
            pool("brokers", Role.BROKER, 1, sts(1)),
            pool("hot", Role.SERVER, 1, sts(1)),
            pool("cold", Role.SERVER, 1, sts(1)),
        ]
    )
    assert names(found) == sorted(
        [run("tag", "brokers", Role.BROKER, 1).name, run("tag", "hot", Role.SERVER, 1).name]
    )
    cold = found.pools["cold"]
    assert (cold.phase, cold.held) == (MembershipPhase.TAGGING, True)
    assert cold.message.endswith(f"waits: Job {run('tag', 'hot', Role.SERVER, 1).name} runs first")


def test_no_job_starts_before_a_controller_is_ready() -> None:
    found = plan([pool("hot", Role.SERVER, 1, sts(1))], controller_ready=False)
    assert found.children == []
    assert found.pools["hot"].message.endswith("waits: no controller pool is ready")


@pytest.mark.parametrize(("role", "lowered"), [(Role.SERVER, 3), (Role.BROKER, 1), (Role.MINION, 1)])
def test_a_scale_in_drains_first_then_lowers_servers_one_at_a_time(role: Role, lowered: int) -> None:
    before = plan([pool("p", role, 1, sts(4))])
    drain = run("drain", "p", role, 1)
    assert (before.pools["p"].replicas, before.pools["p"].phase) == (4, MembershipPhase.DRAINING)
    assert names(before) == [drain.name]

    drained = plan([pool("p", role, 1, sts(4))], [job(drain, "Complete")])
    assert drained.pools["p"].replicas == lowered
    assert drained.pools["p"].phase is MembershipPhase.DRAINING


def test_a_server_is_removed_only_once_the_previous_one_is_gone() -> None:
    drain = run("drain", "hot", Role.SERVER, 1)
    going = plan([pool("hot", Role.SERVER, 1, sts(3, pods=4))], [job(drain, "Complete")])
    assert going.pools["hot"].replicas == 3  # the pod of ordinal 3 is still terminating
    message = going.pools["hot"].message
    gone = plan([pool("hot", Role.SERVER, 1, sts(3, pods=3))], [job(drain, "Complete")])
    assert gone.pools["hot"].replicas == 2
    assert "4 pod(s), going to 1 one at a time" in message


def test_once_the_pods_are_gone_their_instances_are_dropped_and_the_pool_tagged_again() -> None:
    drain, drop = run("drain", "hot", Role.SERVER, 1), run("drop", "hot", Role.SERVER, 1)
    terminating = plan([pool("hot", Role.SERVER, 1, sts(1, pods=2))], [job(drain, "Complete")])
    assert terminating.pools["hot"].phase is MembershipPhase.DRAINING and names(terminating) == [drain.name]

    dropping = plan([pool("hot", Role.SERVER, 1, sts(1))], [job(drain, "Complete")])
    assert dropping.pools["hot"].phase is MembershipPhase.DROPPING
    assert names(dropping) == sorted([drain.name, drop.name])

    tagging = plan([pool("hot", Role.SERVER, 1, sts(1))], [job(drain, "Complete"), job(drop, "Complete")])
    assert tagging.pools["hot"].phase is MembershipPhase.TAGGING
    assert names(tagging) == sorted([drain.name, drop.name, run("tag", "hot", Role.SERVER, 1).name])


def test_a_refused_scale_in_keeps_the_pods_and_is_tried_again_later() -> None:
    drain = run("drain", "hot", Role.SERVER, 1)
    line = (
        '{"result":"Failed","reason":"ScaleInBlocked","message":"events_OFFLINE needs 2 instance(s) tagged '
        'hot_OFFLINE and 1 would remain","view":{"leaving":1}}'
    )
    observed = [job(drain, "Failed", NOW - timedelta(seconds=60))]

    found = plan([pool("hot", Role.SERVER, 1, sts(2))], observed, [pod(drain, line)])
    hot = found.pools["hot"]
    assert (hot.phase, hot.held, hot.replicas, hot.failure) == (
        MembershipPhase.BLOCKED,
        False,
        2,
        "ScaleInBlocked",
    )
    assert hot.message.startswith("scale-in refused (ScaleInBlocked): events_OFFLINE needs 2 instance(s)")
    assert hot.message.endswith("retrying at 2026-11-25T12:04:00Z")
    assert names(found) == [drain.name] and found.resync_seconds == 240

    later = plan(
        [pool("hot", Role.SERVER, 1, sts(2))], observed, [pod(drain, line)], now=NOW + timedelta(minutes=5)
    )
    assert names(later) == [drain.again().name]  # the failed Job goes, the next attempt starts
    assert later.pools["hot"].failure == ""


def test_force_is_part_of_what_a_drain_must_make_true() -> None:
    plain, forced = run("drain", "hot", Role.SERVER, 1), run("drain", "hot", Role.SERVER, 1, force=True)
    assert plain.name != forced.name and "--force" in forced.argv() and "--force" not in plain.argv()
    found = plan([pool("hot", Role.SERVER, 1, sts(2), force=True)])
    assert names(found) == [forced.name]


def test_a_running_job_of_a_spec_that_moved_on_runs_to_its_end() -> None:
    old = run("rebalance", "hot", Role.SERVER, 2)
    found = plan(
        [pool("hot", Role.SERVER, 3, sts(3))], [job(run("tag", "hot", Role.SERVER, 2), "Complete"), job(old)]
    )
    assert names(found) == [old.name]  # kept; the new tag Job waits for it
    assert found.pools["hot"].message.endswith(f"waits: Job {old.name} runs first")


def test_a_removed_pool_is_drained_scaled_to_zero_dropped_and_then_gone() -> None:
    drain, drop = run("drain", "old", Role.SERVER, 0), run("drop", "old", Role.SERVER, 0)
    removed = pool("old", Role.SERVER, 0, sts(2), removed=True, tags=None)
    assert plan([removed]).pools["old"].replicas == 2
    assert plan([removed], [job(drain, "Complete")]).pools["old"].replicas == 1
    gone = pool("old", Role.SERVER, 0, sts(0), removed=True, tags=None)
    assert plan([gone], [job(drain, "Complete")]).pools["old"].phase is MembershipPhase.DROPPING
    done = plan([gone], [job(drain, "Complete"), job(drop, "Complete")])
    assert done.pools["old"].done and done.children == []


@pytest.mark.parametrize("role", [Role.BROKER, Role.SERVER, Role.MINION])
def test_a_pool_scaled_to_zero_names_no_job_its_answer_deletes(role: Role) -> None:
    """Once its instances are dropped, the answer deletes the drain and drop Jobs: its status is the
    one the next answer, without those Jobs, gives (a fixed point), not the drop's."""
    drain, drop = run("drain", "p", role, 0), run("drop", "p", role, 0)
    line = '{"result":"Succeeded","reason":"Dropped","message":"1 instance(s) dropped","view":{"dropped":1}}'
    dropping = plan([pool("p", role, 0, sts(0), tags=None)], [job(drain, "Complete")])
    assert names(dropping) == sorted([drain.name, drop.name])

    done = plan(
        [pool("p", role, 0, sts(0), tags=None)],
        [job(drain, "Complete"), job(drop, "Complete")],
        [pod(drop, line)],
    )
    after = plan([pool("p", role, 0, sts(0), tags=None)])
    assert done.children == after.children == []
    assert (
        done.pools["p"].status()
        == after.pools["p"].status()
        == {"phase": "Settled", "message": "no instance"}
    )
    assert not done.pools["p"].held and not done.pools["p"].done  # a spec pool: its StatefulSet stays


def test_a_drain_waits_for_a_pool_of_its_role_that_is_still_joining() -> None:
    found = plan(
        [pool("hot2", Role.SERVER, 1, sts(1, ready=0)), pool("hot", Role.SERVER, 0, sts(1), removed=True)]
    )
    assert found.children == []
    assert found.pools["hot"].message.endswith("waits: pool hot2 joins Pinot first")


def test_job_names_fit_kubernetes_and_differ_by_what_they_make_true() -> None:
    long_target = Target("c" * 40, "analytics", "c", "http://x:9000", "", "img")
    long = MembershipRun("rebalance", long_target, "p" * 10, "server", 3)
    assert len(long.name) <= 63
    assert run("tag", "hot", Role.SERVER, 2).name != run("tag", "hot", Role.SERVER, 3).name
    assert (
        run("tag", "hot", Role.SERVER, 2).name != run("tag", "hot", Role.SERVER, 2, tags=("x_OFFLINE",)).name
    )
    again = run("drain", "hot", Role.SERVER, 1).again()
    assert (
        again.digest == run("drain", "hot", Role.SERVER, 1).digest
        and again.labels()["pinot.controlplane.dev/attempt"] == "2"
    )
