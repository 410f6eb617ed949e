"""Which tables a set of tags binds, how many instances each needs, and where their segments are.

A table binds servers through tags (pinot-membership.md §2, §5.0): `<tenants.server>_OFFLINE` or
`_REALTIME`, `tenants.tagOverrideConfig.realtimeConsuming`/`realtimeCompleted`, the tag pool of each
`instanceAssignmentConfigMap` entry and each `tierConfigs[].serverTag`. It needs as many instances per
tag as its replication (REALTIME: `replicasPerPartition` when set), or `numReplicaGroups x
numInstancesPerReplicaGroup` with replica groups, and a dimension table one. Brokers are bound through
`<tenants.broker>_BROKER` and need one.

Where segments are is read per table from the ideal state and the external view (`GET
/tables/{raw}/idealstate|externalview?tableType=`), which both 0.11 and 1.x answer alike.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from hooks.pinotapi.client import PinotController
from hooks.pinotapi.instances import expect

__all__ = ["Assignment", "TableBinding", "broker_tables", "read_assignment", "read_bindings"]

TABLE_TYPES: Final = ("OFFLINE", "REALTIME")
DEFAULT_TENANT: Final = "DefaultTenant"
SPARE_MARKER: Final = "controlplane.originalReplication"

SegmentMap = dict[str, dict[str, str]]


@dataclass(frozen=True)
class TableBinding:
    name: str  # with its type, e.g. events_OFFLINE
    raw: str
    table_type: str
    server_tags: frozenset[str]
    broker_tag: str
    required: int  # instances each server tag needs
    replication: int  # as the user set it (while a spare copy is in place, the recorded original)
    plain: bool = True  # placed by tag alone: no instance assignment, tiers, tag overrides, dimension

    def binds(self, tags: Iterable[str]) -> bool:
        return not self.server_tags.isdisjoint(tags)


def _number(value: Any) -> int:
    if isinstance(value, bool):
        return 0
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return 0


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def binding(name: str, raw: str, table_type: str, config: Mapping[str, Any]) -> TableBinding:
    tenants = _object(config.get("tenants"))
    server = tenants.get("server") or DEFAULT_TENANT
    broker = tenants.get("broker") or DEFAULT_TENANT
    tags = {f"{server}_{table_type}"}
    override = tenants.get("tagOverrideConfig")
    if isinstance(override, dict):
        tags |= {str(v) for k, v in override.items() if k in ("realtimeConsuming", "realtimeCompleted") and v}
    segments = _object(config.get("segmentsConfig"))
    replication = max(_number(segments.get("replication")), 1)
    if table_type == "REALTIME" and _number(segments.get("replicasPerPartition")) > 0:
        replication = _number(segments.get("replicasPerPartition"))
    required = replication
    assignment = config.get("instanceAssignmentConfigMap")
    for entry in assignment.values() if isinstance(assignment, dict) else ():
        if not isinstance(entry, dict):
            continue
        pool = entry.get("tagPoolConfig")
        if isinstance(pool, dict) and pool.get("tag"):
            tags.add(str(pool["tag"]))
        groups = entry.get("replicaGroupPartitionConfig")
        if isinstance(groups, dict) and groups.get("replicaGroupBased"):
            product = _number(groups.get("numReplicaGroups")) * _number(
                groups.get("numInstancesPerReplicaGroup")
            )
            required = max(required, product)
    tiers = config.get("tierConfigs")
    for tier in tiers if isinstance(tiers, list) else ():
        if isinstance(tier, dict) and tier.get("serverTag"):
            tags.add(str(tier["serverTag"]))
    if config.get("isDimTable") is True:
        required = 1
    recorded = recorded_replication(config)
    if recorded is not None:
        replication = required = recorded
    plain = not (
        override
        or assignment
        or config.get("instancePartitionsMap")
        or tiers
        or config.get("isDimTable") is True
    )
    return TableBinding(
        name, raw, table_type, frozenset(tags), f"{broker}_BROKER", required, replication, plain
    )


def recorded_replication(config: Mapping[str, Any]) -> int | None:
    """The replication recorded while a spare copy is in place (`spare.py`), or None."""
    values = _object(_object(config.get("customConfig")).get("customConfigs"))
    value = values.get(SPARE_MARKER)
    return int(value) if isinstance(value, str) and value.isdigit() else None


def read_bindings(controller: PinotController) -> list[TableBinding]:
    """Every table of the cluster with what binds it, in name order."""
    found = []
    for table_type in TABLE_TYPES:
        body = expect(
            controller.get(("tables",), {"type": table_type.lower()}), f"listing {table_type} tables"
        )
        names = body.get("tables") if isinstance(body, dict) else None
        for name in sorted(str(n) for n in names) if isinstance(names, list) else ():
            raw = name[: -len(table_type) - 1] if name.endswith("_" + table_type) else name
            reply = controller.get(("tables", raw), {"type": table_type.lower()})
            if reply.status == 404:  # deleted since it was listed
                continue
            config = expect(reply, f"reading table {name}")
            half = config.get(table_type) if isinstance(config, dict) else None
            if isinstance(half, dict):
                found.append(binding(name, raw, table_type, half))
    return found


def _segment_map(controller: PinotController, table: TableBinding, view: str) -> SegmentMap:
    reply = controller.get(("tables", table.raw, view), {"tableType": table.table_type.lower()})
    if reply.status == 404:
        return {}
    body = expect(reply, f"reading the {view} of {table.name}")
    half = body.get(table.table_type) if isinstance(body, dict) else None
    if not isinstance(half, dict):
        return {}
    return {
        str(seg): {str(i): str(s) for i, s in states.items()}
        for seg, states in half.items()
        if isinstance(states, dict)
    }


@dataclass(frozen=True)
class Assignment:
    """One table's ideal state and external view."""

    table: TableBinding
    ideal: SegmentMap
    external: SegmentMap

    def holding(self, instances: Iterable[str]) -> set[str]:
        """Those of `instances` the ideal state or the external view still names."""
        wanted = set(instances)
        named = {i for states in (*self.ideal.values(), *self.external.values()) for i in states}
        return wanted & named

    def segments_on(self, instance: str) -> int:
        return sum(1 for states in self.ideal.values() if instance in states)

    @property
    def converged(self) -> bool:
        """Pinot's own test: every entry of the ideal state that is not OFFLINE has that state in the
        external view. An ERROR is not convergence."""
        for seg, states in self.ideal.items():
            seen = self.external.get(seg, {})
            for instance, state in states.items():
                if state != "OFFLINE" and seen.get(instance) != state:
                    return False
        return True

    @property
    def errors(self) -> list[str]:
        return sorted(
            f"{seg} on {i}"
            for seg, states in self.external.items()
            for i, s in states.items()
            if s == "ERROR"
        )


def read_assignment(controller: PinotController, table: TableBinding) -> Assignment:
    return Assignment(
        table, _segment_map(controller, table, "idealstate"), _segment_map(controller, table, "externalview")
    )


def broker_tables(controller: PinotController, helix_cluster: str) -> dict[str, set[str]]:
    """brokerResource's ideal state: the brokers each table is served by."""
    path = f"/{helix_cluster}/IDEALSTATES/brokerResource"
    reply = controller.get(("zk", "get"), {"path": path})
    if reply.status in (204, 404) or reply.body is None:
        return {}
    body = expect(reply, f"reading {path}")
    fields = body.get("mapFields") if isinstance(body, dict) else None
    if not isinstance(fields, dict):
        return {}
    return {str(t): {str(b) for b in brokers} for t, brokers in fields.items() if isinstance(brokers, dict)}
