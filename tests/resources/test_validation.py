"""Bad input: a condition names the field, no Job is run, and observed children stay as they are."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from hooks.children import as_observed, sort_children
from tests.resources.builders import SPECS, cluster, condition, job_in, parent, schema_cr, stored, sync

JsonObject = dict[str, Any]
Edit = Callable[[JsonObject], None]


def setting(path: str, value: Any) -> Edit:
    def edit(spec: JsonObject) -> None:
        *parents, last = path.split(".")
        target = spec
        for part in parents:
            target = target.setdefault(part, {})
        if value is DELETE:
            target.pop(last, None)
        else:
            target[last] = value

    return edit


DELETE = object()

BAD_SPECS = [
    ("PinotSchema", setting("schema.schemaName", DELETE), "spec.schema.schemaName"),
    ("PinotSchema", setting("schema.schemaName", ""), "spec.schema.schemaName"),
    ("PinotSchema", setting("schema", DELETE), "spec.schema"),
    ("PinotSchema", setting("clusterRef", DELETE), "spec.clusterRef: Field required"),
    ("PinotSchema", setting("reload", "yes"), "spec.reload"),
    ("PinotSchema", setting("deletionPolicy", "Purge"), "spec.deletionPolicy"),
    ("PinotTable", setting("table.tableName", DELETE), "spec.table.tableName"),
    ("PinotTable", setting("table.tableType", "HYBRID"), "spec.table.tableType"),
    ("PinotTable", setting("table.tableType", DELETE), "spec.table.tableType"),
    ("PinotTable", setting("table.tableName", "events_REALTIME"), "spec.table.tableName"),
    (
        "PinotTable",
        setting("table.segmentsConfig.schemaName", "clicks"),
        "spec.table.segmentsConfig.schemaName",
    ),
    ("PinotTable", setting("schemaRef", DELETE), "spec.schemaRef: Field required"),
    ("PinotTable", setting("clusterRef.name", ""), "spec.clusterRef.name"),
    ("PinotTable", setting("force", 1), "spec.force"),
    ("PinotTenant", setting("tenant.numberOfInstances", 0), "spec.tenant.numberOfInstances"),
    ("PinotTenant", setting("tenant.numberOfInstances", DELETE), "spec.tenant.numberOfInstances"),
    ("PinotTenant", setting("tenant.offlineInstances", 3), "spec.tenant.numberOfInstances"),
    ("PinotTenant", setting("tenant.tenantRole", "MINION"), "spec.tenant.tenantRole"),
    ("PinotTenant", setting("tenant.tenantName", DELETE), "spec.tenant.tenantName"),
    ("PinotTenant", setting("tenant.realtimeInstances", -1), "spec.tenant.realtimeInstances"),
    ("PinotTenant", setting("clusterRef", DELETE), "spec.clusterRef: Field required"),
]


def broker_tenant(instances: int) -> Edit:
    def edit(spec: JsonObject) -> None:
        spec["tenant"] = {"tenantRole": "BROKER", "tenantName": "analytics", "numberOfInstances": instances}

    return edit


def server_tenant_tagging_nothing(spec: JsonObject) -> None:
    spec["tenant"] = {"tenantRole": "SERVER", "tenantName": "analytics", "numberOfInstances": 2}


BAD_SPECS += [
    ("PinotTenant", broker_tenant(0), "spec.tenant.numberOfInstances"),
    ("PinotTenant", server_tenant_tagging_nothing, "spec.tenant.offlineInstances"),
]


def old_children(kind: str) -> list[JsonObject]:
    """A completed Job (and its ConfigMap) of an earlier, valid spec."""
    first = sync(parent(kind))
    return [job_in(c, "complete") if c["kind"] == "Job" else stored(c) for c in first["children"]]


def assert_invalid(body: JsonObject, field: str, observed: list[JsonObject]) -> None:
    for type_ in ("Ready", "Synced"):
        found = condition(body, type_)
        assert (found["status"], found["reason"]) == ("False", "InvalidSpec")
        assert field in found["message"], found["message"]
    assert body["children"] == sort_children([as_observed(c) for c in observed])
    assert body["resyncAfterSeconds"] == 0
    assert body["finalized"] is False


@pytest.mark.parametrize(("kind", "edit", "field"), BAD_SPECS)
def test_bad_spec_names_the_field_runs_nothing_and_keeps_children(kind: str, edit: Edit, field: str) -> None:
    spec = copy.deepcopy(SPECS[kind])
    edit(spec)
    observed = old_children(kind)
    assert_invalid(sync(parent(kind, spec), observed), field, observed)


@pytest.mark.parametrize(("kind", "edit", "field"), BAD_SPECS[:3])
def test_bad_spec_with_nothing_observed_emits_nothing(kind: str, edit: Edit, field: str) -> None:
    spec = copy.deepcopy(SPECS[kind])
    edit(spec)
    assert_invalid(sync(parent(kind, spec)), field, [])


@pytest.mark.parametrize("kind", ["PinotSchema", "PinotTable", "PinotTenant"])
def test_a_name_too_long_for_its_job_names_is_invalid(kind: str) -> None:
    body = sync(parent(kind, name="n" * 46))
    assert_invalid(body, "metadata.name", [])
    assert "at most 45 characters" in condition(body, "Ready")["message"]


@pytest.mark.parametrize("kind", ["PinotSchema", "PinotTable", "PinotTenant"])
def test_the_longest_allowed_name_gives_job_names_of_at_most_63(kind: str) -> None:
    body = sync(parent(kind, name="n" * 45))
    assert all(len(c["metadata"]["name"]) <= 63 for c in body["children"])
    assert condition(body, "Synced")["reason"] == "Applying"


@pytest.mark.parametrize(
    ("schema_name", "table_name", "segments_name", "field"),
    [
        ("clicks", "events", None, "spec.table.tableName"),
        ("events", "events", "clicks", "spec.table.segmentsConfig.schemaName"),
        ("events_v2", "events_v2", "events", "spec.table.segmentsConfig.schemaName"),
    ],
)
def test_a_table_must_be_named_like_its_schema(
    schema_name: str, table_name: str, segments_name: str | None, field: str
) -> None:
    referenced = schema_cr()
    referenced["spec"]["schema"]["schemaName"] = schema_name
    spec = copy.deepcopy(SPECS["PinotTable"])
    spec["table"]["tableName"] = table_name
    if segments_name is not None:
        spec["table"]["segmentsConfig"]["schemaName"] = segments_name
    else:
        spec["table"]["segmentsConfig"].pop("schemaName", None)
    body = sync(parent("PinotTable", spec), related=[cluster(), referenced])
    assert_invalid(body, field, [])


@pytest.mark.parametrize(
    ("table_name", "pinot_name"),
    [("events", "events_OFFLINE"), ("events_OFFLINE", "events_OFFLINE")],
)
def test_a_table_name_may_carry_its_own_type_suffix(table_name: str, pinot_name: str) -> None:
    spec = copy.deepcopy(SPECS["PinotTable"])
    spec["table"]["tableName"] = table_name
    body = sync(parent("PinotTable", spec))
    assert body["status"]["pinotName"] == pinot_name
    assert condition(body, "Synced")["reason"] == "Applying"


def test_many_errors_are_listed_together() -> None:
    body = sync(parent("PinotTable", {"table": {"tableType": "DAILY"}}))
    message = condition(body, "Ready")["message"]
    for field in (
        "spec.clusterRef: Field required",
        "spec.schemaRef: Field required",
        "spec.table.tableName: Field required",
        "spec.table.tableType: Input should be 'OFFLINE' or 'REALTIME'",
    ):
        assert field in message


def test_an_invalid_spec_keeps_what_the_status_recorded() -> None:
    status = {
        "pinotName": "events",
        "appliedHash": "0123456789",
        "lastOutcome": {"result": "Succeeded", "reason": "Created", "message": "created schema events"},
    }
    spec = copy.deepcopy(SPECS["PinotSchema"])
    del spec["schema"]
    body = sync(parent("PinotSchema", spec, status=status))
    assert {k: body["status"][k] for k in status} == status
