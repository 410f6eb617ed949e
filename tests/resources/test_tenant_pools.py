"""PinotTenant and pools: a pool that names a tenant owns its instances' tags; a PinotTenant of that
tenant stands aside (Ready=False, ManagedByPool) and never runs a Job, neither to apply nor to delete."""

from __future__ import annotations

from typing import Any

import pytest

from tests.resources.builders import cluster, condition, finalize, of_kind, parent, sync

JsonObject = dict[str, Any]


def cluster_with(*pools: JsonObject) -> JsonObject:
    found = cluster()
    found["spec"]["pools"] = [{"name": "controllers", "role": "controller"}, *pools]
    return found


def tenant(role: str = "SERVER", name: str = "analytics") -> JsonObject:
    obj = parent("PinotTenant")
    obj["spec"]["tenant"]["tenantRole"] = role
    obj["spec"]["tenant"]["tenantName"] = name
    if role == "BROKER":
        obj["spec"]["tenant"] = {"tenantRole": role, "tenantName": name, "numberOfInstances": 1}
    return obj


@pytest.mark.parametrize(
    ("role", "pool"),
    [
        ("SERVER", {"name": "hot", "role": "server", "tenant": "analytics"}),
        ("SERVER", {"name": "rt", "role": "server", "tags": ["analytics_REALTIME"]}),
        ("BROKER", {"name": "edge", "role": "broker", "tenant": "analytics"}),
    ],
)
def test_a_tenant_a_pool_names_is_left_to_the_pool(role: str, pool: JsonObject) -> None:
    body = sync(tenant(role), related=[cluster_with(pool)])

    ready = condition(body, "Ready")
    assert (ready["status"], ready["reason"]) == ("False", "ManagedByPool")
    assert f"is served by pool {pool['name']!r} of PinotCluster 'pinot' (spec.pools[1])" in ready["message"]
    assert of_kind(body["children"], "Job") == []


@pytest.mark.parametrize(
    "pool",
    [
        {"name": "hot", "role": "server", "tenant": "other"},
        {"name": "hot", "role": "server"},  # names no tenant: Pinot's tags, the PinotTenant's to manage
        {"name": "edge", "role": "broker", "tenant": "analytics"},  # a broker tenant, not a server one
    ],
)
def test_a_tenant_no_pool_names_is_the_pinot_tenants(pool: JsonObject) -> None:
    body = sync(tenant("SERVER"), related=[cluster_with(pool)])

    assert len(of_kind(body["children"], "Job")) == 1


def test_deleting_a_tenant_a_pool_serves_deletes_nothing_in_pinot() -> None:
    obj = tenant("SERVER")
    obj["spec"]["deletionPolicy"] = "Delete"
    obj["metadata"]["deletionTimestamp"] = "2026-11-25T11:30:00Z"

    body = finalize(obj, related=[cluster_with({"name": "hot", "role": "server", "tenant": "analytics"})])

    assert body["finalized"] is True
    assert of_kind(body["children"], "Job") == []
    assert condition(body, "Ready")["message"].startswith("nothing was deleted in Pinot: tenant 'analytics'")
