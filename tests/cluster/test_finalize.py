"""Deleting a PinotCluster: its controller stays while resources that delete from it are deleted too."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from hooks.cluster.sync import sync_cluster
from hooks.contract import HookRequest
from tests.cluster.builders import NOW, parent, request_body, settle
from tests.cluster.rounds import Rounds

JsonObject = dict[str, Any]
DELETED_AT = "2026-11-25T11:59:00Z"


def settled_children() -> list[JsonObject]:
    rounds = Rounds(parent())
    for _ in range(14):
        rounds.step()
    return list(rounds.children.values())


def resource(kind: str, policy: str = "Delete", deleting: bool = True, cluster: str = "demo") -> JsonObject:
    meta: JsonObject = {"name": kind.lower(), "namespace": "analytics"}
    if deleting:
        meta["deletionTimestamp"] = DELETED_AT
    return {
        "apiVersion": "pinot.controlplane.dev/v1alpha1",
        "kind": kind,
        "metadata": meta,
        "spec": {"clusterRef": {"name": cluster}, "deletionPolicy": policy},
    }


def finalize(children: list[JsonObject], related: list[JsonObject], now: Any = NOW) -> JsonObject:
    obj = parent()
    obj["metadata"]["deletionTimestamp"] = DELETED_AT
    body = request_body(obj, children)
    body["finalizing"] = True
    body["related"] = {}
    for item in related:
        body["related"].setdefault(f"{item['kind']}.{item['apiVersion']}", {})[item["metadata"]["name"]] = (
            item
        )
    return sync_cluster(HookRequest.model_validate(body), now).body


def deleting(body: JsonObject) -> JsonObject:
    return next(c for c in body["status"]["conditions"] if c["type"] == "Deleting")


def test_the_controller_stays_while_a_resource_deletes_from_it() -> None:
    children = settled_children()
    body = finalize(children, [resource("PinotTable"), resource("PinotSchema")])

    assert body["finalized"] is False
    assert sorted(c["metadata"]["name"] for c in body["children"]) == sorted(
        c["metadata"]["name"] for c in children
    )
    condition = deleting(body)
    assert (condition["status"], condition["reason"]) == ("True", "WaitingForResources")
    assert "PinotSchema pinotschema, PinotTable pinottable (deletionPolicy Delete)" in condition["message"]
    assert condition["message"].endswith("at most until 2026-11-25T12:04:00Z")
    assert body["resyncAfterSeconds"] == 5


@pytest.mark.parametrize(
    "related",
    [
        [],
        [resource("PinotTable", policy="Retain")],
        [
            resource("PinotTable", deleting=False)
        ],  # the table stays: deleting the cluster deletes nothing in Pinot
        [resource("PinotTable", cluster="other")],
    ],
    ids=["none", "retain", "not-deleted", "other-cluster"],
)
def test_nothing_to_wait_for_finalizes_at_once(related: list[JsonObject]) -> None:
    body = finalize(settled_children(), related)
    assert (body["finalized"], body["children"]) == (True, [])
    assert deleting(body)["message"] == "the cluster goes: no resource deletes from it any more"


def test_without_a_ready_controller_nothing_could_be_deleted_and_the_cluster_goes() -> None:
    children = [settle(c, ready=False) if c["kind"] == "StatefulSet" else c for c in settled_children()]
    body = finalize(children, [resource("PinotTable")])
    assert body["finalized"] is True
    assert "no controller pod is ready" in deleting(body)["message"]


def test_the_wait_is_bounded() -> None:
    body = finalize(settled_children(), [resource("PinotTable")], NOW + timedelta(minutes=5))
    assert body["finalized"] is True
    assert deleting(body)["message"] == "the cluster goes: waited 300s for PinotTable pinottable"
