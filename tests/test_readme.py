"""The README's commands work as written: every curl line runs against a real server."""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def readme_curls() -> list[str]:
    return [line.strip() for line in README.splitlines() if line.strip().startswith("curl ")]


def test_readme_opens_with_the_two_commands() -> None:
    head = "\n".join(README.splitlines()[:15])
    assert "make run" in head and "make test" in head


def test_readme_has_curl_examples() -> None:
    assert len(readme_curls()) >= 4


@pytest.mark.parametrize("line", readme_curls())
def test_each_readme_curl_gets_a_real_answer(line: str, server: str) -> None:
    curl = shutil.which("curl")
    assert curl, "curl is needed to check the README's examples"
    argv = [a.replace("http://127.0.0.1:8080", server) for a in shlex.split(line)]
    argv += ["-w", "\n%{http_code}"]
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=30, check=True)
    body, _, code = done.stdout.rpartition("\n")
    if "/metrics" in line:
        assert code == "200" and "pinot_control_plane_hook_duration_seconds" in body
    elif "healthz" in line:
        assert (code, body) == ("200", "ok")
    elif "not" in line and "a hook request" in line:
        assert code == "422" and "error" in json.loads(body)
    elif "invalid" in line:
        ready = next(c for c in json.loads(body)["status"]["conditions"] if c["type"] == "Ready")
        assert (
            code == "200"
            and ready["reason"] == "InvalidSpec"
            and "spec.pools[0].replicas" in ready["message"]
        )
    else:
        kinds = {c["kind"] for c in json.loads(body)["children"]}
        assert code == "200" and kinds == {
            "StatefulSet",
            "Service",
            "ConfigMap",
            "PodDisruptionBudget",
            "NetworkPolicy",
        }


@pytest.mark.parametrize("ready", [False, True])
def test_readme_render_commands_work(ready: bool) -> None:
    for match in re.finditer(r"^\.venv/bin/pinot-control-plane render (.*?)\s*(#.*)?$", README, re.M):
        args = shlex.split(match.group(1))
        if ("--ready" in args) != ready:
            continue
        done = subprocess.run(
            [str(ROOT / ".venv/bin/pinot-control-plane"), "render", *args],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        files = [args[i + 1] for i, arg in enumerate(args) if arg == "-f"]
        if any("cluster" in name for name in files):
            assert done.stdout.count("kind: StatefulSet") == (5 if ready else 1)
        else:  # schemas, tables and tenants: one apply Job each
            assert done.stdout.count("\nkind: Job\n") == len(files)
