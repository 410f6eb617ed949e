"""docs/getting-started-clusters.md matches the code: every file, label, name and state it shows."""

from __future__ import annotations

import re
import shlex
import subprocess
from pathlib import Path

import yaml

from hooks.cluster import naming
from tests.cluster.builders import example
from tests.cluster.rounds import Rounds
from tests.support.tools import binary, run

ROOT = Path(__file__).resolve().parents[1]
DOC = (ROOT / "docs" / "getting-started-clusters.md").read_text()


def crd(kind_plural: str) -> dict:  # type: ignore[type-arg]
    loaded: dict = yaml.safe_load((ROOT / "crds" / f"{kind_plural}.yaml").read_text())  # type: ignore[type-arg]
    return loaded


def test_every_file_the_guide_names_exists() -> None:
    for path in re.findall(r"(?<![\w/])((?:examples|metacontroller)/[\w./-]*)", DOC):
        assert (ROOT / path.rstrip(".")).exists(), path


def test_label_selectors_use_the_labels_the_hook_sets() -> None:
    for key in re.findall(r"-l ([\w./-]+)=", DOC):
        assert key in {naming.CLUSTER_LABEL, naming.POOL_LABEL, naming.ROLE_LABEL}


def test_resource_names_and_columns_exist() -> None:
    names = crd("pinotclusters")["spec"]["names"]
    for used in re.findall(r"kubectl (?:-n \w+ )?(?:get|patch|wait [^ ]+) (\w+)", DOC):
        assert used in {"statefulsets", "statefulset", "deployment", "job", "pinot"} | set(
            names["shortNames"]
        ) | {
            names["singular"],
            names["plural"],
        } or used.startswith("pinotcluster"), used
    assert "pinot" in names["categories"]
    columns = [
        c["name"].upper() for c in crd("pinotclusters")["spec"]["versions"][0]["additionalPrinterColumns"]
    ]
    assert re.search(r"NAME\s+" + r"\s+".join(c for c in columns if c != "IMAGE"), DOC)


def test_install_names_match_the_kustomization() -> None:
    rendered = run([binary("kustomize"), "build", str(ROOT / "metacontroller")])
    objects = [o for o in yaml.safe_load_all(rendered) if o]
    deployments = {
        (o["metadata"].get("namespace"), o["metadata"]["name"]) for o in objects if o["kind"] == "Deployment"
    }
    assert ("pinot-control-plane", "pinot-control-plane-hooks") in deployments
    assert "image: pinot-control-plane:0.1.0" in rendered or "pinot-control-plane:0.1.0" in rendered


def test_render_commands_say_what_the_guide_says() -> None:
    for line in DOC.splitlines():
        if not line.startswith(".venv/bin/pinot-control-plane render"):
            continue
        command = line.split(" | ")[0]
        done = subprocess.run(shlex.split(command), cwd=ROOT, capture_output=True, text=True, check=True)
        count = done.stdout.count("kind: StatefulSet")
        assert count == (5 if "--ready" in command else 1)


def test_the_states_shown_are_what_the_hook_reports() -> None:
    cluster = example("cluster-heterogeneous.yaml")
    rounds = Rounds(cluster)
    first = rounds.step()
    shown = [line.split(None, 2) for line in DOC.split("creating\nbroker")[0].splitlines()[-1:]]
    assert shown  # the first table row
    table = re.search(r"```\n(controller\s+RollingOut\s+creating\n(?:.+\n)+?)```", DOC)
    assert table
    rows = [re.split(r"\s{2,}|\t", row.strip(), maxsplit=2) for row in table.group(1).splitlines()]
    assert rows == [[p["name"], p["state"], p["message"]] for p in first["status"]["pools"]]
    for _ in range(16):
        rounds.step()
    rounds.change(image="apachepinot/pinot:1.4.0")
    upgrade = rounds.step()
    table = re.search(r"```\n(controller\s+RollingOut\n(?:.+\n)+?)```", DOC)
    assert table
    rows = [row.split() for row in table.group(1).splitlines()]
    assert rows == [[p["name"], p["state"]] for p in upgrade["status"]["pools"]]


def test_the_zookeeper_the_guide_waits_for_creates_the_chroot_the_cluster_names() -> None:
    waited = re.findall(r"kubectl -n (\w+) wait --for=condition=complete job/([\w-]+)", DOC)
    documents = [d for d in yaml.safe_load_all((ROOT / "examples" / "zookeeper-dev.yaml").read_text()) if d]
    jobs = {(d["metadata"]["namespace"], d["metadata"]["name"]): d for d in documents if d["kind"] == "Job"}
    assert waited and all(key in jobs for key in waited)
    (job,) = (jobs[key] for key in waited)
    (container,) = job["spec"]["template"]["spec"]["containers"]
    chroot = next(e["value"] for e in container["env"] if e["name"] == "CHROOT")
    assert example("cluster-heterogeneous.yaml")["spec"]["zookeeper"]["address"].endswith(f":2181{chroot}")
