"""The PinotCluster hook's own plan, carried out on this machine against a real Pinot.

`HookDriver` plays Kubernetes and Metacontroller for one PinotCluster, with processes for pods:

- each round calls the real sync hook (`hooks.cluster.sync.sync_cluster`) with what is observed: the
  children of the previous answer, StatefulSets reporting the processes that run (`replicas`) and
  answer health checks (`readyReplicas`), Jobs reporting how their run ended, and for each Job a
  Pod whose termination message is the line the CLI wrote (as the customize hook relates them);
- a StatefulSet's replicas become processes: missing ordinals are started from the pod the hook
  rendered (its ConfigMap, args and `JAVA_OPTS`, through the laptop overlay of `overlay.py`, each in
  its own directory and ports); ordinals at or above `replicas` are stopped (SIGTERM, like a pod
  deletion), highest first;
- a Job of the answer that has not run is run once, and reports back as `membership_jobs.py` says.

Nothing is decided here: which process starts or stops, and which Job runs, is what the hook answered.
"""

from __future__ import annotations

import contextlib
import copy
import json
import os
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hooks.cluster.sync import sync_cluster
from hooks.contract import HookRequest, type_key
from hooks.render import load_cluster

from ..harness import (
    LOOPBACK,
    MAIN_CLASS,
    PinotProcess,
    PinotStartError,
    PortAllocator,
    http_status,
    java_binary,
    java_command,
    run_init_containers,
    start_process,
    stop_processes,
    wait_until,
    zk_ensure_path,
    zk_ok,
    zookeeper_options,
)
from ..membership_jobs import JobRun, MembershipJobs, instance_id, instance_port
from ..overlay import Overlaid, apply_overlay, overlay_violations, zk_chroots
from ..role_configs import ROLE_LABEL, statefulset_role

JsonObject = dict[str, Any]
POOL_LABEL = "pinot.controlplane.dev/pool"


@dataclass
class Pod:
    """One process standing in for one pod of a pool."""

    pool: str
    ordinal: int
    role: str
    overlaid: Overlaid
    process: PinotProcess
    instance: str = ""

    @property
    def name(self) -> str:
        return f"{self.pool}-{self.ordinal}"

    def healthy(self) -> bool:
        return self.process.alive() and http_status(self.overlaid.health_url) == 200


@dataclass
class HookDriver:
    cluster: JsonObject
    workdir: Path
    classpath: str
    log: Callable[[str], None] = print
    ports: PortAllocator = field(default_factory=PortAllocator)
    zk_port: int = 0
    children: dict[tuple[str, str], JsonObject] = field(default_factory=dict)
    generations: dict[str, int] = field(default_factory=dict)
    pods: dict[tuple[str, int], Pod] = field(default_factory=dict)
    membership: MembershipJobs = field(init=False)
    history: list[JsonObject] = field(default_factory=list)  # every status the hook answered
    zookeeper: PinotProcess | None = None

    def __post_init__(self) -> None:
        self.membership = MembershipJobs(self.workdir / "jobs", self.log)

    # ---- lifecycle -------------------------------------------------------------------------------

    @classmethod
    @contextlib.contextmanager
    def running(
        cls, cluster: Mapping[str, Any], workdir: Path, classpath: str, log: Callable[[str], None] = print
    ) -> Iterator[HookDriver]:
        parent = load_cluster(json.dumps(dict(cluster)), "analytics")
        driver = cls(parent, workdir, classpath, log)
        try:
            driver.start_zookeeper()
            yield driver
        finally:
            stop_processes([p.process for p in driver.pods.values()][::-1], log=log)
            if driver.zookeeper is not None:
                stop_processes([driver.zookeeper], log=log)

    def start_zookeeper(self) -> None:
        self.zk_port = self.ports.take()
        command_line = ["StartZookeeper", "-zkPort", str(self.zk_port), "-dataDir", str(self.workdir / "zk")]
        argv = [java_binary(), *zookeeper_options(), "-cp", self.classpath, MAIN_CLASS, *command_line]
        self.zookeeper = start_process("zookeeper", argv, self.workdir / "zookeeper")
        wait_until({"zookeeper": (self.zookeeper, lambda: zk_ok(self.zk_port))}, 120, self.log)

    # ---- what the user does ----------------------------------------------------------------------

    def edit(self, change: Callable[[JsonObject], None]) -> None:
        """Edit the PinotCluster (spec or annotations), as `kubectl apply` would."""
        change(self.cluster)
        self.cluster["metadata"]["generation"] += 1

    # ---- rounds ----------------------------------------------------------------------------------

    def round(self) -> JsonObject:
        """One sync, then Kubernetes' part: processes for replicas, runs for new Jobs."""
        request = HookRequest.model_validate(
            {
                "parent": self.cluster,
                "children": self._grouped(self.children.values()),
                "related": self.membership.related(self._jobs()),
            }
        )
        answer = sync_cluster(request, datetime.now(UTC)).body
        self.cluster["status"] = {
            **answer["status"],
            "observedGeneration": self.cluster["metadata"]["generation"],
        }
        self.history.append(copy.deepcopy(self.cluster["status"]))
        desired = {(c["kind"], c["metadata"]["name"]): copy.deepcopy(c) for c in answer["children"]}
        for key in [k for k in self.children if k not in desired]:
            if key[0] == "StatefulSet":
                self._scale(self.children[key], 0)
            del self.children[key]
        for key, child in desired.items():
            self.children[key] = self._store(key, child)
        configmaps = {name: c for (kind, name), c in self.children.items() if kind == "ConfigMap"}
        for (kind, _), sts in sorted(self.children.items()):
            if kind == "StatefulSet":
                self._scale(sts, int(sts["spec"]["replicas"]), configmaps)
        self._wait_healthy()
        self.membership.run_new(self._jobs(), self.controller_url, {})
        return answer

    def run_until(self, done: Callable[[JsonObject], bool], rounds: int = 60) -> JsonObject:
        for _ in range(rounds):
            answer = self.round()
            if done(answer):
                return answer
            time.sleep(0.5)
        raise AssertionError(
            f"not reached in {rounds} rounds; last status: {json.dumps(self.cluster['status'])}"
        )

    def ready(self) -> JsonObject:
        def is_ready(answer: JsonObject) -> bool:
            ready = next(c for c in answer["status"]["conditions"] if c["type"] == "Ready")
            return bool(ready["status"] == "True")

        return self.run_until(is_ready)

    # ---- Kubernetes' part ------------------------------------------------------------------------

    def _store(self, key: tuple[str, str], child: JsonObject) -> JsonObject:
        stored = copy.deepcopy(child)
        stored["metadata"].setdefault("namespace", "analytics")
        stored["metadata"]["uid"] = f"uid-{key[0]}-{key[1]}"
        if key[0] == "StatefulSet":
            before = self.children.get(key)
            generation = self.generations.get(key[1], 0)
            if before is None or before["spec"] != stored["spec"]:
                generation += 1
            self.generations[key[1]] = generation
            stored["metadata"]["generation"] = generation
        return stored

    def _scale(
        self, sts: JsonObject, replicas: int, configmaps: Mapping[str, JsonObject] | None = None
    ) -> None:
        pool = sts["metadata"]["labels"][POOL_LABEL]
        role = sts["spec"]["template"]["metadata"]["labels"][ROLE_LABEL]
        mine = sorted((o for (p, o) in self.pods if p == pool), reverse=True)
        for ordinal in [o for o in mine if o >= replicas]:  # highest first, like the StatefulSet controller
            pod = self.pods.pop((pool, ordinal))
            self.log(f"driver: stopping {pod.name} ({pod.instance})")
            stop_processes([pod.process], grace=30, log=self.log)
        for ordinal in range(replicas):
            if (pool, ordinal) in self.pods or configmaps is None:
                continue
            rendered = statefulset_role(role, sts, configmaps)
            where = self.workdir / f"{pool}-{ordinal}"
            zk = f"{LOOPBACK}:{self.zk_port}"
            shared = self.workdir / "shared"
            overlaid = apply_overlay(rendered, zk=zk, ports=self.ports, role_dir=where, shared_dir=shared)
            problems = overlay_violations(overlaid, zk=zk, role_dir=where, shared_dir=shared)
            if problems:
                raise PinotStartError("the overlay changed more than it may:\n" + "\n".join(problems))
            for chroot in zk_chroots({role: rendered}):
                zk_ensure_path(self.zk_port, chroot)
            overlaid.conf_path.parent.mkdir(parents=True, exist_ok=True)
            overlaid.conf_path.write_text(overlaid.conf_text, encoding="utf-8")
            for path, text in overlaid.files.items():
                path.write_text(text, encoding="utf-8")
            cwd = overlaid.conf_path.parent.parent
            run_init_containers(f"{pool}-{ordinal}", overlaid, cwd)
            command = java_command(self.classpath, overlaid.jvm_options, overlaid.args)
            process = start_process(f"{pool}-{ordinal}", command, cwd, {**os.environ, **overlaid.env})
            self.pods[(pool, ordinal)] = Pod(pool, ordinal, role, overlaid, process)
            self.log(f"driver: started {pool}-{ordinal} ({role}, pid {process.pid})")

    def _wait_healthy(self) -> None:
        starting = {pod.name: (pod.process, pod.healthy) for pod in self.pods.values() if not pod.instance}
        if not starting:
            return
        wait_until(starting, 240, self.log)
        for pod in self.pods.values():
            port = instance_port(pod.role, pod.overlaid)
            if pod.instance or port is None:
                continue
            pod.instance = instance_id(self.controller_url, pod.role, port)
            self.membership.instances.setdefault(pod.pool, {})[pod.ordinal] = pod.instance
        for pod in self.pods.values():
            if pod.role == "controller":
                pod.instance = pod.instance or "controller"

    def _status(self, sts: JsonObject) -> JsonObject:
        pool = sts["metadata"]["labels"][POOL_LABEL]
        mine = [pod for (p, _), pod in self.pods.items() if p == pool]
        ready = sum(1 for pod in mine if pod.healthy())
        return {
            "observedGeneration": sts["metadata"]["generation"],
            "replicas": len(mine),
            "readyReplicas": ready,
            "updatedReplicas": len(mine),
            "currentRevision": "rendered",
            "updateRevision": "rendered",
        }

    def _grouped(self, objects: Any) -> dict[str, dict[str, JsonObject]]:
        grouped: dict[str, dict[str, JsonObject]] = {}
        for obj in objects:
            shown = copy.deepcopy(obj)
            if obj["kind"] == "StatefulSet":
                shown["status"] = self._status(obj)
            if obj["kind"] == "Job":
                shown = self.membership.observed(shown)
            grouped.setdefault(type_key(obj["apiVersion"], obj["kind"]), {})[obj["metadata"]["name"]] = shown
        for api_version, kind in (("apps/v1", "StatefulSet"), ("batch/v1", "Job")):
            grouped.setdefault(type_key(api_version, kind), {})
        return grouped

    def _jobs(self) -> dict[str, JsonObject]:
        return {name: job for (kind, name), job in self.children.items() if kind == "Job"}

    # ---- where things are ------------------------------------------------------------------------

    def pod(self, pool: str, ordinal: int) -> Pod:
        return self.pods[(pool, ordinal)]

    def first(self, role: str) -> Pod:
        return next(pod for pod in self.pods.values() if pod.role == role)

    @property
    def controller_url(self) -> str:
        return f"http://{LOOPBACK}:{self.first('controller').overlaid.port}"

    @property
    def broker_url(self) -> str:
        return f"http://{LOOPBACK}:{self.first('broker').overlaid.port}"

    def jobs(self, pool: str, operation: str) -> list[JobRun]:
        """Runs of the pool's Jobs of one operation (name part: tag, move, drain, drop), in order."""
        return self.membership.of(self.cluster["metadata"]["name"], pool, operation)

    def pool_status(self, name: str) -> JsonObject:
        return next(p for p in self.cluster["status"]["pools"] if p["name"] == name)

    def condition(self, type_: str) -> JsonObject:
        return next(c for c in self.cluster["status"]["conditions"] if c["type"] == type_)
