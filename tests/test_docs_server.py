"""The README's hook service section says what the server does: its bounds, their defaults, the
memory limit they are sized for, and the metrics it exposes."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from hooks import limits
from hooks.cli import build_parser
from hooks.metrics import Metrics

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
SECTION = README[README.index("## The hook service") : README.index("## Development")]


def test_each_bound_in_the_readme_is_the_default_of_serve() -> None:
    serve = build_parser().parse_args(["serve"])
    rows = dict(re.findall(r"^\| `--([a-z-]+)` \| ([^|]+) \|", SECTION, re.M))
    expected = {
        "max-connections": str(serve.max_connections),
        "header-timeout": f"{serve.header_timeout:g} s",
        "body-budget-bytes": f"{serve.body_budget_bytes // limits.MIB} MiB",
        "max-requests": str(serve.max_requests),
        "body-timeout": f"{serve.body_timeout:g} s",
        "max-body-bytes": f"{serve.max_body_bytes // limits.MIB} MiB",
        "write-timeout": f"{serve.write_timeout:g} s",
        "stall-timeout": f"{serve.stall_timeout:g} s",
    }
    assert {flag: value.strip() for flag, value in rows.items()} == expected


def test_the_memory_limit_the_readme_states_is_the_deployments() -> None:
    deployment = yaml.safe_load((ROOT / "metacontroller" / "deployment.yaml").read_text())
    [container] = deployment["spec"]["template"]["spec"]["containers"]
    resources = container["resources"]
    stated = re.search(r"\((\d+) Mi, request (\d+) Mi\)", SECTION)
    assert stated is not None
    assert (resources["limits"]["memory"], resources["requests"]["memory"]) == (
        f"{stated.group(1)}Mi",
        f"{stated.group(2)}Mi",
    )


def test_every_metric_family_of_ours_is_in_the_readme() -> None:
    names = {
        family.name + ("_total" if family.type == "counter" else "")
        for family in Metrics("0").registry.collect()
        if family.name.startswith("pinot_control_plane_")
    }
    assert names
    missing = [name for name in sorted(names) if f"`{name}" not in SECTION]
    assert missing == []


def test_the_probe_port_the_readme_names_is_the_default_and_the_deployments() -> None:
    serve = build_parser().parse_args(["serve"])
    assert f"`serve --probe-port` (default {serve.probe_port};" in SECTION
    deployment = yaml.safe_load((ROOT / "metacontroller" / "deployment.yaml").read_text())
    [container] = deployment["spec"]["template"]["spec"]["containers"]
    ports = {port["name"]: port["containerPort"] for port in container["ports"]}
    assert ports["probes"] == serve.probe_port == limits.PROBE_PORT
    assert container["args"][container["args"].index("--probe-port") + 1] == str(serve.probe_port)
    assert f"for `--stall-timeout` ({serve.stall_timeout:g} s)" in SECTION
