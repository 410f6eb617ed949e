"""Gates: a run waits for its cluster and, for a table, its schema; a run under way is kept."""

from __future__ import annotations

from typing import Any

import pytest

from hooks.children import as_observed, sort_children
from tests.resources.builders import (
    cluster,
    condition,
    job_in,
    of_kind,
    outcome_line,
    parent,
    pod_of,
    schema_cr,
    stored,
    sync,
)

JsonObject = dict[str, Any]
KINDS = ["PinotSchema", "PinotTable", "PinotTenant"]


def with_schema(kind: str, related: list[JsonObject]) -> list[JsonObject]:
    return [*related, schema_cr()] if kind == "PinotTable" else related


CLUSTER_GATES = [
    ([], "ClusterNotFound", "PinotCluster 'pinot' (spec.clusterRef.name) does not exist"),
    (
        [cluster(ready=False)],
        "ClusterNotReady",
        "waiting for PinotCluster 'pinot' to be Ready: PoolsNotReady",
    ),
    ([cluster(url=None)], "ClusterNotReady", "to publish status.controllerService"),
    ([cluster(deleting=True)], "ClusterNotReady", "is being deleted"),
]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(("related", "reason", "words"), CLUSTER_GATES)
def test_a_closed_cluster_gate_runs_nothing_and_says_what_it_waits_for(
    kind: str, related: list[JsonObject], reason: str, words: str
) -> None:
    body = sync(parent(kind), related=with_schema(kind, related))
    assert body["children"] == []
    for type_ in ("Ready", "Synced"):
        found = condition(body, type_)
        assert (found["status"], found["reason"]) == ("False", reason)
        assert words in found["message"]


@pytest.mark.parametrize(
    ("schema", "words"),
    [
        (None, "waiting for PinotSchema 'events' (spec.schemaRef.name): it does not exist"),
        (schema_cr(synced=False), "to be Synced for generation 1: Rejected: Invalid schema: events"),
        (schema_cr(generation=2, synced_generation=1), "to be Synced for generation 2"),
    ],
    ids=["absent", "not-synced", "synced-for-an-older-generation"],
)
def test_a_table_waits_for_its_schema(schema: JsonObject | None, words: str) -> None:
    related = [cluster()] + ([schema] if schema else [])
    body = sync(parent("PinotTable"), related=related)
    assert body["children"] == []
    found = condition(body, "Synced")
    assert (found["status"], found["reason"]) == ("False", "SchemaNotReady")
    assert words in found["message"]


def test_a_schema_without_a_name_keeps_the_table_waiting() -> None:
    referenced = schema_cr()
    del referenced["spec"]["schema"]["schemaName"]
    body = sync(parent("PinotTable"), related=[cluster(), referenced])
    assert condition(body, "Synced")["reason"] == "SchemaNotReady"


def test_a_closed_gate_keeps_the_jobs_of_earlier_specs() -> None:
    earlier = parent("PinotSchema")
    earlier["spec"]["force"] = True
    observed = [job_in(c, "complete") if c["kind"] == "Job" else stored(c) for c in sync(earlier)["children"]]
    body = sync(parent("PinotSchema"), observed, related=[cluster(ready=False)])
    assert body["children"] == sort_children([as_observed(c) for c in observed])


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    "related",
    [[cluster(ready=False)], [cluster(deleting=True)]],
    ids=["cluster-not-ready", "cluster-deleting"],
)
def test_a_run_under_way_is_kept_when_the_cluster_flickers(kind: str, related: list[JsonObject]) -> None:
    first = sync(parent(kind))
    job = job_in(of_kind(first["children"], "Job")[0], "running")
    observed = [job, stored(of_kind(first["children"], "ConfigMap")[0])] if kind != "PinotTenant" else [job]
    body = sync(parent(kind), observed, related=with_schema(kind, related))
    assert body["children"] == first["children"]
    assert condition(body, "Synced")["reason"] == "Applying"


def test_an_applied_spec_stays_ready_when_the_cluster_flickers() -> None:
    first = sync(parent("PinotSchema"))
    job = job_in(of_kind(first["children"], "Job")[0], "complete")
    pod = pod_of(job, outcome_line("Succeeded", "Created", "created schema events", 200))
    observed = [job, stored(of_kind(first["children"], "ConfigMap")[0])]
    body = sync(parent("PinotSchema"), observed, related=[cluster(ready=False), pod])
    assert body["children"] == first["children"]
    assert condition(body, "Ready")["status"] == "True"
    assert condition(body, "Synced")["reason"] == "Created"


def test_a_table_applied_once_is_kept_while_its_schema_is_being_updated() -> None:
    first = sync(parent("PinotTable"))
    job = job_in(of_kind(first["children"], "Job")[0], "complete")
    body = sync(
        parent("PinotTable"), [job], related=[cluster(), schema_cr(generation=2, synced_generation=1)]
    )
    assert of_kind(body["children"], "Job") == of_kind(first["children"], "Job")
