"""What a membership Job makes true about one pool's instances in Pinot (pinot-membership.md §5).

A pool's instances are split by ordinal: those below `keep` belong to it, those at or above leave.

- `tag`: every pod below `keep` has a live instance; each carries the pool's tags (when the pool names
  any), or what it carried before it was marked leaving (when it names none). A change that takes a
  tag away is refused when a table would be left with fewer instances of it than it needs.
- `rebalance` (servers): the tables bound to the tags of the pool's instances, and those that still
  have segments on them, are rebalanced without downtime, one after the other.
- `drain`: the leaving instances are checked (no table may be left with fewer servers of a tag than
  it needs, unless forced), marked leaving (`instances.LEAVING_SUFFIX`), and Pinot moves everything
  off them: servers' segments by rebalance, brokers out of the broker resource, minions finish
  their running subtasks. Done only when Pinot reports them empty.
- `drop`: once the leaving instances are no longer live (their pods are gone), `DELETE
  /instances/{id}`.

Each operation is idempotent: a run that was cut short is simply run again.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Final

from hooks.pinotapi.assignment import (
    TableBinding,
    broker_tables,
    read_assignment,
    read_bindings,
)
from hooks.pinotapi.client import ControllerUnreachable, PinotController
from hooks.pinotapi.instances import (
    LEAVING_SUFFIX,
    Instance,
    PinotAnswerError,
    PoolIdentity,
    all_instance_ids,
    expect,
    instance_tags,
    parked,
    read_instances,
    unparked,
    update_tags,
)
from hooks.pinotapi.outcome import Outcome, Reason
from hooks.pinotapi.rebalance import Rebalanced, Waiter, rebalance_table, wait_until_off, would_move
from hooks.pinotapi.spare import set_replication, spare_eligible
from hooks.pinotapi.verdicts import failure, unreachable

__all__ = ["OPERATIONS", "MembershipRequest", "run_membership"]

OPERATIONS: Final = ("tag", "rebalance", "drain", "drop")
BUSY_SUBTASK_STATES: Final = frozenset({"INIT", "RUNNING"})
MAX_LISTED: Final = 6


@dataclass(frozen=True)
class MembershipRequest:
    operation: str
    pool: PoolIdentity
    helix_cluster: str
    keep: int
    tags: tuple[str, ...] | None  # the pool's tags; None: the pool names none
    force: bool = False

    @property
    def name(self) -> str:
        return self.pool.statefulset


def run_membership(controller: PinotController, request: MembershipRequest, waiter: Waiter) -> Outcome:
    operations: dict[str, Callable[[PinotController, MembershipRequest, Waiter], _Operation]] = {
        "tag": _Tag,
        "rebalance": _Rebalance,
        "drain": _Drain,
        "drop": _Drop,
    }
    operation = operations[request.operation]
    try:
        return operation(controller, request, waiter).run()
    except ControllerUnreachable as error:
        return unreachable(request.name, error)
    except PinotAnswerError as error:
        shown = failure(error.reply, request.name)
        return Outcome.failed(shown.reason, request.name, f"{error.doing}: {shown.message}", shown.httpStatus)


def _carried(tags: Iterable[str]) -> set[str]:
    """The tags an instance serves with: those not marked leaving."""
    return {tag for tag in tags if not tag.endswith(LEAVING_SUFFIX)}


def _listed(names: Iterable[str]) -> str:
    items = sorted(names)
    shown = ", ".join(items[:MAX_LISTED])
    return shown + (f" and {len(items) - MAX_LISTED} more" if len(items) > MAX_LISTED else "")


class _Operation(ABC):
    """One membership operation (tag, rebalance, drain, drop) on one pool."""

    def __init__(self, controller: PinotController, request: MembershipRequest, waiter: Waiter) -> None:
        self.controller = controller
        self.request = request
        self.pool = request.pool
        self.waiter = waiter
        self.role = request.pool.role

    @abstractmethod
    def run(self) -> Outcome: ...

    def instances(self) -> list[Instance]:
        return read_instances(self.controller, self.pool, self.request.helix_cluster)

    def staying(self, instances: Sequence[Instance]) -> list[Instance]:
        return [i for i in instances if i.ordinal < self.request.keep]

    def leaving(self, instances: Sequence[Instance]) -> list[Instance]:
        return [i for i in instances if i.ordinal >= self.request.keep]

    def succeeded(self, reason: Reason, message: str, view: dict[str, int]) -> Outcome:
        return Outcome.succeeded(reason, self.request.name, message).with_view(view)

    def failed(self, reason: Reason, message: str, view: dict[str, int]) -> Outcome:
        return Outcome.failed(reason, self.request.name, message).with_view(view)

    def everyone_else(self, excluded: set[str]) -> dict[str, set[str]]:
        """The current tags of every instance of the cluster not in `excluded` (all pools, all roles)."""
        tags = {}
        for instance_id in all_instance_ids(self.controller):
            if instance_id in excluded:
                continue
            found = instance_tags(self.controller, instance_id)
            if found is not None:
                tags[instance_id] = set(found)
        return tags

    def rebalance(
        self, tables: Sequence[TableBinding], leaving: set[str], spared: frozenset[str] = frozenset()
    ) -> list[Rebalanced]:
        """Rebalance each table in turn. One whose tags fewer instances carry than it needs is not
        asked for (Pinot would refuse it: "There are less instances ... than the table replication").
        A plain table of replication 1 moves with a spare copy (`spare.py`) when two instances carry
        its tag; `spared` names those whose spare copy is in place already (a drain's)."""
        carried = self.everyone_else(set())
        results = []
        for table in tables:
            counts = {
                tag: sum(1 for held in carried.values() if tag in held) for tag in sorted(table.server_tags)
            }
            short = [
                f"{table.required} instance(s) tagged {tag}, {n} carry it"
                for tag, n in counts.items()
                if n < table.required
            ]
            if short:
                message = f"{table.name}: cannot be spread: it needs {'; '.join(short)}"
                results.append(Rebalanced(table.name, False, False, message, short=True))
            elif table.name in spared:
                results.append(self.without_spare(table, min(counts.values(), default=0) >= 2, leaving))
            elif (
                spare_eligible(table)
                and min(counts.values(), default=0) >= 2
                and not leaving
                and would_move(self.controller, table)
            ):
                results.append(self.with_spare(table, 2))
            else:
                results.append(rebalance_table(self.controller, table, self.waiter, leaving))
        return results

    def with_spare(self, table: TableBinding, copies: int) -> Rebalanced:
        """Move a replication-1 table's segments with `copies` replicas each meanwhile, then one."""
        before = read_assignment(self.controller, table).ideal
        set_replication(self.controller, table, copies)
        spread = rebalance_table(self.controller, table, self.waiter, keep=1)
        if not spread.ok:
            return spread  # the spare stays recorded in the table: the next run carries on
        settled = self.without_spare(table, False, set())
        moved = read_assignment(self.controller, table).ideal != before
        count = len(read_assignment(self.controller, table).ideal)
        done = "segments moved" if moved else "already balanced"
        message = f"{table.name}: {done} ({count} segments, a spare copy each meanwhile)"
        return replace(settled, moved=moved, message=message if settled.ok else settled.message)

    def without_spare(self, table: TableBinding, through_two: bool, leaving: set[str]) -> Rebalanced:
        """Back to the table's own replication. A drain with two servers or more staying goes through
        two replicas first, keeping one up, so that every segment's replicas are on servers that stay;
        the last step to one replica keeps one of those, unless Pinot's balancing picks a third server
        (possible only with three or more servers of the tenant)."""
        if through_two:
            set_replication(self.controller, table, 2)
            halfway = rebalance_table(self.controller, table, self.waiter, leaving, keep=1)
            if not halfway.ok:
                return halfway
        set_replication(self.controller, table, table.replication)
        return rebalance_table(self.controller, table, self.waiter, leaving)

    def shortfalls(
        self, changes: dict[str, tuple[set[str], set[str]]], bindings: Sequence[TableBinding]
    ) -> list[str]:
        """Tables left short of a tag when each instance of `changes` goes from its tags before to after.

        Every other instance of the cluster counts with the tags it carries now (one marked leaving
        carries none)."""
        carried = self.everyone_else(set(changes))
        carried |= {instance: after for instance, (_, after) in changes.items()}
        lost = {tag for before, after in changes.values() for tag in before - after}
        found = []
        for table in bindings:
            tags, need = (
                ({table.broker_tag} & lost, 1)
                if self.role == "BROKER"
                else (table.server_tags & lost, table.required)
            )
            for tag in sorted(tags):
                remaining = sum(1 for held in carried.values() if tag in held)
                if remaining < need:
                    found.append(
                        f"{table.name} needs {need} instance(s) tagged {tag} and {remaining} would remain"
                    )
        return found


class _Tag(_Operation):
    def run(self) -> Outcome:
        wanted = self.request.keep
        while True:
            instances = self.staying(self.instances())
            live = [i for i in instances if i.live]
            registered = {i.ordinal for i in live}
            missing = [self.pool.pod(o) for o in range(wanted) if o not in registered]
            if not missing:
                break
            if self.waiter.expired:
                return self.failed(
                    "NotRegistered",
                    f"no live Pinot instance for pod(s) {_listed(missing)} of {self.request.name}",
                    {"instances": wanted, "registered": len(registered)},
                )
            self.waiter.pause()
        changes = {i.id: (i, self.desired(i)) for i in live if set(self.desired(i)) != set(i.tags)}
        shifts = {i.id: (_carried(i.tags), set(tags)) for i, tags in changes.values()}
        if any(before - after for before, after in shifts.values()) and not self.request.force:
            short = self.shortfalls(shifts, read_bindings(self.controller))
            if short:
                return self.failed(
                    "ScaleInBlocked",
                    f"retagging {self.request.name} would take tags away that tables need: "
                    + "; ".join(short),
                    {"instances": wanted, "registered": wanted, "tagged": wanted - len(changes)},
                )
        said = []
        for instance, tags in changes.values():
            reply = update_tags(self.controller, instance, tags)
            if not reply.ok:
                raise PinotAnswerError(reply, f"tagging {instance.id}")
            said.append(reply.message)
        view = {"instances": wanted, "registered": wanted, "tagged": wanted}
        if not changes:
            return self.succeeded("Unchanged", f"{wanted} instance(s) registered, tags as wanted", view)
        return self.succeeded("Tagged", "; ".join(said), view)

    def desired(self, instance: Instance) -> list[str]:
        if self.request.tags is not None:
            return sorted(self.request.tags)
        return unparked(instance.tags)


class _Rebalance(_Operation):
    def run(self) -> Outcome:
        mine = [i for i in self.staying(self.instances()) if not i.leaving]
        ids = {i.id for i in mine}
        tags = {tag for i in mine for tag in i.tags}
        bindings = read_bindings(self.controller)
        holding = {t.name for t in bindings if t.binds(tags)}
        holding |= {t.name for t in bindings if read_assignment(self.controller, t).holding(ids)}
        results = self.rebalance([t for t in bindings if t.name in holding], set())
        view = self.view(bindings, ids)
        short = [r for r in results if r.short]
        if short and all(r.ok or r.short for r in results):
            # Tables the tenant has too few servers for cannot be spread; the pool itself is done.
            view["unbalancedTables"] = len(short)
            outcome = _summary(self, [r for r in results if not r.short], "Rebalanced", "Balanced", view)
            message = f"{'; '.join(r.message for r in short)}; {outcome.message}"
            return self.succeeded(outcome.reason, message, view)
        return _summary(self, results, "Rebalanced", "Balanced", view)

    def view(self, bindings: Sequence[TableBinding], ids: set[str]) -> dict[str, int]:
        assignments = [read_assignment(self.controller, t) for t in bindings]
        return {
            "instances": len(ids),
            "holdingSegments": sum(1 for i in ids if any(a.segments_on(i) for a in assignments)),
            "segments": sum(a.segments_on(i) for a in assignments for i in ids),
        }


class _Drain(_Operation):
    def run(self) -> Outcome:
        leaving = self.leaving(self.instances())
        if not leaving:
            return self.succeeded("Drained", f"no instance of {self.request.name} leaves", {"leaving": 0})
        ids = {i.id for i in leaving}
        bindings = read_bindings(self.controller)
        tags = {tag for i in leaving for tag in unparked(i.tags)}
        short = self.shortfalls({i.id: (set(unparked(i.tags)), set()) for i in leaving}, bindings)
        if short and not self.request.force:
            kept = "; their tags are unchanged" if not any(i.leaving for i in leaving) else ""
            message = (
                f"removing {_listed(i.id for i in leaving)} would leave tables short of instances: "
                f"{'; '.join(short)}{kept}"
            )
            return self.failed("ScaleInBlocked", message, {"leaving": len(ids)})
        spared: frozenset[str] = frozenset()
        if self.role == "SERVER" and not any(i.leaving for i in leaving):
            spared, failed = self.spare_copies(leaving, bindings)
            if failed:  # nothing is marked yet: the next run tries again
                return _summary(self, failed, "Drained", "Drained", {"leaving": len(ids)})
        for instance in leaving:
            if not instance.tags or not all(tag.endswith(LEAVING_SUFFIX) for tag in instance.tags):
                reply = update_tags(
                    self.controller, instance, parked(instance.tags) or ["untagged" + LEAVING_SUFFIX]
                )
                if not reply.ok:
                    raise PinotAnswerError(reply, f"marking {instance.id} leaving")
        if self.role == "SERVER":
            return self.drain_servers(ids, tags, bindings, spared)
        if self.role == "BROKER":
            return self.drain_brokers(ids)
        return self.drain_minions(ids)

    def spare_copies(
        self, leaving: Sequence[Instance], bindings: Sequence[TableBinding]
    ) -> tuple[frozenset[str], list[Rebalanced]]:
        """Before the leaving servers are marked, every plain replication-1 table with segments on them
        gets 1 + (leaving servers of its tag) replicas, so that one at least is on a server that stays
        (`spare.py`). The tables spread so, and the rebalances that failed."""
        ids = {i.id for i in leaving}
        spared, failed = set(), []
        for table in bindings:
            if not spare_eligible(table) or not read_assignment(self.controller, table).holding(ids):
                continue
            going = sum(1 for i in leaving if table.binds(unparked(i.tags)))
            set_replication(self.controller, table, 1 + going)
            spread = rebalance_table(self.controller, table, self.waiter, keep=1)
            if spread.ok:
                spared.add(table.name)
            else:
                failed.append(spread)
        return frozenset(spared), failed

    def drain_servers(
        self, ids: set[str], tags: set[str], bindings: Sequence[TableBinding], spared: frozenset[str]
    ) -> Outcome:
        assignments = {t.name: read_assignment(self.controller, t) for t in bindings}
        affected = [t for t in bindings if t.binds(tags) or assignments[t.name].holding(ids)]
        results = self.rebalance(affected, ids, spared)
        refused = [r for r in results if r.short]
        if refused and self.request.force:
            # Forced: a table Pinot cannot place elsewhere stays where it is; the rest moves.
            settled = {r.table for r in results if r.ok}
            still = wait_until_off(
                self.controller, [t for t in affected if t.name in settled], ids, self.waiter
            )
            left = [r.table for r in refused]
            view = {"leaving": len(ids), "holdingSegments": len(self.holders(affected, ids))}
            if still:
                return self.failed(
                    "TimedOut", f"segments of {_listed(still)} are still on leaving instances", view
                )
            message = (
                f"forced: {len(settled)} table(s) moved off {_listed(ids)}; {_listed(left)} could not be "
                f"moved and lose the replicas on these instances ({'; '.join(r.message for r in refused)})"
            )
            return self.succeeded("Drained", message, view)
        view = {"leaving": len(ids), "holdingSegments": len(self.holders(affected, ids))}
        return _summary(self, results, "Drained", "Drained", view, drained=ids)

    def holders(self, tables: Sequence[TableBinding], ids: set[str]) -> set[str]:
        return {i for t in tables for i in read_assignment(self.controller, t).holding(ids)}

    def drain_brokers(self, ids: set[str]) -> Outcome:
        def serving() -> list[str]:
            tables = broker_tables(self.controller, self.request.helix_cluster)
            return sorted(table for table, brokers in tables.items() if brokers & ids)

        return self.until_empty(
            ids,
            serving,
            "servingTables",
            "serve no table any more",
            lambda busy: f"the broker resource still names {_listed(ids)} for {_listed(busy)}",
        )

    def drain_minions(self, ids: set[str]) -> Outcome:
        return self.until_empty(
            ids,
            lambda: self.busy_subtasks(ids),
            "runningSubtasks",
            "run no subtask",
            lambda busy: f"subtasks still run on leaving minions: {_listed(busy)}",
        )

    def until_empty(
        self,
        ids: set[str],
        busy: Callable[[], list[str]],
        counted: str,
        empty: str,
        still: Callable[[list[str]], str],
    ) -> Outcome:
        """Wait until `busy()` finds nothing on the leaving instances, or the wait ends."""
        while True:
            found = busy()
            if not found:
                return self.succeeded("Drained", f"{_listed(ids)} {empty}", {"leaving": len(ids), counted: 0})
            if self.waiter.expired:
                return self.failed("TimedOut", still(found), {"leaving": len(ids), counted: len(found)})
            self.waiter.pause()

    def busy_subtasks(self, ids: set[str]) -> list[str]:
        types = expect(self.controller.get(("tasks", "tasktypes")), "listing task types")
        busy = []
        for task_type in sorted(str(t) for t in types) if isinstance(types, list) else ():
            body = expect(
                self.controller.get(("tasks", task_type, "debug"), {"verbosity": "0"}),
                f"reading {task_type} tasks",
            )
            for task, info in body.items() if isinstance(body, dict) else ():
                subtasks = info.get("subtaskInfos") if isinstance(info, dict) else None
                for sub in subtasks if isinstance(subtasks, list) else ():
                    if (
                        isinstance(sub, dict)
                        and sub.get("participant") in ids
                        and sub.get("state") in BUSY_SUBTASK_STATES
                    ):
                        busy.append(f"{sub.get('taskId') or task} on {sub.get('participant')}")
        return busy


class _Drop(_Operation):
    def run(self) -> Outcome:
        while True:
            leaving = self.leaving(self.instances())
            live = [i.id for i in leaving if i.live]
            if not live:
                break
            if self.waiter.expired:
                return self.failed(
                    "StillLive",
                    f"{_listed(live)} still live in Pinot: their pods have not stopped",
                    {"leaving": len(leaving)},
                )
            self.waiter.pause()
        dropped, kept = [], []
        for instance in leaving:
            reply = self.controller.delete(("instances", instance.id))
            if reply.ok or reply.status == 404:
                dropped.append(instance.id)
            elif reply.status == 409 and "ideal state" in reply.message and self.request.force:
                kept.append(f"{instance.id} ({reply.message})")
            elif reply.status == 409 and "ideal state" in reply.message:
                return self.failed("InUse", reply.message, {"leaving": len(leaving), "dropped": len(dropped)})
            elif reply.status == 409:
                return self.failed(
                    "StillLive", reply.message, {"leaving": len(leaving), "dropped": len(dropped)}
                )
            else:
                raise PinotAnswerError(reply, f"dropping {instance.id}")
        view = {"leaving": 0, "dropped": len(dropped)}
        if not leaving:
            return self.succeeded("Dropped", f"no instance of {self.request.name} left to drop", view)
        message = f"dropped {_listed(dropped)} from the cluster" if dropped else "nothing dropped"
        if kept:
            message += f"; forced: kept {'; '.join(kept)}"
        return self.succeeded("Dropped", message, view)


def _summary(
    operation: _Operation,
    results: Sequence[Rebalanced],
    moved_reason: Reason,
    still_reason: Reason,
    view: dict[str, int],
    drained: set[str] | None = None,
) -> Outcome:
    failed = [r for r in results if not r.ok]
    if failed:
        reason: Reason = "TimedOut" if all(r.timed_out for r in failed) else "RebalanceFailed"
        return operation.failed(reason, "; ".join(r.message for r in failed), view)
    if drained is not None:
        count = len(results)
        return operation.succeeded(
            moved_reason,
            f"{_listed(drained)} hold no segment; {count} table(s) rebalanced"
            + (f": {'; '.join(r.message for r in results)}" if results else ""),
            view,
        )
    if any(r.moved for r in results):
        return operation.succeeded(moved_reason, "; ".join(r.message for r in results), view)
    shown = "; ".join(r.message for r in results) if results else "no table is bound to the pool's tags"
    return operation.succeeded(still_reason, shown, view)
