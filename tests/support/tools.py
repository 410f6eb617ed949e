"""The helm and kustomize binaries `make tools` builds (pinned in install.mk), and rendering with them.

`make test-helm` passes their paths as PCP_HELM and PCP_KUSTOMIZE; run by hand, the tests find them
where `make tools` puts them. A missing binary is a failure that says how to build it, never a skip.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "charts" / "pinot-control-plane"

JsonObject = dict[str, Any]


def pinned_version(tool: str) -> str:
    found = re.search(rf"^{tool.upper()}_VERSION := (\S+)$", (ROOT / "install.mk").read_text(), re.M)
    assert found, f"install.mk pins no {tool} version"
    return found.group(1)


def binary(tool: str) -> str:
    given = os.environ.get(f"PCP_{tool.upper()}")
    cache = Path(os.environ.get("TOOLS_CACHE") or Path.home() / ".cache" / "pinot-control-plane")
    path = Path(given) if given else cache / f"{tool}-{pinned_version(tool)}" / tool
    if not path.is_file():
        pytest.fail(f"{path} is missing: `make tools` builds {tool} from the Go module proxy", pytrace=False)
    return str(path)


def run(argv: list[str], cwd: Path = ROOT) -> str:
    """stdout of a command that must succeed (its stderr in the failure otherwise)."""
    done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=300, check=False)
    if done.returncode != 0:
        pytest.fail(f"{' '.join(argv)} exited {done.returncode}:\n{done.stderr}", pytrace=False)
    return done.stdout


def documents(text: str) -> list[JsonObject]:
    return [doc for doc in yaml.safe_load_all(text) if doc]


def kustomize(directory: Path) -> list[JsonObject]:
    return documents(run([binary("kustomize"), "build", str(directory)]))


def helm_template(
    *args: str, chart: Path = CHART, namespace: str = "pinot-control-plane"
) -> list[JsonObject]:
    """The chart's objects, CRDs included, as `helm install --namespace <namespace> ...` creates them."""
    argv = [binary("helm"), "template", "pinot-control-plane", str(CHART), "--namespace", namespace]
    return documents(run([*argv, "--include-crds", *args]))
