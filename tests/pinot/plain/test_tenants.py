"""Tenant Jobs against the real controller: one Pinot refuses for lack of untagged servers, one it accepts.

Pinot builds a tenant by retagging *untagged* instances. The cluster's only server joined with the
default tenant's tags (``cluster.tenant.isolation.enable`` is not rendered, so it is true), so the
module first retags it ``server_untagged`` through the REST API (pinot-operations.md §3), and gives it
its default tags back at the end.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ..documents import example_spec, offline_table, schema, schema_spec, table_spec, tenant_spec
from ..jobs import JobRunner
from ..rest import PinotRest

DEFAULT_TAGS = ["DefaultTenant_OFFLINE", "DefaultTenant_REALTIME"]
TENANT = {"tenantRole": "SERVER", "tenantName": "analytics", "numberOfInstances": 1, "offlineInstances": 1}


@pytest.fixture(scope="module")
def server(rest: PinotRest) -> Iterator[str]:
    """The server's instance id, untagged for the module's tests."""
    (instance,) = [i for i in rest.instances() if i.startswith("Server_")]
    assert rest.tags(instance) == DEFAULT_TAGS
    assert rest.put(f"/instances/{instance}/updateTags", tags="server_untagged").status_code == 200
    assert rest.tags(instance) == ["server_untagged"]
    yield instance
    answer = rest.put(f"/instances/{instance}/updateTags", tags=",".join(DEFAULT_TAGS))
    assert answer.status_code == 200, answer.text
    assert rest.tags(instance) == DEFAULT_TAGS


def test_a_tenant_larger_than_the_untagged_servers_is_refused(
    jobs: JobRunner, rest: PinotRest, server: str
) -> None:
    example = example_spec("tenant.yaml")["tenant"]  # two servers: one offline, one realtime
    assert example["numberOfInstances"] == 2

    result = jobs.apply("tenant", tenant_spec(example))

    # Pinot answers 500, which the CLI retries like any 5xx (four retries, about 7.5 s of back-off)
    # before it reports the shortage: most of this module's time.
    assert (result.exit_code, result.reason) == (1, "InsufficientInstances"), result
    assert result.outcome["httpStatus"] == 500
    assert "(Pinot: Failed to create tenant)" in result.message  # Pinot's words, after ours
    assert rest.status("/tenants/analytics", type="server") == 404
    assert rest.tags(server) == ["server_untagged"]


def test_a_table_of_a_tenant_not_yet_created_waits_for_it(jobs: JobRunner, rest: PinotRest) -> None:
    document = offline_table("visits")
    document["tenants"]["server"] = "analytics"
    assert jobs.apply("schema", schema_spec(schema("visits"))).reason == "Created"

    result = jobs.apply("table", table_spec(document))

    # Retried, not refused: applied together, the table may run before its tenant.
    assert (result.exit_code, result.reason) == (1, "InsufficientInstances"), result
    assert "Failed to find instances with tag: analytics_OFFLINE" in result.message  # Pinot's words
    assert rest.table("visits", "OFFLINE") is None


def test_a_tenant_pinot_can_build_is_created(jobs: JobRunner, rest: PinotRest, server: str) -> None:
    result = jobs.apply("tenant", tenant_spec(TENANT))

    assert (result.exit_code, result.reason) == (0, "Created"), result
    assert result.message.startswith("Successfully created tenant")
    held = rest.json("/tenants/analytics", type="server")
    assert held["OfflineServerInstances"] == [server]
    assert held["RealtimeServerInstances"] == []
    assert rest.tags(server) == ["analytics_OFFLINE"]

    again = jobs.apply("tenant", tenant_spec(TENANT))
    assert (again.exit_code, again.reason) == (0, "Unchanged"), again
    assert rest.tags(server) == ["analytics_OFFLINE"]


def test_a_table_can_use_the_tenant(jobs: JobRunner, rest: PinotRest, server: str) -> None:
    document = offline_table("visits")
    document["tenants"]["server"] = "analytics"

    result = jobs.apply("table", table_spec(document))

    assert (result.exit_code, result.reason) == (0, "Created"), result
    held = rest.table("visits", "OFFLINE")
    assert held is not None and held["tenants"]["server"] == "analytics"
    assert rest.json("/tenants/analytics/tables", type="server")["tables"] == ["visits_OFFLINE"]
    assert jobs.delete("table", table_spec(document)).reason == "Deleted"
    assert jobs.delete("schema", schema_spec(schema("visits"))).reason == "Deleted"


def test_delete_gives_the_server_back(jobs: JobRunner, rest: PinotRest, server: str) -> None:
    result = jobs.delete("tenant", tenant_spec(TENANT))

    assert result.argv[:6] == ["delete", "tenant", "--name", "analytics", "--role", "SERVER"]
    assert (result.exit_code, result.reason) == (0, "Deleted"), result
    assert rest.status("/tenants/analytics", type="server") == 404
    assert rest.tags(server) == ["server_untagged"]

    again = jobs.delete("tenant", tenant_spec(TENANT))
    assert (again.exit_code, again.reason) == (0, "AlreadyAbsent"), again
