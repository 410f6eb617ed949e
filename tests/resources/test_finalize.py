"""Finalize: Retain finishes at once; Delete runs a delete Job and finishes once it is Complete;
a finalizer never wedges, and nothing is deleted while the resource lives."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.resources.builders import (
    NOW,
    URL,
    cluster,
    condition,
    default_related,
    job_in,
    of_kind,
    outcome_line,
    parent,
    pod_of,
    schema_cr,
    stored,
    sync,
    the_job,
)
from tests.resources.builders import finalize as finalize_call

JsonObject = dict[str, Any]
KINDS = ["PinotSchema", "PinotTable", "PinotTenant"]


def deleting(kind: str, policy: str | None = "Delete", **spec: Any) -> JsonObject:
    obj = parent(kind)
    if policy is not None:
        obj["spec"]["deletionPolicy"] = policy
    obj["spec"].update(spec)
    obj["metadata"]["deletionTimestamp"] = "2026-11-25T11:30:00Z"
    return obj


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("policy", ["Retain", None])
def test_retain_finishes_at_once_and_leaves_pinot_alone(kind: str, policy: str | None) -> None:
    applied = [job_in(the_job(sync(parent(kind))), "complete")]
    body = finalize_call(deleting(kind, policy), applied)
    assert body["finalized"] is True
    assert body["children"] == []
    assert condition(body, "Ready")["reason"] == "Retained"


DELETE_ARGS = {
    "PinotSchema": ["delete", "schema", "--name", "events"],
    "PinotTable": ["delete", "table", "--name", "events", "--type", "OFFLINE"],
    "PinotTenant": ["delete", "tenant", "--name", "analytics", "--role", "SERVER"],
}


@pytest.mark.parametrize("kind", KINDS)
def test_delete_runs_a_delete_job_and_waits_for_it(kind: str) -> None:
    body = finalize_call(deleting(kind))
    assert body["finalized"] is False
    job = the_job(body)
    name = parent(kind)["metadata"]["name"]
    assert job["metadata"]["name"].startswith(f"{name}-delete-")
    assert len(job["metadata"]["name"]) == len(name) + len("-delete-") + 10
    assert of_kind(body["children"], "ConfigMap") == []
    (container,) = job["spec"]["template"]["spec"]["containers"]
    assert container["name"] == "delete"
    assert container["args"] == [
        *DELETE_ARGS[kind],
        "--controller-url",
        URL,
        "--termination-log",
        "/dev/termination-log",
    ]
    assert "volumes" not in job["spec"]["template"]["spec"]
    assert job["metadata"]["labels"]["pinot.controlplane.dev/operation"] == "delete"
    assert condition(body, "Ready")["reason"] == "Deleting"

    running = finalize_call(deleting(kind), [job_in(job, "running")])
    assert running["finalized"] is False
    assert running["children"] == [job]


@pytest.mark.parametrize(("kind", "reason"), [("PinotSchema", "Deleted"), ("PinotTable", "AlreadyAbsent")])
def test_delete_finishes_once_its_job_is_complete(kind: str, reason: str) -> None:
    job = job_in(the_job(finalize_call(deleting(kind))), "complete")
    pod = pod_of(job, outcome_line("Succeeded", reason, f"{reason}: events"))
    body = finalize_call(deleting(kind), [job], related=[*default_related(kind), pod])
    assert body["finalized"] is True
    # The finished Job stays (garbage-collected with the resource), so a later call sees it done.
    assert [c["metadata"]["name"] for c in body["children"]] == [job["metadata"]["name"]]
    synced = condition(body, "Synced")
    assert (synced["status"], synced["reason"], synced["message"]) == ("True", reason, f"{reason}: events")
    assert condition(body, "Ready")["reason"] == "Deleted"
    # Called again after finalized: still finalized.
    assert finalize_call(deleting(kind), [job], related=[*default_related(kind), pod])["finalized"] is True


def test_a_failed_delete_says_why_and_is_retried_after_the_backoff() -> None:
    message = "Schema events is used by table events_OFFLINE and cannot be deleted"
    job = job_in(the_job(finalize_call(deleting("PinotSchema"))), "failed", at="2026-11-25T11:59:30Z")
    related = [
        *default_related("PinotSchema"),
        pod_of(job, outcome_line("Failed", "Rejected", message, 409), exit_code=1),
    ]
    body = finalize_call(deleting("PinotSchema"), [job], related=related)
    assert body["finalized"] is False
    assert of_kind(body["children"], "Job") != []
    synced, ready = condition(body, "Synced"), condition(body, "Ready")
    assert (synced["reason"], synced["message"]) == ("Rejected", message)
    assert "retrying at 2026-11-25T12:00:30Z" in ready["message"]
    assert "spec.deletionPolicy" in ready["message"]
    assert body["resyncAfterSeconds"] == 30

    later = finalize_call(deleting("PinotSchema"), [job], related=related, now=NOW + timedelta(seconds=30))
    assert later["finalized"] is False
    assert later["children"] == []


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    ("related", "reason"),
    [([], "ClusterNotFound"), ([cluster(deleting=True)], "ClusterNotFound")],
    ids=["cluster-gone", "cluster-deleting"],
)
def test_a_cluster_that_is_gone_or_going_never_wedges_the_finalizer(
    kind: str, related: list[JsonObject], reason: str
) -> None:
    running = job_in(the_job(finalize_call(deleting(kind))), "running")
    extra = [schema_cr()] if kind == "PinotTable" else []
    body = finalize_call(deleting(kind), [running], related=related + extra)
    assert body["finalized"] is True
    assert body["children"] == []
    assert condition(body, "Ready")["reason"] == reason


def test_a_spec_that_cannot_say_what_to_delete_never_wedges_the_finalizer() -> None:
    obj = deleting("PinotTable")
    del obj["spec"]["table"]["tableType"]
    body = finalize_call(obj)
    assert body["finalized"] is True
    assert body["children"] == []
    ready = condition(body, "Ready")
    assert ready["reason"] == "InvalidSpec"
    assert "spec.table.tableType" in ready["message"]


def test_a_cluster_without_a_controller_service_makes_deletion_wait() -> None:
    body = finalize_call(deleting("PinotSchema"), related=[cluster(url=None)])
    assert body["finalized"] is False
    assert body["children"] == []
    assert condition(body, "Ready")["reason"] == "ClusterNotReady"
    assert body["resyncAfterSeconds"] > 0


def test_deletion_waits_for_a_running_apply_job_and_keeps_it() -> None:
    applying = sync(parent("PinotSchema"))
    observed = [job_in(the_job(applying), "running"), stored(of_kind(applying["children"], "ConfigMap")[0])]
    body = finalize_call(deleting("PinotSchema"), observed)
    assert body["finalized"] is False
    assert sorted(c["kind"] for c in body["children"]) == ["ConfigMap", "Job"]
    assert all("-delete-" not in c["metadata"]["name"] for c in body["children"])
    assert "waiting for Job" in condition(body, "Ready")["message"]


def test_a_finished_apply_job_is_dropped_when_deletion_starts() -> None:
    applied = job_in(the_job(sync(parent("PinotSchema"))), "complete")
    body = finalize_call(deleting("PinotSchema"), [applied])
    assert [c["metadata"]["name"] for c in body["children"]] == [the_job(body)["metadata"]["name"]]
    assert "-delete-" in the_job(body)["metadata"]["name"]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("hook", ["sync", "finalize"])
def test_nothing_is_finalized_or_deleted_while_finalizing_is_false(kind: str, hook: str) -> None:
    """Even with a complete delete Job observed (say, the resource stopped matching a selector)."""
    obj = deleting(kind)
    done = job_in(the_job(finalize_call(obj)), "complete")
    del obj["metadata"]["deletionTimestamp"]
    for related in (default_related(kind), []):
        body = (
            finalize_call(obj, [done], related=related, finalizing=False)
            if hook == "finalize"
            else sync(obj, [done], related=related)
        )
        assert body["finalized"] is False
        assert all("-delete-" not in c["metadata"]["name"] for c in body["children"])


@pytest.mark.parametrize("kind", KINDS)
def test_the_sync_path_finalizes_when_metacontroller_says_so(kind: str) -> None:
    from tests.resources.builders import call

    body = call(deleting(kind, "Retain"), finalizing=True, hook="sync").body
    assert body["finalized"] is True


def holding_cluster() -> JsonObject:
    """A PinotCluster being deleted that keeps its controller for its resources' delete Jobs."""
    found = cluster(deleting=True)
    found["status"]["conditions"].append(
        {
            "type": "Deleting",
            "status": "True",
            "reason": "WaitingForResources",
            "message": "the controller is kept until PinotTable events-offline (deletionPolicy Delete) ...",
            "lastTransitionTime": "2026-11-25T11:00:00Z",
        }
    )
    return found


@pytest.mark.parametrize("kind", KINDS)
def test_a_cluster_deleted_together_but_holding_still_takes_the_delete_job(kind: str) -> None:
    related = [holding_cluster(), *default_related(kind)[1:]]
    body = finalize_call(deleting(kind), related=related)

    assert body["finalized"] is False
    assert the_job(body)["spec"]["template"]["spec"]["containers"][0]["args"][0] == "delete"


def test_deleted_together_with_its_cluster_a_resource_first_waits_for_the_cluster_to_say() -> None:
    obj = deleting("PinotTable")
    obj["metadata"]["deletionTimestamp"] = "2026-11-25T11:59:50Z"
    related = [cluster(deleting=True), *default_related("PinotTable")[1:]]

    early = finalize_call(obj, related=related)
    assert (early["finalized"], early["children"], early["resyncAfterSeconds"]) == (False, [], 5)
    assert "being deleted too, to say whether it holds" in condition(early, "Ready")["message"]

    late = finalize_call(obj, related=related, now=NOW + timedelta(seconds=30))
    assert late["finalized"] is True
    assert condition(late, "Ready")["reason"] == "ClusterNotFound"
