"""Run the Job CLI the way a schema, table or tenant Job runs it, against the real controller.

For each step the tests write the custom resource's ``spec`` (``{"schema": {...}, "reload": true}``,
``{"table": {...}, "schemaRef": {...}}``, ``{"tenant": {...}}``) and :class:`JobRunner` renders the Job
and its document ConfigMap with the product's own code (``hooks.resources``: the kind's ``read``,
``Run``, ``jobs.job``, ``jobs.config_map``). It then runs the container's command and args with only
what a pod would differ in replaced:

* the document volume's mount path -> a directory holding the ConfigMap's files;
* ``--termination-log`` -> a file, whose one JSON line is the outcome the tests assert on;
* env ``valueFrom.secretKeyRef`` -> the value of that key of the named Secret (a dict here), so
  credentials reach the CLI as ``PINOT_USERNAME``/``PINOT_PASSWORD`` and in no other way;
* the controller URL (the in-cluster Service) -> the local controller.

By default the command runs in-process (``hooks.pinotapi.command.main(argv, transport=None,
environ=env)``, a real HTTP client with the env as its environment), or as the
installed console script instead (``console_script=True``), with the env as the process environment.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from hooks.pinotapi import command
from hooks.resources import jobs
from hooks.resources.kinds import SCHEMA, TABLE, TENANT, ResourceKind
from hooks.resources.runs import TERMINATION_LOG, Connection, Run

KINDS: dict[str, ResourceKind] = {"schema": SCHEMA, "table": TABLE, "tenant": TENANT}
CONSOLE_SCRIPT = Path(sys.executable).with_name("pinot-control-plane")
#: The Secret a PinotCluster's ``spec.auth.secretRef`` names (``examples/auth-secret.yaml``).
SECRET_NAME = "pinot-admin"


@dataclass(frozen=True)
class JobResult:
    argv: list[str]
    env: dict[str, str]
    exit_code: int
    outcome: dict[str, Any]
    stdout: str
    seconds: float

    @property
    def reason(self) -> str:
        return str(self.outcome.get("reason"))

    @property
    def message(self) -> str:
        return str(self.outcome.get("message", ""))

    @property
    def result(self) -> str:
        return str(self.outcome.get("result"))

    def __str__(self) -> str:
        return f"exit {self.exit_code}: {json.dumps(self.outcome)}"


class JobRunner:
    """Renders and runs apply/delete Jobs against one controller (see the module docstring)."""

    def __init__(
        self,
        controller_url: str,
        workdir: Path,
        secrets: Mapping[str, Mapping[str, str]] | None = None,
        secret_name: str = "",
    ) -> None:
        self.controller_url = controller_url
        self.workdir = workdir
        self.secrets = {name: dict(data) for name, data in (secrets or {}).items()}
        self.secret_name = secret_name
        self.count = 0
        self.seconds = 0.0
        self.slowest: JobResult | None = None

    def apply(self, kind: str, spec: Mapping[str, Any], *, console_script: bool = False) -> JobResult:
        return self.run("apply", kind, spec, console_script=console_script)

    def delete(self, kind: str, spec: Mapping[str, Any], *, console_script: bool = False) -> JobResult:
        return self.run("delete", kind, spec, console_script=console_script)

    def render(self, operation: Literal["apply", "delete"], kind: str, spec: Mapping[str, Any]) -> Run:
        reading = KINDS[kind].read(dict(spec))
        connection = Connection(self.controller_url, self.secret_name)
        assert reading.desired is not None and reading.target is not None, reading.errors
        if operation == "apply":
            return Run.apply(reading.desired, connection)
        return Run.delete(reading.target, connection)

    def run(
        self,
        operation: Literal["apply", "delete"],
        kind: str,
        spec: Mapping[str, Any],
        *,
        console_script: bool = False,
    ) -> JobResult:
        run = self.render(operation, kind, spec)
        self.count += 1
        owner = jobs.Owner(KINDS[kind], f"{kind}-{self.count}")
        job = jobs.job(owner, run, image="unused")
        pod = job["spec"]["template"]["spec"]
        (container,) = pod["containers"]
        assert container["command"] == ["pinot-control-plane"]
        here = self.workdir / owner.run_name(run)
        here.mkdir(parents=True, exist_ok=True)
        mounts = {}
        if run.document is not None:
            configmap = jobs.config_map(owner, run)
            (volume,) = pod["volumes"]
            assert volume["configMap"]["name"] == configmap["metadata"]["name"]
            (mount,) = container["volumeMounts"]
            documents = here / "document"
            documents.mkdir(exist_ok=True)
            for name, text in configmap["data"].items():
                (documents / name).write_text(text, encoding="utf-8")
            mounts[mount["mountPath"].rstrip("/") + "/"] = str(documents) + "/"
        termination_log = here / "termination-log"
        argv = [self._local(arg, mounts, termination_log) for arg in container["args"]]
        env = {item["name"]: self._env_value(item) for item in container.get("env", [])}
        began = time.monotonic()
        if console_script:
            code, stdout = self._console_script(argv, env)
        else:
            code, stdout = self._in_process(argv, env)
        seconds = time.monotonic() - began
        self.seconds += seconds
        line = termination_log.read_text(encoding="utf-8")
        assert "\n" not in line.strip(), f"the termination log holds more than one line: {line!r}"
        assert stdout.strip().splitlines()[-1] == line, (stdout, line)
        result = JobResult(argv, env, code, json.loads(line), stdout, seconds)
        if self.slowest is None or seconds > self.slowest.seconds:
            self.slowest = result
        return result

    @staticmethod
    def _local(arg: str, mounts: Mapping[str, str], termination_log: Path) -> str:
        if arg == TERMINATION_LOG:
            return str(termination_log)
        for mount, local in mounts.items():
            if arg.startswith(mount):
                return local + arg[len(mount) :]
        return arg

    def _env_value(self, item: Mapping[str, Any]) -> str:
        return env_value(item, self.secrets)

    @staticmethod
    def _in_process(argv: list[str], env: Mapping[str, str]) -> tuple[int, str]:
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            code = command.main(argv, None, environ=dict(env))
        return code, out.getvalue()

    @staticmethod
    def _console_script(argv: list[str], env: Mapping[str, str]) -> tuple[int, str]:
        base = {key: os.environ[key] for key in ("PATH", "LANG", "HOME") if key in os.environ}
        done = subprocess.run(
            [str(CONSOLE_SCRIPT), *argv],
            env={**base, **env},
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert done.returncode in (0, 1), f"exit {done.returncode}: {done.stdout}{done.stderr}"
        return done.returncode, done.stdout


def env_value(item: Mapping[str, Any], secrets: Mapping[str, Mapping[str, str]]) -> str:
    """A container env entry's value as the kubelet sets it (``value``, or a Secret's key)."""
    if "value" in item:
        return str(item["value"])
    ref = item["valueFrom"]["secretKeyRef"]
    # A pod whose Secret or key is missing never starts; the tests must provide what the Job names.
    return secrets[ref["name"]][ref["key"]]
