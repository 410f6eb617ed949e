"""What a run waits for: its PinotCluster (Ready, with a controller Service) and, for a table, its
PinotSchema (Synced for its current generation). Read from the related objects only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from hooks import API_VERSION
from hooks.cluster.finalize import holds_for_resources
from hooks.conditions import find, is_true
from hooks.contract import Observed, as_list, as_object
from hooks.membership.tags import claimed_by
from hooks.refusals import SpecError
from hooks.resources.runs import Connection
from hooks.resources.table import SchemaRequirement

CLUSTER = (API_VERSION, "PinotCluster")
SCHEMA = (API_VERSION, "PinotSchema")


@dataclass(frozen=True)
class Blocked:
    """A gate that is closed: the condition reason and what it waits for."""

    reason: str
    message: str


@dataclass(frozen=True)
class ClusterView:
    """The referenced cluster as far as a run is concerned.

    `connection` is known as soon as the cluster publishes its controller Service, even while it is
    not Ready: a run already under way for that connection is kept (a flickering gate never
    re-runs it), while a new run waits for `blocked` to clear.
    """

    present: bool
    deleting: bool
    connection: Connection | None
    blocked: Blocked | None
    holding: bool = False  # being deleted, but keeping its controller for its resources' delete Jobs


def cluster_view(name: str, namespace: str, related: Observed) -> ClusterView:
    cluster = related.get(*CLUSTER, name)
    if cluster is None:
        return ClusterView(
            False,
            False,
            None,
            Blocked(
                "ClusterNotFound",
                f"PinotCluster {name!r} (spec.clusterRef.name) does not exist in namespace {namespace!r}",
            ),
        )
    status = as_object(cluster.get("status"))
    url = status.get("controllerService")
    secret = as_object(as_object(as_object(cluster.get("spec")).get("auth")).get("secretRef")).get("name")
    connection = (
        Connection(url, secret if isinstance(secret, str) else "") if isinstance(url, str) and url else None
    )
    deleting = bool((cluster.get("metadata") or {}).get("deletionTimestamp"))
    blocked: Blocked | None = None
    if deleting:
        blocked = Blocked("ClusterNotReady", f"PinotCluster {name!r} is being deleted")
    elif not is_true(status, "Ready"):
        ready = (
            find(status.get("conditions"), "Ready") if isinstance(status.get("conditions"), list) else None
        )
        said = f": {ready.get('reason')}: {ready.get('message')}" if ready else ""
        blocked = Blocked("ClusterNotReady", f"waiting for PinotCluster {name!r} to be Ready{said}")
    elif connection is None:
        blocked = Blocked(
            "ClusterNotReady", f"waiting for PinotCluster {name!r} to publish status.controllerService"
        )
    return ClusterView(True, deleting, connection, blocked, deleting and holds_for_resources(cluster))


def schema_gate(requirement: SchemaRequirement, related: Observed) -> Blocked | list[SpecError] | None:
    """None when the table may run; spec errors when its names do not match the schema's."""
    schema = related.get(*SCHEMA, requirement.ref)
    waiting = f"waiting for PinotSchema {requirement.ref!r} (spec.schemaRef.name)"
    if schema is None:
        return Blocked("SchemaNotReady", f"{waiting}: it does not exist")
    schema_name = as_object(as_object(schema.get("spec")).get("schema")).get("schemaName")
    if not isinstance(schema_name, str) or not schema_name:
        return Blocked("SchemaNotReady", f"{waiting}: it has no spec.schema.schemaName")
    errors = [
        SpecError(
            field, f"{value!r} must equal the schemaName {schema_name!r} of PinotSchema {requirement.ref!r}"
        )
        for field, value in requirement.names
        if value != schema_name
    ]
    if errors:
        return errors
    if not _synced_now(schema):
        synced = find(as_list(as_object(schema.get("status")).get("conditions")), "Synced")
        said = f": {synced.get('reason')}: {synced.get('message')}" if synced else ""
        return Blocked("SchemaNotReady", f"{waiting} to be Synced for generation {_generation(schema)}{said}")
    return None


def _synced_now(schema: Mapping[str, Any]) -> bool:
    status = as_object(schema.get("status"))
    if not is_true(status, "Synced"):
        return False
    synced = find(as_list(status.get("conditions")), "Synced") or {}
    seen = synced.get("observedGeneration", status.get("observedGeneration"))
    return bool(seen == _generation(schema))


def _generation(obj: Mapping[str, Any]) -> Any:
    return (obj.get("metadata") or {}).get("generation")


def pool_claim(tenant_role: str, tenant: str, cluster_name: str, related: Observed) -> Blocked | None:
    """A PinotTenant whose tenant a pool of its cluster names: the pool owns those instances' tags
    (`hooks.membership.tags.claimed_by`), and the PinotTenant stands aside, in Pinot and in status."""
    cluster = related.get(*CLUSTER, cluster_name)
    found = claimed_by(as_object((cluster or {}).get("spec")).get("pools"), tenant_role, tenant)
    if found is None:
        return None
    index, pool = found
    return Blocked(
        "ManagedByPool",
        f"tenant {tenant!r} ({tenant_role.upper()}) is served by pool {pool!r} of PinotCluster "
        f"{cluster_name!r} (spec.pools[{index}]): the pool owns its instances' tags, so this PinotTenant "
        "changes nothing in Pinot; delete it, or take the tenant out of the pool",
    )
