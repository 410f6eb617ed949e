"""The part of the fake Pinot controller that membership Jobs talk to (pinot-membership.md §1-5).

Mixed into `FakePinot`. What it models, because the membership CLI depends on it:

- Instances with tags and liveness: `GET /instances`, `GET /instances/{id}` (404 unknown),
  `PUT /instances/{id}/updateTags?tags=&updateBrokerResource=` (replaces the list; 400 without tags;
  brokers join or leave the broker resource of the tables of their `*_BROKER` tags only when asked),
  `DELETE /instances/{id}` (409 while live or named by any ideal state, brokerResource included; 404
  unknown), and `GET /zk/ls?path=/<cluster>/LIVEINSTANCES`.
- Segments: every table half has an ideal state and an external view (`GET /tables/{raw}/idealstate|
  externalview?tableType=`); the external view lists only live instances. `add_segments` places new
  segments the way Pinot assigns them (on instances carrying the table's tag).
- Rebalance (`POST /tables/{raw}/rebalance`): the target puts each segment on `replication` instances
  carrying the table's server tag, whatever their liveness, keeping the instances a segment already has
  when they still carry it. Fewer tagged instances than replication, or none, fail at once (Pinot's
  dry run). A real run is asynchronous and moves on by one step per request the controller answers:
  the ideal state moves towards the target as Pinot's no-downtime rebalance does (each segment keeps
  `minAvailableReplicas` of its current instances until the new ones are in), then the external view
  catches up. `version="0.11"` answers
  IN_PROGRESS with the target and no job; `version="1.3"` answers a `jobId` that
  `GET /rebalanceStatus/{jobId}` follows, and `maxAttempts` is accepted. `minAvailableReplicas` at or
  above the replication fails the run in the background: 0.11 never reports it, 1.3 reports FAILED.
- Minion subtasks: `GET /tasks/tasktypes`, `GET /tasks/{type}/debug` (`subtaskInfos[].participant`).
"""

from __future__ import annotations

import copy
import itertools
from dataclasses import dataclass, field
from typing import Any

import httpx

Json = dict[str, Any]
SegmentMap = dict[str, dict[str, str]]
TABLE_TYPES = ("OFFLINE", "REALTIME")
DEFAULT_TENANT = "DefaultTenant"


class Answer(Exception):
    """Raised inside a handler to answer with Pinot's error shape (the same as FakePinot's)."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class Rebalance:
    table: str
    target: SegmentMap
    job: str
    keep: int = 0  # minAvailableReplicas: current instances a segment keeps until its new ones are in
    fails_with: str = ""
    steps: int = 0
    done: bool = False
    failed: bool = False


@dataclass
class Subtask:
    task_type: str
    task: str
    task_id: str
    participant: str
    state: str = "RUNNING"


@dataclass
class MembershipState:
    cluster_name: str = "pinot"
    version: str = "0.11"
    live: set[str] = field(default_factory=set)
    ideal: dict[str, SegmentMap] = field(default_factory=dict)
    external: dict[str, SegmentMap] = field(default_factory=dict)
    broker_resource: dict[str, set[str]] = field(default_factory=dict)
    rebalances: list[Rebalance] = field(default_factory=list)
    subtasks: list[Subtask] = field(default_factory=list)
    jobs: itertools.count[int] = field(default_factory=itertools.count)
    errored: set[tuple[str, str]] = field(default_factory=set)  # (segment, instance) in ERROR state
    # 0.11 on Java 17: a rebalance answer carrying instance partitions cannot be written (the rebalance
    # itself is under way); Jersey answers 400 with Jackson's words.
    unwritten_answers: bool = False
    history: list[tuple[str, SegmentMap]] = field(default_factory=list)  # every ideal state written


class FakeMembership:
    """Mixin: needs `self.instances` (id -> tags), `self.tables` ((raw, type) -> config) from FakePinot."""

    instances: dict[str, set[str]]
    tables: dict[tuple[str, str], Json]
    membership: MembershipState

    # ---- set-up ------------------------------------------------------------------------------------

    def register(self, instance_id: str, tags: list[str] | None = None, *, live: bool = True) -> str:
        """An instance joining the cluster (tagged as Pinot tags a new one when `tags` is None)."""
        if tags is None:
            role = "BROKER" if instance_id.startswith("Broker_") else "SERVER"
            if instance_id.startswith("Minion_"):
                tags = ["minion_untagged"]
            elif role == "BROKER":
                tags = [f"{DEFAULT_TENANT}_BROKER"]
            else:
                tags = [f"{DEFAULT_TENANT}_OFFLINE", f"{DEFAULT_TENANT}_REALTIME"]
        self.instances.setdefault(instance_id, set(tags))
        if live:
            self.membership.live.add(instance_id)
        self._settle_views()
        return instance_id

    def stop(self, instance_id: str) -> None:
        """The instance's process went away (its pod was deleted)."""
        self.membership.live.discard(instance_id)
        self._settle_views()

    def add_segments(self, raw: str, table_type: str, count: int) -> list[str]:
        """Upload `count` segments; Pinot places each on `replication` instances of the table's tag."""
        name = f"{raw}_{table_type}"
        config = self.tables[raw, table_type]
        ideal = self.membership.ideal.setdefault(name, {})
        hosts = self._tagged(self._server_tag(config, table_type))
        replication = self._replication(config)
        if len(hosts) < replication:
            raise ValueError(f"{name}: {len(hosts)} instances for replication {replication}")
        added = []
        for _ in range(count):
            segment = f"{name[: -len(table_type) - 1]}_{len(ideal)}"
            load = self._load(ideal)
            chosen = sorted(hosts, key=lambda h: (load.get(h, 0), h))[:replication]
            ideal[segment] = {h: "ONLINE" for h in chosen}
            added.append(segment)
        self._settle_views()
        return added

    def serve(self, raw: str, table_type: str) -> None:
        """The table's brokers: every broker carrying its broker tag (done at table creation in Pinot)."""
        config = self.tables[raw, table_type]
        tag = f"{(config.get('tenants') or {}).get('broker') or DEFAULT_TENANT}_BROKER"
        self.membership.broker_resource[f"{raw}_{table_type}"] = set(self._tagged(tag))

    def run_subtask(self, task_type: str, participant: str, state: str = "RUNNING") -> Subtask:
        number = next(self.membership.jobs)
        subtask = Subtask(
            task_type, f"Task_{task_type}_{number}", f"Task_{task_type}_{number}_0", participant, state
        )
        self.membership.subtasks.append(subtask)
        return subtask

    def unserved_moves(self, table: str) -> list[str]:
        """Segments of `table` an ideal state write moved to instances none of which held it before:
        for a moment no instance serves them (Pinot's gap on a one-replica move)."""
        states = [ideal for name, ideal in self.membership.history if name == table]
        return sorted(
            segment
            for before, after in itertools.pairwise(states)
            for segment, holders in after.items()
            if segment in before and before[segment] and not set(holders) & set(before[segment])
        )

    def segments_on(self, instance_id: str) -> int:
        return sum(
            1
            for table in self.membership.ideal.values()
            for states in table.values()
            if instance_id in states
        )

    # ---- routing -----------------------------------------------------------------------------------

    def route_membership(
        self, request: httpx.Request, parts: list[str], params: httpx.QueryParams
    ) -> Json | list[Any] | None:
        """The answer to a membership request, or None when the request is not one of these."""
        self._tick()
        match request.method, parts:
            case "GET", ["instances"]:
                return {"instances": sorted(self.instances)}
            case "GET", ["instances", instance_id]:
                return self._instance(instance_id)
            case "PUT", ["instances", instance_id, "updateTags"]:
                return self._update_tags(instance_id, params)
            case "DELETE", ["instances", instance_id]:
                return self._drop(instance_id)
            case "GET", ["zk", "ls"]:
                return self._zk_ls(params.get("path", ""))
            case "GET", ["zk", "get"]:
                return self._zk_get(params.get("path", ""))
            case "GET", ["tables"]:
                return self._list_tables(params.get("type"))
            case "GET", ["tables", raw, ("idealstate" | "externalview") as view]:
                return self._view(raw, view, params.get("tableType"))
            case "POST", ["tables", raw, "rebalance"]:
                return self._rebalance(raw, params)
            case "GET", ["rebalanceStatus", job] if self.membership.version != "0.11":
                return self._rebalance_status(job)
            case "GET", ["tasks", "tasktypes"]:
                return sorted({s.task_type for s in self.membership.subtasks})
            case "GET", ["tasks", task_type, "debug"]:
                return self._task_debug(task_type)
        return None

    # ---- instances ---------------------------------------------------------------------------------

    def _instance(self, instance_id: str) -> Json:
        if instance_id not in self.instances:
            raise Answer(404, f"Instance {instance_id} not found")
        host, _, port = instance_id.partition("_")[2].rpartition("_")
        return {
            "instanceName": instance_id,
            "hostName": host,
            "enabled": True,
            "port": port,
            "tags": sorted(self.instances[instance_id]),
            "pools": None,
        }

    def _update_tags(self, instance_id: str, params: httpx.QueryParams) -> Json:
        if "tags" not in params:
            raise Answer(400, "Must provide tags to update")
        if instance_id not in self.instances:
            raise Answer(404, f"Failed to find instance config for instance: {instance_id}")
        before = {t for t in self.instances[instance_id] if t.endswith("_BROKER")}
        tags = [tag for tag in params["tags"].split(",") if tag]
        self.instances[instance_id] = set(tags)
        status = f"Updated tags: [{', '.join(tags)}] for instance: {instance_id}"
        after = {t for t in tags if t.endswith("_BROKER")}
        if (
            params.get("updateBrokerResource") == "true"
            and instance_id.startswith("Broker_")
            and before != after
        ):
            added, removed = [], []
            for name, brokers in sorted(self.membership.broker_resource.items()):
                serves = self._broker_tag(name) in after
                if serves and instance_id not in brokers:
                    brokers.add(instance_id)
                    added.append(name)
                elif not serves and instance_id in brokers:
                    brokers.discard(instance_id)
                    removed.append(name)
            status += (
                f", and updated broker resource - tables added: [{', '.join(added)}], "
                f"tables removed: [{', '.join(removed)}]"
            )
        return {"status": status}

    def _drop(self, instance_id: str) -> Json:
        refused = f"Failed to drop instance {instance_id} - Instance {instance_id}"
        if instance_id not in self.instances:
            raise Answer(404, f"Instance {instance_id} not found")
        if instance_id in self.membership.live:
            raise Answer(409, f"{refused} is still live")
        for name, states in sorted(self.membership.ideal.items()):
            if any(instance_id in s for s in states.values()):
                raise Answer(
                    409,
                    f"{refused} exists in ideal state for {name}",
                )
        if any(instance_id in brokers for brokers in self.membership.broker_resource.values()):
            raise Answer(
                409,
                f"{refused} exists in ideal state for brokerResource",
            )
        del self.instances[instance_id]
        return {"status": "Successfully dropped instance"}

    def _zk_ls(self, path: str) -> list[str]:
        if path != f"/{self.membership.cluster_name}/LIVEINSTANCES":
            raise Answer(404, f"ZKPath {path} does not exist")
        return sorted(self.membership.live)

    def _zk_get(self, path: str) -> Json:
        if path != f"/{self.membership.cluster_name}/IDEALSTATES/brokerResource":
            raise Answer(404, f"ZKPath {path} does not exist")
        fields = {
            name: {b: "ONLINE" for b in sorted(brokers)}
            for name, brokers in self.membership.broker_resource.items()
        }
        return {"id": "brokerResource", "simpleFields": {}, "mapFields": fields, "listFields": {}}

    # ---- tables ------------------------------------------------------------------------------------

    def _list_tables(self, type_param: str | None) -> Json:
        if type_param is None:
            return {"tables": sorted({raw for raw, _ in self.tables})}
        kind = type_param.upper()
        return {"tables": sorted(f"{raw}_{k}" for raw, k in self.tables if k == kind)}

    def _view(self, raw: str, view: str, table_type: str | None) -> Json:
        kinds = [table_type.upper()] if table_type else list(TABLE_TYPES)
        if not any((raw, k) in self.tables for k in kinds):
            raise Answer(404, "Table not found")
        source = self.membership.ideal if view == "idealstate" else self.membership.external
        return {
            k: copy.deepcopy(source.get(f"{raw}_{k}")) if (raw, k) in self.tables else None
            for k in TABLE_TYPES
        }

    def _rebalance(self, raw: str, params: httpx.QueryParams) -> Json:
        kind = (params.get("type") or "").upper()
        if kind not in TABLE_TYPES:
            raise Answer(400, f"Illegal table type: {params.get('type')}")
        if (raw, kind) not in self.tables:
            raise Answer(404, f"Table {raw}_{kind} not found")
        name, config = f"{raw}_{kind}", self.tables[raw, kind]
        current = self.membership.ideal.setdefault(name, {})
        target, failure = self._target(config, kind, current)
        if failure:
            return self._answer("FAILED", failure, None, None)
        reassign = params.get("reassignInstances") == "true"
        balanced = target == current
        if params.get("dryRun") == "true":
            if balanced and not reassign:
                return self._answer("NO_OP", "Table is already balanced", target, None)
            text = (
                "Instance reassigned in dry-run mode, table is already balanced"
                if balanced
                else "Dry-run mode"
            )
            return self._answer("DONE", text, target, None)
        if balanced and not reassign:
            return self._answer("NO_OP", "Table is already balanced", target, None)
        replicas = min((len(s) for s in target.values()), default=0)
        fails = ""
        if params.get("downtime") != "true" and int(params.get("minAvailableReplicas", "1")) >= replicas > 0:
            fails = "Illegal min available replicas config"
        job = f"job-{next(self.membership.jobs)}"
        run = Rebalance(name, target, job, int(params.get("minAvailableReplicas", "1")), fails)
        self.membership.rebalances.append(run)
        if self.membership.version == "0.11":
            return self._answer("IN_PROGRESS", "In progress, check controller logs for updates", target, None)
        return self._answer("IN_PROGRESS", "In progress, check controller logs for updates", target, job)

    def _answer(self, status: str, description: str, target: SegmentMap | None, job: str | None) -> Json:
        if self.membership.unwritten_answers and target is not None:
            raise Answer(
                400,
                "Index 25972 out of bounds for length 81 (through reference chain: "
                'org.apache.pinot.controller.helix.core.rebalance.RebalanceResult["instanceAssignment"])',
            )
        body: Json = {"status": status, "description": description}
        if self.membership.version == "0.11":
            body |= {"instanceAssignment": None, "segmentAssignment": copy.deepcopy(target)}
            return body
        if target is not None:
            body["segmentAssignment"] = copy.deepcopy(target)
        body["jobId"] = job or f"job-{next(self.membership.jobs)}"
        return body

    def _rebalance_status(self, job: str) -> Json:
        run = next((r for r in self.membership.rebalances if r.job == job), None)
        if run is None:
            raise Answer(404, f"Failed to find controller job id: {job}")
        status = "FAILED" if run.failed else "DONE" if run.done else "IN_PROGRESS"
        message = run.fails_with if run.failed else "Success" if run.done else "In progress"
        return {
            "tableRebalanceProgressStats": {"status": status, "completionStatusMsg": message},
            "timeElapsedSinceStartInSeconds": run.steps,
        }

    def _target(self, config: Json, kind: str, current: SegmentMap) -> tuple[SegmentMap, str]:
        tag = self._server_tag(config, kind)
        hosts = self._tagged(tag)
        replication = self._replication(config)
        if not hosts:
            return {}, (
                "Caught exception while fetching/calculating instance partitions: "
                f"java.lang.IllegalStateException: No instance found with tag: {tag}"
            )
        if len(hosts) < replication:
            return {}, (
                "Caught exception while calculating target assignment: java.lang.IllegalStateException: "
                f"There are less instances: {len(hosts)} in instance partitions: {config['tableName']} "
                f"than the table replication: {replication}"
            )
        target: SegmentMap = {}
        load: dict[str, int] = dict.fromkeys(hosts, 0)
        for segment in sorted(current):
            kept = [h for h in sorted(current[segment]) if h in load][:replication]
            for h in kept:
                load[h] += 1
            target[segment] = dict.fromkeys(kept, "ONLINE")
        # Fill and even out: a segment moves from the busiest instance to the least busy one.
        for segment in sorted(target):
            while len(target[segment]) < replication:
                free = sorted((h for h in hosts if h not in target[segment]), key=lambda h: (load[h], h))
                target[segment][free[0]] = "ONLINE"
                load[free[0]] += 1
        moved = True
        while moved:
            moved = False
            for segment in sorted(target):
                busiest = max(target[segment], key=lambda h: (load[h], h))
                idle = sorted((h for h in hosts if h not in target[segment]), key=lambda h: (load[h], h))
                if idle and load[busiest] - load[idle[0]] > 1:
                    del target[segment][busiest]
                    target[segment][idle[0]] = "ONLINE"
                    load[busiest] -= 1
                    load[idle[0]] += 1
                    moved = True
        return target, ""

    def _tick(self) -> None:
        """One step of every running rebalance: the ideal state moves, then the external view follows."""
        for run in self.membership.rebalances:
            if run.done or run.failed:
                continue
            run.steps += 1
            if run.fails_with:
                run.failed = True
            elif self.membership.ideal.get(run.table) != run.target:
                current = self.membership.ideal.get(run.table, {})
                self.membership.history.append((run.table, copy.deepcopy(current)))
                following = {
                    s: _next_step(current.get(s, {}), want, run.keep) for s, want in run.target.items()
                }
                self.membership.ideal[run.table] = following
                self.membership.history.append((run.table, copy.deepcopy(following)))
                self._settle_views()
            else:
                self._settle_views()
                run.done = True

    def _settle_views(self) -> None:
        for name, ideal in self.membership.ideal.items():
            self.membership.external[name] = {
                seg: {
                    i: "ERROR" if (seg, i) in self.membership.errored else s
                    for i, s in states.items()
                    if i in self.membership.live and s != "OFFLINE"
                }
                for seg, states in ideal.items()
            }

    def _task_debug(self, task_type: str) -> Json:
        found: Json = {}
        for sub in self.membership.subtasks:
            if sub.task_type != task_type:
                continue
            info = found.setdefault(sub.task, {"taskState": "IN_PROGRESS", "subtaskInfos": []})
            info["subtaskInfos"].append(
                {"taskId": sub.task_id, "state": sub.state, "participant": sub.participant}
            )
        return found

    # ---- helpers -----------------------------------------------------------------------------------

    def _tagged(self, tag: str) -> list[str]:
        return sorted(name for name, tags in self.instances.items() if tag in tags)

    @staticmethod
    def _server_tag(config: Json, kind: str) -> str:
        return f"{(config.get('tenants') or {}).get('server') or DEFAULT_TENANT}_{kind}"

    def _broker_tag(self, name: str) -> str:
        raw, _, kind = name.rpartition("_")
        config = self.tables.get((raw, kind)) or {}
        return f"{(config.get('tenants') or {}).get('broker') or DEFAULT_TENANT}_BROKER"

    @staticmethod
    def _replication(config: Json) -> int:
        return int((config.get("segmentsConfig") or {}).get("replication", 1))

    @staticmethod
    def _load(ideal: SegmentMap) -> dict[str, int]:
        load: dict[str, int] = {}
        for states in ideal.values():
            for instance in states:
                load[instance] = load.get(instance, 0) + 1
        return load


def _next_step(current: dict[str, str], target: dict[str, str], keep: int) -> dict[str, str]:
    """Pinot's next assignment of one segment (TableRebalancer.getNextSingleSegmentAssignment): the
    instances it keeps, enough current ones to have `keep` up, then new ones up to the target's size."""
    following = {i: s for i, s in target.items() if i in current}
    for instance in sorted(current):
        if len(following) >= keep:
            break
        following.setdefault(instance, current[instance])
    for instance in sorted(target):
        if len(following) >= len(target):
            break
        following.setdefault(instance, target[instance])
    return following
