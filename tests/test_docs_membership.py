"""docs/guide-tiering.md and docs/pool-membership.md match the code: the examples they quote, the
status they show (computed by the hook), the refusal they quote (written by the Job CLI against the
fake controller, then shown by the hook), and every name they give."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import yaml

from hooks.cluster.sync import sync_cluster
from hooks.membership.cluster import FORCE_ANNOTATION
from hooks.membership.plan import MembershipPhase
from hooks.membership.runs import NAME_PARTS, OPERATIONS
from hooks.membership.tags import BROKER_STARTUP_TAGS
from hooks.pinotapi.command import main
from hooks.pinotapi.outcome import FAILURE_REASONS
from hooks.render import completed_job_status
from tests.cluster.builders import NOW, example, request, settle
from tests.support.fake_pinot import FakePinot

ROOT = Path(__file__).resolve().parents[1]
GUIDE = (ROOT / "docs" / "guide-tiering.md").read_text()
REFERENCE = (ROOT / "docs" / "pool-membership.md").read_text()
JsonObject = dict[str, Any]


def heterogeneous() -> JsonObject:
    """The example cluster in the guide's namespace."""
    cluster = example("cluster-heterogeneous.yaml")
    cluster["metadata"]["namespace"] = "analytics"
    return cluster


def converged(cluster: JsonObject) -> tuple[JsonObject, list[JsonObject]]:
    children: list[JsonObject] = []
    for _ in range(40):
        body = sync_cluster(request(cluster, children), NOW).body
        cluster["status"] = {**body["status"], "observedGeneration": cluster["metadata"]["generation"]}
        children = [settle(c) for c in body["children"]]
        if next(c for c in body["status"]["conditions"] if c["type"] == "Ready")["status"] == "True":
            return body, children
    raise AssertionError("the example never got ready")


def yaml_blocks(text: str) -> list[str]:
    return re.findall(r"```yaml\n(.*?)```", text, re.S)


def test_every_file_the_guides_name_exists() -> None:
    for path in re.findall(r"(?<![\w/])((?:examples|docs)/[\w./-]+)", GUIDE + REFERENCE):
        assert (ROOT / path.rstrip(".")).exists(), path


def test_the_yaml_the_guide_shows_is_in_the_examples_it_names() -> None:
    sources = {
        name: (ROOT / "examples" / name).read_text()
        for name in ("cluster-heterogeneous.yaml", "table-metrics-tiered.yaml")
    }
    for block in yaml_blocks(GUIDE):
        lines = [line for line in block.splitlines() if line.strip() and line.strip() != "..."]
        assert any(all(line in text for line in lines) for text in sources.values()), block


def test_the_pool_lines_the_guide_shows_are_what_the_hook_reports() -> None:
    body, _ = converged(heterogeneous())
    shown = re.search(r"```\n(controller\s+Ready\n(?:.+\n)+?)```", GUIDE)
    assert shown
    rows = [re.split(r"\s{2,}|\t", row.strip(), maxsplit=3) for row in shown.group(1).splitlines()]
    expected = [
        [p["name"], p["state"], *([p["pinot"]["phase"], p["pinot"]["message"]] if "pinot" in p else [])]
        for p in body["status"]["pools"]
    ]
    assert rows == expected


def test_the_refusal_the_guide_shows_is_what_the_job_and_the_hook_report(tmp_path: Path) -> None:
    _, children = converged(heterogeneous())
    cluster = heterogeneous()
    for pool in cluster["spec"]["pools"]:
        if pool["name"] == "servers-cold":
            pool["replicas"] = 1
    shrunk = sync_cluster(request(cluster, children), NOW).body
    (drain,) = [c for c in shrunk["children"] if c["kind"] == "Job" and "-drain-" in c["metadata"]["name"]]

    pinot = FakePinot(brokers=0, servers=0)
    for ordinal in (0, 1):
        host = f"pinot-servers-cold-{ordinal}.pinot-servers-cold-headless.analytics.svc.cluster.local"
        pinot.register(f"Server_{host}_8098", ["cold_OFFLINE", "cold_REALTIME"])
    pinot.tables["metrics", "OFFLINE"] = copy.deepcopy(
        yaml.safe_load((ROOT / "examples" / "table-metrics-tiered.yaml").read_text())["spec"]["table"]
    )
    pinot.tables["metrics", "OFFLINE"]["tableName"] = "metrics_OFFLINE"
    log = tmp_path / "termination-log"
    args = drain["spec"]["template"]["spec"]["containers"][0]["args"]
    argv = [str(log) if a == "/dev/termination-log" else a for a in args]
    assert main(argv, pinot.transport(), sleep=lambda _: None, clock=lambda: 0.0) == 1

    failed = settle(drain)
    failed["metadata"]["uid"] = "uid-drain"
    failed["status"] = {
        "conditions": [{"type": "Failed", "status": "True", "lastTransitionTime": "2026-11-25T12:00:00Z"}]
    }
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": "drain-pod",
            "labels": drain["metadata"]["labels"],
            "ownerReferences": [{"uid": "uid-drain"}],
        },
        "status": {
            "containerStatuses": [{"state": {"terminated": {"message": log.read_text(), "finishedAt": "t"}}}]
        },
    }
    others = [settle(c) for c in shrunk["children"] if c["metadata"]["name"] != drain["metadata"]["name"]]
    hook_request = request(cluster, [*others, failed])
    hook_request.related = {"Pod.v1": {"drain-pod": pod}}
    degraded = next(
        c for c in sync_cluster(hook_request, NOW).body["status"]["conditions"] if c["type"] == "Degraded"
    )
    assert degraded["reason"] == "ScaleInBlocked"
    shown = degraded["message"].split("; retrying at ")[0] + "; retrying at ..."
    assert shown in GUIDE


def test_names_the_docs_give_are_the_codes() -> None:
    assert f"{FORCE_ANNOTATION}=" in REFERENCE and f"{FORCE_ANNOTATION}:" in GUIDE
    for phase in MembershipPhase:
        assert f"`{phase.value}`" in REFERENCE, phase
    for operation in OPERATIONS:
        assert f"| `{operation}` | `{NAME_PARTS[operation]}` |" in REFERENCE, operation
    for reason in re.findall(r"`(\w+)`", REFERENCE.split("- `Degraded`:")[1].split("\n- ")[0]):
        assert reason in FAILURE_REASONS | {
            "ScaleInBlocked",
            "TablesUnderReplicated",
            "UnrecognizedChildren",
        }, reason
    assert completed_job_status()["conditions"][0]["type"] == "Complete"
    assert f"`{BROKER_STARTUP_TAGS}`" in REFERENCE


def test_the_guides_patches_name_the_pools_they_say() -> None:
    pools = yaml.safe_load((ROOT / "examples" / "cluster-heterogeneous.yaml").read_text())["spec"]["pools"]
    paths = [int(n) for n in re.findall(r'"path":"/spec/pools/(\d+)/replicas"', GUIDE)]
    assert [pools[n]["name"] for n in paths] == ["servers-hot", "servers-cold"]
    assert (pools[paths[0]]["replicas"], pools[paths[1]]["replicas"]) == (4, 2)  # grown to 5, shrunk to 1
