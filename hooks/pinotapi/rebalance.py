"""Rebalance one table without downtime and wait until Pinot has moved its segments, on 0.11 and 1.x.

`POST /tables/{raw}/rebalance?type=&reassignInstances=true&includeConsuming=true&downtime=false
&minAvailableReplicas=<1 when replication >= 2, else 0>&maxAttempts=1` (pinot-membership.md §5.2). A
real rebalance runs in the controller's background and the call answers IN_PROGRESS with the target
assignment; what happens next differs:

- 1.x answers a `jobId`: `GET /rebalanceStatus/{jobId}` is polled until DONE, or FAILED, CANCELLED,
  ABORTED, UNKNOWN_ERROR (Pinot's `completionStatusMsg` is the message). `maxAttempts=1` keeps Pinot
  from retrying a failed job behind the Job's back; 0.11 ignores the parameter.
- 0.11 answers no job and reports a background failure only in its log, so the ideal state is polled
  until it equals the target; when it keeps differing (a segment was added meanwhile), a dry run says
  whether the table is balanced now.

Either way the rebalance is done only once the external view agrees with the ideal state (DONE does not
promise it) and, for a drain, no ideal state or external view entry names a leaving instance. Every wait
is bounded by the Job's deadline; running out of it is `TimedOut`, and the next run starts over.

An answer Pinot could not write (0.11 on a Java 17 runtime fails to serialise the instance partitions of
every `RebalanceResult`: "... (through reference chain: ...RebalanceResult["instanceAssignment"])", after
the rebalance was handed to its background executor) is followed like a 0.11 answer without a target:
done once the ideal state has not changed for STABLE_POLLS polls and the external view agrees with it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Final

from hooks.pinotapi.assignment import Assignment, SegmentMap, TableBinding, read_assignment
from hooks.pinotapi.client import PinotController
from hooks.pinotapi.instances import PinotAnswerError

__all__ = ["Rebalanced", "Waiter", "rebalance_table", "wait_until_off"]

FAILED_STATES: Final = frozenset({"FAILED", "CANCELLED", "ABORTED", "UNKNOWN_ERROR"})
DRY_RUN_EVERY: Final = 10
"""Polls between two dry runs on 0.11, when the ideal state does not reach the target."""
STABLE_POLLS: Final = 3
UNWRITTEN_ANSWER: Final = "RebalanceResult"
"""In the message of an answer Pinot failed to serialise (see the module docstring)."""


class UnwrittenAnswer(Exception):
    """Pinot took the rebalance but could not write its answer."""


@dataclass
class Waiter:
    """Polling with an injected clock and sleep, up to a deadline on that clock."""

    sleep: Callable[[float], None]
    clock: Callable[[], float]
    deadline: float
    interval: float = 2.0

    @property
    def expired(self) -> bool:
        return self.clock() >= self.deadline

    def pause(self) -> None:
        self.sleep(self.interval)


@dataclass(frozen=True)
class Rebalanced:
    table: str
    ok: bool
    moved: bool  # Pinot had segments to move
    message: str
    timed_out: bool = False
    short: bool = False  # Pinot refused: fewer instances carry the table's tag than it needs


SHORT_OF_INSTANCES: Final = ("There are less instances", "No instance found with tag")


def _params(table: TableBinding, dry_run: bool = False, keep: int | None = None) -> dict[str, str]:
    """`keep`: replicas to keep up, when not what the table's replication implies (1 when >= 2, else 0)."""
    if keep is None:
        keep = 1 if table.replication >= 2 else 0
    return {
        "type": table.table_type,
        "dryRun": str(dry_run).lower(),
        "reassignInstances": "true",
        "includeConsuming": "true",
        "downtime": "false",
        "minAvailableReplicas": str(keep),
        "bestEfforts": "false",
        "maxAttempts": "1",
    }


def _post(
    controller: PinotController, table: TableBinding, dry_run: bool = False, keep: int | None = None
) -> dict[str, Any]:
    reply = controller.post(
        ("tables", table.raw, "rebalance"), None, _params(table, dry_run, keep), idempotent=dry_run
    )
    if reply.status in (400, 500) and UNWRITTEN_ANSWER in reply.message:
        raise UnwrittenAnswer(reply.message)
    if reply.status != 200 or not isinstance(reply.body, dict):
        raise PinotAnswerError(reply, f"rebalancing {table.name}")
    return reply.body


def _assignment(body: dict[str, Any]) -> SegmentMap | None:
    target = body.get("segmentAssignment")
    if not isinstance(target, dict):
        return None
    return {str(s): {str(i): str(v) for i, v in m.items()} for s, m in target.items() if isinstance(m, dict)}


def _balanced(body: dict[str, Any]) -> bool:
    return body.get("status") == "NO_OP" or "already balanced" in str(body.get("description", ""))


def would_move(controller: PinotController, table: TableBinding) -> bool:
    """Whether a rebalance would move segments (a dry run); True when Pinot cannot say."""
    try:
        body = _post(controller, table, dry_run=True)
    except UnwrittenAnswer:
        return True
    return str(body.get("status")) not in FAILED_STATES and not _balanced(body)


def rebalance_table(
    controller: PinotController,
    table: TableBinding,
    waiter: Waiter,
    leaving: Iterable[str] = (),
    keep: int | None = None,
) -> Rebalanced:
    """`keep`: see `_params` (a spare copy's spread keeps 1 although the table's replication is 1)."""
    leaving = set(leaving)
    before = read_assignment(controller, table).ideal
    try:
        body = _post(controller, table, keep=keep)
    except UnwrittenAnswer:
        return _wait_for_assignment(controller, table, waiter, None, leaving, before, STABLE_POLLS)
    status, description = str(body.get("status", "")), str(body.get("description", ""))
    if status in FAILED_STATES:
        short = any(marker in description for marker in SHORT_OF_INSTANCES)
        message = f"{table.name}: Pinot refused the rebalance: {description}"
        return Rebalanced(table.name, False, False, message, short=short)
    job = body.get("jobId")
    if status == "IN_PROGRESS" and isinstance(job, str) and job:
        failure = _wait_for_job(controller, table, job, waiter)
        if failure is not None:
            return failure
    target = _assignment(body) if status == "IN_PROGRESS" and not job else None
    return _wait_for_assignment(controller, table, waiter, target, leaving, before)


def _wait_for_job(
    controller: PinotController, table: TableBinding, job: str, waiter: Waiter
) -> Rebalanced | None:
    while True:
        reply = controller.get(("rebalanceStatus", job))
        if reply.status == 404:  # a synchronous result: nothing was persisted to follow
            return None
        if reply.status != 200 or not isinstance(reply.body, dict):
            raise PinotAnswerError(reply, f"reading rebalance job {job} of {table.name}")
        stats = reply.body.get("tableRebalanceProgressStats")
        stats = stats if isinstance(stats, dict) else {}
        state = str(stats.get("status", ""))
        if state == "DONE" or state == "NO_OP":
            return None
        if state in FAILED_STATES:
            said = stats.get("completionStatusMsg") or state
            return Rebalanced(table.name, False, True, f"{table.name}: rebalance job {job} {state}: {said}")
        if waiter.expired:
            return Rebalanced(
                table.name, False, True, f"{table.name}: rebalance job {job} still {state}", True
            )
        waiter.pause()


def _wait_for_assignment(
    controller: PinotController,
    table: TableBinding,
    waiter: Waiter,
    target: SegmentMap | None,
    leaving: set[str],
    before: SegmentMap,
    stable_polls: int = 1,
) -> Rebalanced:
    """Moved: whether the ideal state changed since before the rebalance was asked for.
    `stable_polls`: how many polls in a row must see the same ideal state (no target known)."""
    polls = 0
    seen: list[SegmentMap] = []
    while True:
        current = read_assignment(controller, table)
        seen = [*seen[-(stable_polls - 1) :], current.ideal] if stable_polls > 1 else [current.ideal]
        moved = current.ideal != before
        if current.errors:
            shown = ", ".join(current.errors[:5])
            return Rebalanced(table.name, False, moved, f"{table.name}: segments in ERROR state: {shown}")
        reached = target is None or current.ideal == target
        stable = len(seen) >= stable_polls and all(ideal == current.ideal for ideal in seen)
        if reached and stable and current.converged and not current.holding(leaving):
            return Rebalanced(table.name, True, moved, _done(table, current, moved))
        if waiter.expired:
            return Rebalanced(table.name, False, moved, _pending(table, current, reached, leaving), True)
        polls += 1
        if not reached and polls % DRY_RUN_EVERY == 0:
            try:
                check = _post(controller, table, dry_run=True)
            except UnwrittenAnswer:
                check = {}
            if str(check.get("status")) in FAILED_STATES:
                said = check.get("description", "")
                return Rebalanced(
                    table.name, False, moved, f"{table.name}: Pinot refused the rebalance: {said}"
                )
            if _balanced(check):
                target = None
        waiter.pause()


def wait_until_off(
    controller: PinotController, tables: Iterable[TableBinding], leaving: set[str], waiter: Waiter
) -> list[str]:
    """Tables whose ideal state or external view still names a leaving instance once the wait ends."""
    pending = list(tables)
    while True:
        pending = [t for t in pending if read_assignment(controller, t).holding(leaving)]
        if not pending or waiter.expired:
            return [t.name for t in pending]
        waiter.pause()


def _done(table: TableBinding, current: Assignment, moved: bool) -> str:
    return (
        f"{table.name}: {'segments moved' if moved else 'already balanced'} ({len(current.ideal)} segments)"
    )


def _pending(table: TableBinding, current: Assignment, reached: bool, leaving: set[str]) -> str:
    if not reached:
        return f"{table.name}: the ideal state has not reached the rebalance target yet"
    if not current.converged:
        return f"{table.name}: the external view has not caught up with the ideal state yet"
    still = ", ".join(sorted(current.holding(leaving)))
    return f"{table.name}: {still} still named by the ideal state or the external view"
