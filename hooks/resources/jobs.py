"""The Job (and the ConfigMap holding its document) that carries out one run.

Emitted in the shape the API server stores: canonical quantities, no empty strings or nulls,
integers as integers. No `ttlSecondsAfterFinished`: a finished Job is the record that its run
happened, and a Job that vanished would be run again.

Exit status 1 (a definitive outcome written to the termination log) and 2 (a usage error) fail
the Job at once through `podFailurePolicy`: the CLI has already retried what may heal, and running
a Rejected request three more times would only repeat Pinot's answer. `backoffLimit` covers the
rest (an evicted or OOM-killed Pod). Retrying a failed outcome later is the hook's decision
(`retry.py`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hooks.resources.kinds import ResourceKind
from hooks.resources.naming import run_labels, run_name
from hooks.resources.runs import DOCUMENT_DIR, Run

JsonObject = dict[str, Any]
RUN_AS = 10001
BACKOFF_LIMIT = 3
ACTIVE_DEADLINE_SECONDS = 600
RESOURCES = {"requests": {"cpu": "50m", "memory": "64Mi"}, "limits": {"memory": "128Mi"}}
DOCUMENT_VOLUME = "document"


@dataclass(frozen=True)
class Owner:
    """The resource a run belongs to."""

    kind: ResourceKind
    name: str

    def labels(self, run: Run) -> dict[str, str]:
        return run_labels(self.kind, self.name, run.operation, run.digest)

    def run_name(self, run: Run) -> str:
        return run_name(self.name, run.operation, run.digest)


def config_map(owner: Owner, run: Run) -> JsonObject:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": owner.run_name(run), "labels": owner.labels(run)},
        "data": {run.document_file: run.document_text()},
    }


def job(owner: Owner, run: Run, image: str) -> JsonObject:
    return job_object(
        owner.run_name(run),
        owner.labels(run),
        run.operation,
        image,
        run.argv(),
        run.connection.secret,
        owner.run_name(run) if run.document is not None else None,
    )


def job_object(
    name: str,
    labels: dict[str, str],
    container_name: str,
    image: str,
    args: list[str],
    secret: str,
    document: str | None = None,
    deadline_seconds: int = ACTIVE_DEADLINE_SECONDS,
) -> JsonObject:
    """A Job running the CLI once: `args` after `pinot-control-plane`, credentials from `secret` (when
    named), the ConfigMap `document` mounted at DOCUMENT_DIR (when named)."""
    container: JsonObject = {
        "name": container_name,
        "image": image,
        "command": ["pinot-control-plane"],
        "args": args,
        "resources": {kind: dict(amounts) for kind, amounts in RESOURCES.items()},  # its own copy
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "capabilities": {"drop": ["ALL"]},
            "readOnlyRootFilesystem": True,
        },
        "terminationMessagePolicy": "FallbackToLogsOnError",
    }
    if secret:
        container["env"] = [
            _secret_env("PINOT_USERNAME", secret, "username"),
            _secret_env("PINOT_PASSWORD", secret, "password"),
        ]
    pod: JsonObject = {
        "automountServiceAccountToken": False,
        "containers": [container],
        "enableServiceLinks": False,
        "restartPolicy": "Never",
        "securityContext": {
            "runAsGroup": RUN_AS,
            "runAsNonRoot": True,
            "runAsUser": RUN_AS,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
    }
    if document is not None:
        container["volumeMounts"] = [{"name": DOCUMENT_VOLUME, "mountPath": DOCUMENT_DIR, "readOnly": True}]
        pod["volumes"] = [{"name": DOCUMENT_VOLUME, "configMap": {"name": document}}]
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": name, "labels": labels},
        "spec": {
            "activeDeadlineSeconds": deadline_seconds,
            "backoffLimit": BACKOFF_LIMIT,
            "podFailurePolicy": {
                "rules": [
                    {
                        "action": "FailJob",
                        "onExitCodes": {"containerName": container_name, "operator": "In", "values": [1, 2]},
                    },
                    {"action": "Ignore", "onPodConditions": [{"type": "DisruptionTarget", "status": "True"}]},
                ]
            },
            "template": {"metadata": {"labels": labels}, "spec": pod},
        },
    }


def children(owner: Owner, run: Run, image: str, with_job: bool = True) -> list[JsonObject]:
    """The run's objects: its ConfigMap (apply only) and, unless it is being retried, its Job."""
    objects = [config_map(owner, run)] if run.document is not None else []
    if with_job:
        objects.append(job(owner, run, image))
    return objects


def _secret_env(name: str, secret: str, key: str) -> JsonObject:
    return {"name": name, "valueFrom": {"secretKeyRef": {"name": secret, "key": key}}}
