"""The Kubernetes controllers whose status our hooks read: StatefulSet and Job (with their Pods).

StatefulSet (after `pkg/controller/statefulset/stateful_set_control.go`, RollingUpdate without the
alpha maxUnavailable feature):
- the update revision is a hash of the stored pod template, kept as a ControllerRevision named
  `<set>-<hash>`; a new set starts with currentRevision = updateRevision;
- missing pods are created (all at once for `Parallel`, one at a time waiting for readiness for
  `OrderedReady`) from the current revision when their ordinal is below the partition, else from
  the update revision; ordinals >= replicas are deleted (all at once for `Parallel`);
- a rolling update deletes the highest-ordinal pod at or above the partition that is not on the
  update revision, one at a time, and waits while an updated pod above it is not ready; the
  deleted pod is recreated on the next pass from the update revision;
- status: replicas (pods that exist), readyReplicas, availableReplicas (ready for
  minReadySeconds), currentReplicas, updatedReplicas, observedGeneration, currentRevision,
  updateRevision; currentRevision moves to updateRevision once every pod is updated and ready.
Pods become ready a configurable number of steps after they are created, or never (`ReadyPolicy`).
Not modelled: graceful termination (a deleted pod is gone at once), PVC creation and retention,
revision history pruning, failed-pod replacement, `OnDelete` beyond "never update".

Job (batch/v1, no indexed or parallel completions): one Pod at a time; after `run_after_steps`
steps its command runs through a `JobBinding` (a Python callable, so a test can run the product's
CLI in-process against a fake Pinot); the Pod terminates with the exit code and the termination
message the command wrote, the Job counts succeeded/failed pods, retries up to `backoffLimit`, and
sets a `Complete` or `Failed` condition: reason `PodFailurePolicy` when a `FailJob` rule matches
the exit code, `BackoffLimitExceeded` otherwise. The termination message is the file the command
wrote (at most 4 KiB) or, with `FallbackToLogsOnError` and a failure, the tail of its output.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.sim.apiserver import ApiServer, key_of
from tests.sim.clock import SimClock
from tests.sim.jsondata import clone

JsonObject = dict[str, Any]

REVISION_LABEL = "controller-revision-hash"
POD_NAME_LABEL = "statefulset.kubernetes.io/pod-name"
POD_INDEX_LABEL = "apps.kubernetes.io/pod-index"
ACTOR_STS = "statefulset-controller"
ACTOR_JOB = "job-controller"
ACTOR_KUBELET = "kubelet"

# (statefulset, pod) -> steps from the pod's creation until it is ready, or None for never.
ReadyPolicy = Callable[[JsonObject, JsonObject], int | None]


def ready_after(steps: int = 1, per_pool: dict[str, int | None] | None = None) -> ReadyPolicy:
    """Pods are ready `steps` steps after creation; `per_pool` overrides by StatefulSet name."""
    overrides = dict(per_pool or {})

    def policy(sts: JsonObject, pod: JsonObject) -> int | None:
        return overrides.get(sts["metadata"]["name"], steps)

    return policy


def revision_hash(template: JsonObject) -> str:
    return hashlib.sha256(json.dumps(template, sort_keys=True).encode()).hexdigest()[:10]


def owner_reference(owner: JsonObject) -> JsonObject:
    return {
        "apiVersion": owner["apiVersion"],
        "kind": owner["kind"],
        "name": owner["metadata"]["name"],
        "uid": owner["metadata"]["uid"],
        "controller": True,
        "blockOwnerDeletion": True,
    }


def owned_by(obj: JsonObject, owner: JsonObject) -> bool:
    refs = obj["metadata"].get("ownerReferences") or []
    return any(ref.get("uid") == owner["metadata"]["uid"] and ref.get("controller") for ref in refs)


def pod_ready(pod: JsonObject) -> bool:
    conditions = (pod.get("status") or {}).get("conditions") or []
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)


class StatefulSetController:
    def __init__(self, api: ApiServer, clock: SimClock, ready: ReadyPolicy) -> None:
        self.api = api
        self.clock = clock
        self.ready = ready
        self._born: dict[str, int] = {}  # pod uid -> step created
        self._ready_at: dict[str, float] = {}  # pod uid -> time it turned ready (seconds)

    def reconcile_all(self) -> bool:
        changed = False
        for sts in self.api.list("apps/v1", "StatefulSet"):
            changed |= self.reconcile(sts)
        return changed

    def revision_template(self, sts: JsonObject, revision: str) -> JsonObject | None:
        found = self.api.get("apps/v1", "ControllerRevision", sts["metadata"]["namespace"], revision)
        return None if found is None else found["data"]

    def pods(self, sts: JsonObject) -> dict[int, JsonObject]:
        out = {}
        for pod in self.api.peek("v1", "Pod", sts["metadata"]["namespace"]):
            if owned_by(pod, sts):
                out[int(pod["metadata"]["labels"][POD_INDEX_LABEL])] = clone(pod)
        return out

    def reconcile(self, sts: JsonObject) -> bool:
        if sts["metadata"].get("deletionTimestamp"):
            return False
        spec = sts["spec"]
        name = sts["metadata"]["name"]
        update_rev = f"{name}-{revision_hash(spec['template'])}"
        changed = self._ensure_revision(sts, update_rev)
        current_rev = (sts.get("status") or {}).get("currentRevision") or update_rev
        replicas = int(spec.get("replicas", 1))
        strategy = spec.get("updateStrategy") or {}
        rolling = strategy.get("type", "RollingUpdate") == "RollingUpdate"
        partition = int((strategy.get("rollingUpdate") or {}).get("partition", 0)) if rolling else 0
        monotonic = spec.get("podManagementPolicy", "OrderedReady") == "OrderedReady"

        pods = self.pods(sts)
        for existing in pods.values():  # updated in place when it turns ready
            changed |= self._refresh_readiness(sts, existing)
        blocked = False
        for ordinal in range(replicas):
            pod = pods.get(ordinal)
            if pod is None:
                revision = current_rev if rolling and ordinal < partition else update_rev
                self._create_pod(sts, ordinal, revision)
                changed = True
                if monotonic:
                    blocked = True
                    break
            elif monotonic and not pod_ready(pod):
                blocked = True
                break
        if not blocked:
            condemned = sorted((o for o in pods if o >= replicas), reverse=True)
            for ordinal in condemned:
                self.api.delete(key_of(pods[ordinal]), ACTOR_STS)
                changed = True
                if monotonic:
                    blocked = True
                    break
        if not blocked and rolling:
            for target in range(replicas - 1, partition - 1, -1):
                candidate = pods.get(target)
                if candidate is None:
                    break
                if candidate["metadata"]["labels"].get(REVISION_LABEL) != update_rev:
                    self.api.delete(key_of(candidate), ACTOR_STS)
                    changed = True
                    break
                if not pod_ready(candidate):
                    break
        if changed:  # pods were created or deleted: read them again
            pods = self.pods(sts)
        changed |= self._write_status(sts, list(pods.values()), current_rev, update_rev, rolling)
        return changed

    def _ensure_revision(self, sts: JsonObject, revision: str) -> bool:
        namespace = sts["metadata"]["namespace"]
        if self.api.get("apps/v1", "ControllerRevision", namespace, revision) is not None:
            return False
        existing = [r for r in self.api.list("apps/v1", "ControllerRevision", namespace) if owned_by(r, sts)]
        self.api.create(
            {
                "apiVersion": "apps/v1",
                "kind": "ControllerRevision",
                "metadata": {
                    "name": revision,
                    "namespace": namespace,
                    "labels": dict(sts["spec"].get("selector", {}).get("matchLabels", {})),
                    "ownerReferences": [owner_reference(sts)],
                },
                "data": sts["spec"]["template"],
                "revision": len(existing) + 1,
            },
            ACTOR_STS,
        )
        return True

    def _create_pod(self, sts: JsonObject, ordinal: int, revision: str) -> None:
        template = self.revision_template(sts, revision) or sts["spec"]["template"]
        name = f"{sts['metadata']['name']}-{ordinal}"
        meta = template.get("metadata") or {}
        labels = {
            **(meta.get("labels") or {}),
            REVISION_LABEL: revision,
            POD_NAME_LABEL: name,
            POD_INDEX_LABEL: str(ordinal),
        }
        pod_meta: JsonObject = {
            "name": name,
            "namespace": sts["metadata"]["namespace"],
            "labels": labels,
            "ownerReferences": [owner_reference(sts)],
        }
        if meta.get("annotations"):
            pod_meta["annotations"] = dict(meta["annotations"])
        spec = {**template["spec"], "hostname": name}
        if sts["spec"].get("serviceName"):
            spec["subdomain"] = sts["spec"]["serviceName"]
        pod = self.api.create(
            {"apiVersion": "v1", "kind": "Pod", "metadata": pod_meta, "spec": spec}, ACTOR_STS
        )
        self._born[pod["metadata"]["uid"]] = self.api.step
        pod["status"] = {
            "phase": "Running",
            "conditions": [{"type": "Ready", "status": "False"}],
            "startTime": self.clock.timestamp(),
        }
        self.api.update_status(pod, ACTOR_KUBELET)
        self._refresh_readiness(sts, self.api.get_key(key_of(pod)) or pod)

    def _refresh_readiness(self, sts: JsonObject, pod: JsonObject) -> bool:
        uid = pod["metadata"]["uid"]
        if pod_ready(pod) or uid not in self._born:
            return False
        delay = self.ready(sts, pod)
        if delay is None or self.api.step - self._born[uid] < delay:
            return False
        pod["status"]["conditions"] = [{"type": "Ready", "status": "True"}]
        self._ready_at[uid] = self.clock.now().timestamp()
        self.api.update_status(pod, ACTOR_KUBELET)
        return True

    def _write_status(
        self, sts: JsonObject, pods: list[JsonObject], current_rev: str, update_rev: str, rolling: bool
    ) -> bool:
        min_ready = float(sts["spec"].get("minReadySeconds", 0))
        now = self.clock.now().timestamp()
        revisions = [p["metadata"]["labels"].get(REVISION_LABEL) for p in pods]
        ready = [p for p in pods if pod_ready(p)]
        status: JsonObject = {
            "observedGeneration": sts["metadata"].get("generation", 1),
            "replicas": len(pods),
            "readyReplicas": len(ready),
            "availableReplicas": sum(
                1 for p in ready if now - self._ready_at.get(p["metadata"]["uid"], now) >= min_ready
            ),
            "currentReplicas": revisions.count(current_rev),
            "updatedReplicas": revisions.count(update_rev),
            "currentRevision": current_rev,
            "updateRevision": update_rev,
            "collisionCount": 0,
        }
        if rolling and status["updatedReplicas"] == status["replicas"] == status["readyReplicas"]:
            status["currentRevision"] = update_rev
            status["currentReplicas"] = status["updatedReplicas"]
        latest = self.api.get_key(key_of(sts))
        if latest is None or latest.get("status") == status:
            return False
        latest["status"] = status
        self.api.update_status(latest, ACTOR_STS)
        return True


# ---------------------------------------------------------------------------------------- Jobs


@dataclass(frozen=True)
class Invocation:
    """What a Job's container would run: its command line, environment and mounted files."""

    job: JsonObject
    pod: JsonObject
    argv: list[str]
    env: dict[str, str]
    files: dict[str, str]  # absolute path -> content (ConfigMap and Secret volumes)
    termination_message_path: str


@dataclass(frozen=True)
class RunResult:
    exit_code: int
    termination_message: str = ""  # what the command wrote to its termination message path
    logs: str = ""  # stdout and stderr


JobRunner = Callable[[Invocation], RunResult]
FALLBACK_LOG_BYTES = 2048  # the kubelet keeps the last 80 lines or 2 KiB of the log


@dataclass
class JobBinding:
    """Runs the Jobs whose command line `matches` with `run`."""

    matches: Callable[[list[str]], bool]
    run: JobRunner


@dataclass
class JobController:
    api: ApiServer
    clock: SimClock
    bindings: list[JobBinding] = field(default_factory=list)
    run_after_steps: int = 1
    _born: dict[str, int] = field(default_factory=dict)
    runs: list[Invocation] = field(default_factory=list)

    def reconcile_all(self) -> bool:
        changed = False
        for job in self.api.list("batch/v1", "Job"):
            changed |= self.reconcile(job)
        return changed

    def pods(self, job: JsonObject) -> list[JsonObject]:
        return [
            clone(p) for p in self.api.peek("v1", "Pod", job["metadata"]["namespace"]) if owned_by(p, job)
        ]

    def reconcile(self, job: JsonObject) -> bool:
        if job["metadata"].get("deletionTimestamp") or _finished(job):
            return False
        changed = False
        for pod in self.pods(job):
            phase = (pod.get("status") or {}).get("phase")
            uid = pod["metadata"]["uid"]
            if (
                phase == "Pending"
                and self.api.step - self._born.get(uid, self.api.step) >= self.run_after_steps
            ):
                self._run(job, pod)
                changed = True
        pods = self.pods(job)
        succeeded = sum(1 for p in pods if p["status"]["phase"] == "Succeeded")
        failed = sum(1 for p in pods if p["status"]["phase"] == "Failed")
        active = [p for p in pods if p["status"]["phase"] not in ("Succeeded", "Failed")]
        spec = job["spec"]
        conditions: list[JsonObject] = []
        now = self.clock.timestamp()
        if succeeded >= int(spec.get("completions", 1)):
            conditions.append(
                {"type": "Complete", "status": "True", "lastProbeTime": now, "lastTransitionTime": now}
            )
        elif (matched := _fail_job_rule(spec, pods)) is not None:
            conditions.append(
                {
                    "type": "Failed",
                    "status": "True",
                    "reason": "PodFailurePolicy",
                    "message": matched,
                    "lastProbeTime": now,
                    "lastTransitionTime": now,
                }
            )
        elif failed > int(spec.get("backoffLimit", 6)):
            conditions.append(
                {
                    "type": "Failed",
                    "status": "True",
                    "reason": "BackoffLimitExceeded",
                    "message": "Job has reached the specified backoff limit",
                    "lastProbeTime": now,
                    "lastTransitionTime": now,
                }
            )
        elif not active:
            self._create_pod(job, len(pods))
            changed = True
        running = 0 if conditions else max(len(active), 1)
        status: JsonObject = {
            "active": running,
            "succeeded": succeeded,
            "failed": failed,
            "ready": 0,
            "uncountedTerminatedPods": {},
            "startTime": (job.get("status") or {}).get("startTime", now),
        }
        if conditions:
            status["conditions"] = conditions
            if conditions[0]["type"] == "Complete":
                status["completionTime"] = now
        for empty in ("active", "succeeded", "failed"):
            if not status[empty]:
                del status[empty]
        latest = self.api.get_key(key_of(job))
        if latest is not None and latest.get("status") != status:
            latest["status"] = status
            self.api.update_status(latest, ACTOR_JOB)
            changed = True
        return changed

    def _create_pod(self, job: JsonObject, attempt: int) -> None:
        template = job["spec"]["template"]
        suffix = hashlib.sha256(f"{job['metadata']['uid']}/{attempt}".encode()).hexdigest()[:5]
        meta = template.get("metadata") or {}
        pod_meta: JsonObject = {
            "name": f"{job['metadata']['name']}-{suffix}",
            "namespace": job["metadata"]["namespace"],
            "labels": dict(meta.get("labels") or {}),
            "ownerReferences": [owner_reference(job)],
        }
        if meta.get("annotations"):
            pod_meta["annotations"] = dict(meta["annotations"])
        pod = self.api.create(
            {"apiVersion": "v1", "kind": "Pod", "metadata": pod_meta, "spec": template["spec"]}, ACTOR_JOB
        )
        self._born[pod["metadata"]["uid"]] = self.api.step
        pod["status"] = {"phase": "Pending", "startTime": self.clock.timestamp()}
        self.api.update_status(pod, ACTOR_KUBELET)

    def _run(self, job: JsonObject, pod: JsonObject) -> None:
        container = pod["spec"]["containers"][0]
        invocation = Invocation(
            job=job,
            pod=pod,
            argv=[*(container.get("command") or []), *(container.get("args") or [])],
            env=self._env(pod, container),
            files=self._files(pod, container),
            termination_message_path=container.get("terminationMessagePath", "/dev/termination-log"),
        )
        binding = next((b for b in self.bindings if b.matches(invocation.argv)), None)
        if binding is None:
            raise LookupError(f"no JobBinding runs {invocation.argv!r} (Job {job['metadata']['name']})")
        self.runs.append(invocation)
        result = binding.run(invocation)
        code, message = result.exit_code, result.termination_message[:4096]
        if (
            not message.strip()
            and code != 0
            and container.get("terminationMessagePolicy") == "FallbackToLogsOnError"
        ):
            message = "\n".join(result.logs.splitlines()[-80:])[-FALLBACK_LOG_BYTES:]
        now = self.clock.timestamp()
        pod["status"] = {
            "phase": "Succeeded" if code == 0 else "Failed",
            "startTime": pod["status"].get("startTime", now),
            "conditions": [{"type": "Ready", "status": "False"}],
            "containerStatuses": [
                {
                    "name": container["name"],
                    "image": container.get("image", ""),
                    "imageID": "",
                    "ready": False,
                    "restartCount": 0,
                    "started": False,
                    "state": {
                        "terminated": {
                            "exitCode": code,
                            "reason": "Completed" if code == 0 else "Error",
                            "message": message,
                            "startedAt": now,
                            "finishedAt": now,
                        }
                    },
                }
            ],
        }
        if not message:
            del pod["status"]["containerStatuses"][0]["state"]["terminated"]["message"]
        self.api.update_status(pod, ACTOR_KUBELET)

    def _source(self, kind: str, namespace: str, name: str) -> dict[str, str]:
        found = self.api.get("v1", kind, namespace, name) or {}
        data = dict(found.get("data") or {})
        if kind == "Secret":
            data = {k: base64.b64decode(v).decode() for k, v in data.items()}
        return {**data, **(found.get("stringData") or {})}

    def _env(self, pod: JsonObject, container: JsonObject) -> dict[str, str]:
        namespace = pod["metadata"]["namespace"]
        env: dict[str, str] = {}
        for entry in container.get("env") or []:
            if "value" in entry:
                env[entry["name"]] = str(entry["value"])
                continue
            source = entry.get("valueFrom") or {}
            for kind, ref_key in (("Secret", "secretKeyRef"), ("ConfigMap", "configMapKeyRef")):
                ref = source.get(ref_key)
                if ref:
                    value = self._source(kind, namespace, ref["name"]).get(ref["key"])
                    if value is not None:
                        env[entry["name"]] = value
        return env

    def _files(self, pod: JsonObject, container: JsonObject) -> dict[str, str]:
        namespace = pod["metadata"]["namespace"]
        volumes = {v["name"]: v for v in pod["spec"].get("volumes") or []}
        files: dict[str, str] = {}
        for mount in container.get("volumeMounts") or []:
            volume = volumes.get(mount["name"]) or {}
            for kind, source_key, name_key in (
                ("ConfigMap", "configMap", "name"),
                ("Secret", "secret", "secretName"),
            ):
                source = volume.get(source_key)
                if not source:
                    continue
                data = self._source(kind, namespace, source[name_key])
                items = source.get("items")
                paths = {i["key"]: i["path"] for i in items} if items else {k: k for k in data}
                for data_key, relative in paths.items():
                    if data_key in data:
                        full = f"{mount['mountPath'].rstrip('/')}/{relative}"
                        if mount.get("subPath"):
                            if relative != mount["subPath"]:
                                continue
                            full = mount["mountPath"]
                        files[full] = data[data_key]
        return files


def _fail_job_rule(spec: JsonObject, pods: list[JsonObject]) -> str | None:
    """The message of a `podFailurePolicy` FailJob rule matched by a failed pod's exit code."""
    for rule in (spec.get("podFailurePolicy") or {}).get("rules") or []:
        codes = rule.get("onExitCodes")
        if rule.get("action") != "FailJob" or not codes:
            continue
        for pod in pods:
            if pod["status"].get("phase") != "Failed":
                continue
            for container in pod["status"].get("containerStatuses") or []:
                if codes.get("containerName") not in (None, container["name"]):
                    continue
                code = container["state"]["terminated"]["exitCode"]
                listed = code in codes.get("values", [])
                if listed == (codes.get("operator", "In") == "In"):
                    return (
                        f"Container {container['name']} for pod {pod['metadata']['namespace']}/"
                        f"{pod['metadata']['name']} failed with exit code {code} matching FailJob rule"
                    )
    return None


def _finished(job: JsonObject) -> bool:
    conditions = (job.get("status") or {}).get("conditions") or []
    return any(c.get("type") in ("Complete", "Failed") and c.get("status") == "True" for c in conditions)
