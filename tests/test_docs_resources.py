"""The schema, table and tenant guides match the code: files, names, fields, reasons and messages."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from hooks.pinotapi.command import main
from tests.resources.builders import (
    condition,
    default_related,
    job_in,
    outcome_line,
    parent,
    pod_of,
    stored,
    sync,
    the_job,
)
from tests.support.fake_pinot import FakePinot

ROOT = Path(__file__).resolve().parents[1]
GUIDES = {
    kind: (ROOT / "docs" / f"getting-started-{kind}.md").read_text()
    for kind in ("schemas", "tables", "tenants")
}
CODE = "\n".join(p.read_text() for p in sorted((ROOT / "hooks").rglob("*.py")))


def crd(plural: str) -> dict:  # type: ignore[type-arg]
    loaded: dict = yaml.safe_load((ROOT / "crds" / f"{plural}.yaml").read_text())  # type: ignore[type-arg]
    return loaded


SHORT_NAMES = {
    n for p in ("pinotschemas", "pinottables", "pinottenants") for n in crd(p)["spec"]["names"]["shortNames"]
}


@pytest.mark.parametrize("guide", sorted(GUIDES))
def test_named_files_exist(guide: str) -> None:
    for path in re.findall(r"(?<![\w/])(examples/[\w./-]+\.yaml)", GUIDES[guide]):
        assert (ROOT / path).is_file(), path


@pytest.mark.parametrize("guide", sorted(GUIDES))
def test_kubectl_resource_names_exist(guide: str) -> None:
    for used in re.findall(r"kubectl -n \w+ (?:get|describe|delete) (\w+)", GUIDES[guide]):
        assert used in SHORT_NAMES | {"jobs"}, used


@pytest.mark.parametrize("guide", sorted(GUIDES))
def test_reasons_mentioned_are_reasons_the_code_gives(guide: str) -> None:
    for reason in re.findall(r"reason `(\w+)`|`(\w+)`(?= naming|,? with Pinot)", GUIDES[guide]):
        word = next(r for r in reason if r)
        assert f'"{word}"' in CODE, word


def test_status_fields_used_exist_in_the_crds() -> None:
    status = crd("pinottables")["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["status"]
    assert "pinotName" in status["properties"]
    assert ".status.pinotName" in GUIDES["tables"]


def test_job_label_selector_is_the_label_jobs_carry() -> None:
    key = re.search(r"-l ([\w./-]+)=events", GUIDES["schemas"])
    assert key
    job = the_job(sync(parent("PinotSchema")))
    assert job["metadata"]["labels"][key.group(1)] == "events"


def test_incompatible_schema_excerpt_is_what_the_hook_reports() -> None:
    schema = parent("PinotSchema")
    first = sync(schema)
    job = stored(the_job(first))
    words = "Backward incompatible schema events. Only allow adding new columns"
    pod = pod_of(job, outcome_line("Failed", "IncompatibleSchema", words, 400), exit_code=1)
    children = [stored(c) for c in first["children"] if c["kind"] != "Job"] + [job_in(job, "failed")]
    body = sync(schema, children, [*default_related("PinotSchema"), pod])
    ready, synced = condition(body, "Ready"), condition(body, "Synced")
    hashed = job["metadata"]["name"].replace("events-", "events-<hash>").split("<hash>")[0] + "<hash>"
    assert (
        f"Message:               {ready['message'].replace(job['metadata']['name'], hashed)}"
        in GUIDES["schemas"]
    )
    assert f"Message:               {synced['message']}" in GUIDES["schemas"]
    assert ready["reason"] == synced["reason"] == "IncompatibleSchema"


def test_tenant_shortage_excerpt_is_what_the_job_reports(tmp_path: Path) -> None:
    tenant = yaml.safe_load((ROOT / "examples" / "tenant.yaml").read_text())["spec"]["tenant"]
    tenant["numberOfInstances"] = 10
    document = tmp_path / "tenant.json"
    document.write_text(json.dumps(tenant))
    log = tmp_path / "log"
    argv = [
        "apply",
        "tenant",
        "--file",
        str(document),
        "--controller-url",
        "http://pinot:9000",
        "--termination-log",
        str(log),
    ]
    assert main(argv, transport=FakePinot().transport(), sleep=lambda _: None) == 1
    outcome = json.loads(log.read_text())
    assert outcome["reason"] == "InsufficientInstances"
    assert outcome["message"] in GUIDES["tenants"]
