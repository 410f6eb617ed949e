"""The membership Jobs a PinotCluster's answer holds, run as Kubernetes and Metacontroller would.

Shared by the drivers that play Kubernetes for the sync hook against real Pinot processes
(`membership/driver.py`, `upgrade/fleet.py`). `MembershipJobs` is the Job controller, the kubelet
and Metacontroller's customize relation for those Jobs:

- a Job of the answer that has not run is run once: its container's command, in-process, against the
  local controller (`--controller-url` replaced), with the env the kubelet would set (Secret keys
  included) and `--instance-id ORDINAL=ID` for every process its pool ever had. All instances of one
  machine share its host name, so pod host names cannot tell them apart: the ids are the one thing
  given explicitly (see `hooks/pinotapi/instances.py`);
- a Job that ran reports `Complete` or `Failed` by its exit code, and a Pod of it whose container's
  termination message is the line the CLI wrote is related to the cluster, as the customize hook asks;
- a Job the answer no longer holds is deleted with its run, so a Job of the same name runs again.

A pod's instance id is the one Pinot registered for the pod's own port (`instance_id`).
"""

from __future__ import annotations

import contextlib
import io
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from hooks.membership.runs import POOL_LABEL as MEMBERSHIP_POOL_LABEL
from hooks.membership.runs import ROLE_LABEL as MEMBERSHIP_ROLE_LABEL
from hooks.pinotapi import command
from hooks.pinotapi.command import PASSWORD_VARIABLE, USERNAME_VARIABLE

from .harness import PinotStartError
from .jobs import env_value
from .overlay import Overlaid

JsonObject = dict[str, Any]
#: Pinot's instance id prefix per role, and the rendered port the id ends with.
INSTANCE_PREFIX = {"server": ("Server_", 8098), "broker": ("Broker_", 8099), "minion": ("Minion_", 9514)}
TERMINATION_LOG = "/dev/termination-log"


@dataclass
class JobRun:
    name: str
    argv: list[str]
    exit_code: int
    line: str
    outcome: JsonObject
    finished: str
    seconds: float


def instance_port(role: str, overlaid: Overlaid) -> int | None:
    """The local port a pod's Pinot instance id ends with; None for a role without instance id here."""
    if role not in INSTANCE_PREFIX:
        return None
    return overlaid.ports[INSTANCE_PREFIX[role][1]]


def instance_id(
    controller_url: str, role: str, port: int, auth: tuple[str, str] | None = None, timeout: float = 60
) -> str:
    """The instance id Pinot registered for the pod of ``role`` listening on ``port``; waits for it."""
    prefix = INSTANCE_PREFIX[role][0]
    deadline = time.monotonic() + timeout
    while True:
        known = httpx.get(f"{controller_url}/instances", auth=auth, timeout=10).json()["instances"]
        found = [i for i in known if i.startswith(prefix) and i.endswith(f"_{port}")]
        if found:
            return str(found[0])
        if time.monotonic() > deadline:
            raise PinotStartError(f"no {role} registered with port {port}: {known}")
        time.sleep(0.5)


@dataclass
class MembershipJobs:
    workdir: Path
    log: Callable[[str], None] = print
    secrets: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    instances: dict[str, dict[int, str]] = field(default_factory=dict)  # pool -> ordinal -> instance id
    runs: dict[str, JobRun] = field(default_factory=dict)  # Jobs of the current answer that ran
    ran: list[JobRun] = field(default_factory=list)  # every run, in order

    def run_new(
        self, jobs: Mapping[str, JsonObject], controller_url: str, ports: Mapping[str, Mapping[int, int]]
    ) -> bool:
        """Forget the runs of Jobs no longer answered, run the answered ones that have not run (in name
        order); ``ports``: pool -> ordinal -> instance port of its running pods. True if any ran."""
        for name in [n for n in self.runs if n not in jobs]:
            del self.runs[name]
        pending = sorted(name for name in jobs if name not in self.runs)
        for name in pending:
            self.runs[name] = self._run(jobs[name], controller_url, ports)
            self.ran.append(self.runs[name])
        return bool(pending)

    def observed(self, job: JsonObject) -> JsonObject:
        """The Job with the status the Job controller reports: none until it ran."""
        run = self.runs.get(job["metadata"]["name"])
        if run is None:
            return job
        condition = "Complete" if run.exit_code == 0 else "Failed"
        status = {"conditions": [{"type": condition, "status": "True", "lastTransitionTime": run.finished}]}
        return {**job, "status": status}

    def related(self, jobs: Mapping[str, JsonObject]) -> dict[str, dict[str, JsonObject]]:
        """The Pods of the Jobs that ran, as Metacontroller relates them to the cluster."""
        pods = {}
        for name, job in jobs.items():
            run = self.runs.get(name)
            if run is None:
                continue
            terminated = {"exitCode": run.exit_code, "message": run.line, "finishedAt": run.finished}
            pods[f"{name}-pod"] = {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {
                    "name": f"{name}-pod",
                    "namespace": job["metadata"]["namespace"],
                    "labels": {**job["spec"]["template"]["metadata"]["labels"], "job-name": name},
                    "ownerReferences": [{"uid": job["metadata"].get("uid", ""), "kind": "Job", "name": name}],
                },
                "status": {
                    "containerStatuses": [
                        {
                            "name": job["spec"]["template"]["spec"]["containers"][0]["name"],
                            "state": {"terminated": terminated},
                        }
                    ]
                },
            }
        return {"Pod.v1": pods}

    def of(self, prefix: str, pool: str, operation: str) -> list[JobRun]:
        """Runs of the pool's Jobs of one operation (name part: tag, move, drain, drop), in order."""
        return [r for r in self.ran if r.name.startswith(f"{prefix}-{pool}-{operation}-")]

    def _run(self, job: JsonObject, controller_url: str, ports: Mapping[str, Mapping[int, int]]) -> JobRun:
        (container,) = job["spec"]["template"]["spec"]["containers"]
        labels = job["metadata"]["labels"]
        pool, role = labels[MEMBERSHIP_POOL_LABEL], labels[MEMBERSHIP_ROLE_LABEL]
        env = {item["name"]: env_value(item, self.secrets) for item in container.get("env", [])}
        username = env.get(USERNAME_VARIABLE, "")
        auth = (username, env.get(PASSWORD_VARIABLE, "")) if username else None
        known = self.instances.setdefault(pool, {})
        for ordinal, port in sorted(ports.get(pool, {}).items()):
            if ordinal not in known and role in INSTANCE_PREFIX:
                known[ordinal] = instance_id(controller_url, role, port, auth)
        where = self.workdir / job["metadata"]["name"]
        where.mkdir(parents=True, exist_ok=True)
        log = where / "termination-log"
        argv = [controller_url if a.startswith("http://") else a for a in container["args"]]
        argv = [str(log) if a == TERMINATION_LOG else a for a in argv]
        for ordinal, instance in sorted(known.items()):
            argv += ["--instance-id", f"{ordinal}={instance}"]
        began = time.monotonic()
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            code = command.main(argv, None, environ=env)
        line = log.read_text(encoding="utf-8")
        seconds = time.monotonic() - began
        finished = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        self.log(f"driver: Job {job['metadata']['name']} -> exit {code} in {seconds:.1f}s: {line}")
        return JobRun(job["metadata"]["name"], argv, code, line, json.loads(line), finished, seconds)
