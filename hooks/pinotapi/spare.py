"""A spare copy for a table of replication 1 while its segments move, so that none is ever unserved.

Pinot moves a segment of a one-replica table in one step: the old instance drops it while the new one
loads it, and queries meanwhile miss it (error 305). Its no-downtime rebalance keeps a current replica
only when the target has more than `minAvailableReplicas` replicas (pinot-membership.md §3.3), so the
way to keep a replica up is to have two for the time of the move:

1. raise the table's replication to `spare` (recording the original in the table's own config,
   `customConfig.customConfigs[MARKER]`, so that a run cut short and started again restores it);
2. rebalance: every segment gains replicas, its current one kept until they serve;
3. (for a drain: mark the leaving instances, so no replica stays on them);
4. restore the recorded replication and rebalance: each segment keeps one of the replicas it has.

Only plain OFFLINE tables get a spare: real-time, dimension, tiered and instance-assignment tables
are rebalanced as they are (their replicas follow other rules). The table config is PUT back as Pinot
served it, with only the replication and the marker changed.
"""

from __future__ import annotations

from hooks.pinotapi.assignment import SPARE_MARKER as MARKER
from hooks.pinotapi.assignment import TableBinding, recorded_replication
from hooks.pinotapi.client import PinotController
from hooks.pinotapi.instances import PinotAnswerError, expect

__all__ = ["MARKER", "set_replication", "spare_eligible"]


def spare_eligible(table: TableBinding) -> bool:
    return table.table_type == "OFFLINE" and table.replication == 1 and table.plain


def set_replication(controller: PinotController, table: TableBinding, replication: int) -> None:
    """Set the table's replication; a value other than the original records the original."""
    path = ("tables", table.raw)
    reply = controller.get(path, {"type": table.table_type.lower()})
    body = expect(reply, f"reading table {table.name}")
    config = body.get(table.table_type) if isinstance(body, dict) else None
    if not isinstance(config, dict):
        raise PinotAnswerError(reply, f"reading table {table.name}")
    original = recorded_replication(config) or table.replication
    segments = config.setdefault("segmentsConfig", {})
    custom = config.setdefault("customConfig", {})
    values = custom.setdefault("customConfigs", {})
    wanted_marker = None if replication == original else str(original)
    if segments.get("replication") == str(replication) and values.get(MARKER) == wanted_marker:
        return
    segments["replication"] = str(replication)
    if wanted_marker is None:
        values.pop(MARKER, None)
    else:
        values[MARKER] = wanted_marker
    written = controller.put(path, config)
    if not written.ok:
        raise PinotAnswerError(written, f"setting the replication of {table.name} to {replication}")
