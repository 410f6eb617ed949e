"""The StatefulSets of one PinotCluster, run as real Pinot processes on this machine.

A small StatefulSet controller over JVMs, as Kubernetes runs what the sync hook answers:

* a new StatefulSet starts all its pods at once (``podManagementPolicy: Parallel``);
* a StatefulSet whose template changed updates its pods from the highest ordinal down to its
  ``partition``, one at a time: the pod is stopped (SIGTERM; a broker leaves the Service first), started
  again with the template's image, args, ``JAVA_OPTS`` and the ConfigMap it mounts, and the next one
  waits until it is ready and ``minReadySeconds`` have passed;
* a pod's revision is the template it was started from (the hook's template hash stands for the
  revision); ``status`` reports replicas, ready and updated pods, and current and update revision the
  way the StatefulSet controller does;
* the membership Jobs of the answer run once each, against the real controller, and report back with
  their Pods' termination messages (``membership_jobs.py``).

A pod's image picks the Pinot version it runs (its tag), hence its classpath
(:func:`harness.versioned_classpath`). Every process of a pod keeps its ports and data directory, so
a restarted server comes back as the same Pinot instance with its segments.
"""

from __future__ import annotations

import copy
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hooks.cluster import naming
from hooks.cluster.versions import version_of_image

from ..harness import (
    LOOPBACK,
    PinotProcess,
    PinotStartError,
    PortAllocator,
    http_status,
    java_command,
    run_init_containers,
    start_process,
    stop_processes,
    versioned_classpath,
    wait_until,
)
from ..membership_jobs import MembershipJobs, instance_port
from ..overlay import ROLES, Overlaid, Role, apply_overlay, overlay_violations
from ..role_configs import statefulset_role

JsonObject = dict[str, Any]
NAMESPACE = "default"
#: Longer than any drain the rendered configs ask (servers 120 s; brokers delay 10 s).
STOP_GRACE_SECONDS = 150.0


@dataclass
class Pod:
    name: str
    role: Role
    revision: str
    image: str
    overlaid: Overlaid
    process: PinotProcess
    ready_at: float | None = None  # when its readiness probe first answered 200

    @property
    def ready(self) -> bool:
        return self.ready_at is not None


@dataclass
class Event:
    """One pod started or restarted: what, from which version to which, how long each part took."""

    pod: str
    before: str
    after: str
    stop_seconds: float
    start_seconds: float


@dataclass
class Fleet:
    workdir: Path
    zk_port: int
    log: Callable[[str], None] = print
    ports: PortAllocator = field(default_factory=PortAllocator)
    statefulsets: dict[str, JsonObject] = field(default_factory=dict)  # as answered, with a status
    configmaps: dict[str, JsonObject] = field(default_factory=dict)
    others: dict[tuple[str, str], JsonObject] = field(default_factory=dict)
    pods: dict[str, Pod] = field(default_factory=dict)
    known_ports: dict[str, dict[int, int]] = field(default_factory=dict)  # pod -> rendered -> local
    events: list[Event] = field(default_factory=list)
    endpoints_changed: Callable[[], None] = lambda: None
    # The Kubernetes Secrets the pods' secretKeyRef values come from (basic auth's passwords).
    secrets: Mapping[str, Mapping[str, str]] | None = None
    membership: MembershipJobs = field(init=False)
    _incarnations: dict[str, int] = field(default_factory=dict)
    _current: dict[str, str] = field(default_factory=dict)  # StatefulSet -> its current revision

    def __post_init__(self) -> None:
        self.membership = MembershipJobs(self.workdir / "jobs", self.log, self.secrets or {})

    # ------------------------------------------------------------------ what the hook answered

    def apply(self, children: list[JsonObject]) -> None:
        """Store the answer's children as the API server would (metadata.generation moves on a change of
        a StatefulSet's spec); children left out are deleted."""
        statefulsets, configmaps, others = {}, {}, {}
        for child in children:
            child = {**copy.deepcopy(child), "metadata": {"namespace": NAMESPACE, **child["metadata"]}}
            name = child["metadata"]["name"]
            if child["kind"] == "StatefulSet":
                before = self.statefulsets.get(name)
                generation = 1
                if before is not None:
                    generation = before["metadata"]["generation"] + (before["spec"] != child["spec"])
                child["metadata"]["generation"] = generation
                statefulsets[name] = child
            elif child["kind"] == "ConfigMap":
                configmaps[name] = child
            else:
                others[(child["kind"], name)] = child
        self.statefulsets, self.configmaps, self.others = statefulsets, configmaps, others

    def observed(self) -> list[JsonObject]:
        """Every child with the status its controller reports now."""
        for sts in self.statefulsets.values():
            sts["status"] = self._status(sts)
        others = [self.membership.observed(c) if c["kind"] == "Job" else c for c in self.others.values()]
        return [*self.statefulsets.values(), *self.configmaps.values(), *others]

    def related(self) -> dict[str, dict[str, JsonObject]]:
        """The Pods of the Jobs that ran, as Metacontroller relates them."""
        return self.membership.related(self._jobs())

    def _jobs(self) -> dict[str, JsonObject]:
        return {name: job for (kind, name), job in self.others.items() if kind == "Job"}

    def _status(self, sts: JsonObject) -> JsonObject:
        """The current revision moves to the update revision once every pod runs it and is ready."""
        name, revision = sts["metadata"]["name"], _revision(sts)
        pods = self._pods_of(sts)
        updated = [p for p in pods if p.revision == revision]
        if len(updated) == sts["spec"]["replicas"] == len(pods) and all(p.ready for p in pods):
            self._current[name] = revision
        return {
            "observedGeneration": sts["metadata"]["generation"],
            "replicas": len(pods),
            "readyReplicas": sum(p.ready for p in pods),
            "updatedReplicas": len(updated),
            "currentRevision": self._current.setdefault(name, revision),
            "updateRevision": revision,
        }

    # ------------------------------------------------------------------ acting like the controller

    def step(self) -> bool:
        """Do what the StatefulSet and Job controllers would do next (create pods, run the Jobs not run
        yet, or update one pod); False when every StatefulSet runs what it should and every Job ran."""
        for sts in self.statefulsets.values():
            missing = [i for i in range(sts["spec"]["replicas"]) if _pod_name(sts, i) not in self.pods]
            if missing:
                self._create(sts, missing)
                return True
        if self.membership.run_new(self._jobs(), self.url("controller"), self._instance_ports()):
            return True
        for sts in self.statefulsets.values():
            target = self._next_update(sts)
            if target is not None:
                self._update(sts, target)
                return True
        return False

    def _next_update(self, sts: JsonObject) -> int | None:
        pods = self._pods_of(sts)
        if not all(p.ready for p in pods):
            return None
        partition = sts["spec"]["updateStrategy"]["rollingUpdate"]["partition"]
        revision = _revision(sts)
        for ordinal in reversed(range(partition, sts["spec"]["replicas"])):
            if self.pods[_pod_name(sts, ordinal)].revision != revision:
                return ordinal
        return None

    def _create(self, sts: JsonObject, ordinals: list[int]) -> None:
        started = {_pod_name(sts, i): self._start(sts, i) for i in ordinals}
        self._wait_ready(list(started.values()))
        for pod in started.values():
            self.events.append(Event(pod.name, "", _version(pod.image), 0.0, _since(pod)))

    def _update(self, sts: JsonObject, ordinal: int) -> None:
        name = _pod_name(sts, ordinal)
        old = self.pods[name]
        began = time.monotonic()
        old.ready_at = None  # a terminating pod leaves the Service's endpoints at once
        self.endpoints_changed()
        stop_processes([old.process], grace=STOP_GRACE_SECONDS, log=self.log)
        stopped = time.monotonic() - began
        del self.pods[name]
        pod = self._start(sts, ordinal)
        self._wait_ready([pod])
        self.events.append(Event(name, _version(old.image), _version(pod.image), stopped, _since(pod)))
        self.log(
            f"pinot[upgrade]: {name} {_version(old.image)} -> {_version(pod.image)}: "
            f"stopped in {stopped:.1f}s, ready after {_since(pod):.1f}s"
        )
        time.sleep(sts["spec"].get("minReadySeconds", 0))

    def _start(self, sts: JsonObject, ordinal: int) -> Pod:
        name = _pod_name(sts, ordinal)
        role: Role = sts["spec"]["template"]["metadata"]["labels"][naming.ROLE_LABEL]
        rendered = statefulset_role(role, sts, self.configmaps)
        pod_dir = self.workdir / name
        zk = f"{LOOPBACK}:{self.zk_port}"
        known = self.known_ports.get(name)
        overlaid = apply_overlay(
            rendered, zk=zk, ports=self.ports, role_dir=pod_dir, known_ports=known, secrets=self.secrets
        )
        problems = overlay_violations(overlaid, zk=zk, role_dir=pod_dir)
        if problems:
            raise PinotStartError("the overlay changed more than it may:\n" + "\n".join(problems))
        self.known_ports[name] = dict(overlaid.ports)
        overlaid.conf_path.parent.mkdir(parents=True, exist_ok=True)
        overlaid.conf_path.write_text(overlaid.conf_text, encoding="utf-8")
        for path, text in overlaid.files.items():
            path.write_text(text, encoding="utf-8")
        incarnation = self._incarnations.get(name, 0) + 1
        self._incarnations[name] = incarnation
        run_init_containers(f"{name}.{incarnation}", overlaid, pod_dir)
        image = sts["spec"]["template"]["spec"]["containers"][0]["image"]
        command = java_command(versioned_classpath(_version(image)), overlaid.jvm_options, overlaid.args)
        process = start_process(f"{name}.{incarnation}", command, pod_dir, {**os.environ, **overlaid.env})
        pod = Pod(name, role, _revision(sts), image, overlaid, process)
        self.pods[name] = pod
        return pod

    def _wait_ready(self, pods: list[Pod], timeout: float = 300.0) -> None:
        checks = {p.name: (p.process, _probe(p)) for p in pods}
        wait_until(checks, timeout, self.log)
        now = time.monotonic()
        for pod in pods:
            pod.ready_at = now
        self.endpoints_changed()

    # ------------------------------------------------------------------ looking

    def _pods_of(self, sts: JsonObject) -> list[Pod]:
        return [self.pods[n] for i in range(sts["spec"]["replicas"]) if (n := _pod_name(sts, i)) in self.pods]

    def _instance_ports(self) -> dict[str, dict[int, int]]:
        """Pool -> ordinal -> the port its ready pod's Pinot instance id ends with."""
        found: dict[str, dict[int, int]] = {}
        for sts in self.statefulsets.values():
            for ordinal in range(sts["spec"]["replicas"]):
                pod = self.pods.get(_pod_name(sts, ordinal))
                port = None if pod is None or not pod.ready else instance_port(pod.role, pod.overlaid)
                if port is not None:
                    found.setdefault(sts["metadata"]["labels"][naming.POOL_LABEL], {})[ordinal] = port
        return found

    def ready_pods(self, role: Role) -> list[Pod]:
        return [p for p in self.pods.values() if p.role == role and p.ready]

    def url(self, role: Role) -> str:
        (pod, *_) = [p for p in self.pods.values() if p.role == role]
        return pod.overlaid.base_url

    def versions(self) -> Mapping[str, str]:
        return {name: _version(pod.image) for name, pod in sorted(self.pods.items())}

    def failures(self) -> list[str]:
        dead = [p.process for p in self.pods.values() if not p.process.alive()]
        return [f"{p.name} (exit code {p.popen.poll()}); log {p.log_path}:\n{p.log_tail()}" for p in dead]

    def stop(self) -> None:
        order = {role: i for i, role in enumerate(ROLES)}
        processes = [p.process for p in sorted(self.pods.values(), key=lambda p: -order[p.role])]
        stop_processes(processes, grace=STOP_GRACE_SECONDS, log=self.log)


def _revision(sts: JsonObject) -> str:
    return str(sts["metadata"]["annotations"][naming.TEMPLATE_HASH_ANNOTATION])


def _pod_name(sts: JsonObject, ordinal: int) -> str:
    return f"{sts['metadata']['name']}-{ordinal}"


def _version(image: str) -> str:
    found = version_of_image(image)
    if found is None:
        raise PinotStartError(f"{image}: these tests run images whose tag names a Pinot version")
    return str(found)


def _since(pod: Pod) -> float:
    return (pod.ready_at or time.monotonic()) - pod.process.started_at


def _probe(pod: Pod) -> Callable[[], bool]:
    return lambda: http_status(pod.overlaid.health_url) == 200
