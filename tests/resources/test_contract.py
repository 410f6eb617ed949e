"""Contract rules (metacontroller-contract.md §7): determinism, fixed point, v1 and v2 keys,
strict Kubernetes schemas for every emitted object, a status the CRD keeps as written."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from hooks import jsonio
from hooks.contract import HookRequest
from tests.resources.builders import (
    HANDLERS,
    NOW,
    cluster,
    default_related,
    job_in,
    outcome_line,
    parent,
    pod_of,
    request_body,
    stored,
    sync,
)
from tests.resources.builders import finalize as finalize_call
from tests.support.kube_schemas import strict_errors

JsonObject = dict[str, Any]
KINDS = ["PinotSchema", "PinotTable", "PinotTenant"]
ROOT = Path(__file__).resolve().parents[2]


def materialise(
    body: JsonObject, state: str, line: str | None, exit_code: int = 0
) -> tuple[list[JsonObject], list[JsonObject]]:
    """The children of a response as Kubernetes holds them, the Job in `state`, and its Pods."""
    children: list[JsonObject] = []
    pods: list[JsonObject] = []
    for child in body["children"]:
        if child["kind"] == "Job":
            job = job_in(child, state, at="2026-11-25T11:59:30Z")
            children.append(job)
            if line is not None:
                pods.append(pod_of(job, line, exit_code=exit_code))
        else:
            children.append(stored(child))
    return children, pods


def with_status(obj: JsonObject, status: JsonObject) -> JsonObject:
    again = copy.deepcopy(obj)
    again["status"] = {**status, "observedGeneration": obj["metadata"]["generation"]}
    return again


# --- determinism ---------------------------------------------------------------------------------------

Scenario = Callable[[], JsonObject]


def scenarios() -> dict[str, tuple[JsonObject, str]]:
    out: dict[str, tuple[JsonObject, str]] = {}
    for kind in KINDS:
        first = sync(parent(kind))
        children, pods = materialise(first, "failed", outcome_line("Failed", "Rejected", "no", 400), 1)
        out[f"{kind}-fresh"] = (request_body(parent(kind)), "sync")
        out[f"{kind}-failed"] = (request_body(parent(kind), children, default_related(kind) + pods), "sync")
        out[f"{kind}-gated"] = (request_body(parent(kind), children, []), "sync")
        deleting = parent(kind, spec={**parent(kind)["spec"], "deletionPolicy": "Delete"})
        out[f"{kind}-finalize"] = (request_body(deleting, children, finalizing=True), "finalize")
    return out


SCENARIOS = scenarios()


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_the_same_request_gives_byte_identical_answers(name: str) -> None:
    body, hook = SCENARIOS[name]
    kind = body["parent"]["kind"].lower()
    answers = {
        jsonio.dumps(HANDLERS[f"/{hook}/{kind}"](HookRequest.model_validate(copy.deepcopy(body)), NOW).body)
        for _ in range(2)
    }
    assert len(answers) == 1


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_v1_keys_give_the_same_answer_as_v2_keys(name: str) -> None:
    body, hook = SCENARIOS[name]
    v1 = copy.deepcopy(body)
    for group in ("children", "related"):
        v1[group] = {t: {o["metadata"]["name"]: o for o in objs.values()} for t, objs in body[group].items()}
    kind = body["parent"]["kind"].lower()
    handler = HANDLERS[f"/{hook}/{kind}"]
    assert (
        handler(HookRequest.model_validate(v1), NOW).body
        == handler(HookRequest.model_validate(body), NOW).body
    )


@pytest.mark.parametrize("kind", KINDS)
def test_every_declared_type_may_be_absent_or_empty(kind: str) -> None:
    body = request_body(parent(kind))
    body["children"] = {}
    assert sync(parent(kind)) == HANDLERS[f"/sync/{kind.lower()}"](HookRequest.model_validate(body), NOW).body


# --- fixed point ---------------------------------------------------------------------------------------

OUTCOMES = [
    ("complete", outcome_line("Succeeded", "Created", "created", 200), 0),
    ("failed", outcome_line("Failed", "Rejected", "Invalid table config", 400), 1),
    ("failed", outcome_line("Failed", "Unreachable", "connection refused"), 1),
    ("running", None, 0),
]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    ("state", "line", "exit_code"), OUTCOMES, ids=["created", "rejected", "retrying", "running"]
)
def test_feeding_the_answer_back_changes_nothing(
    kind: str, state: str, line: str | None, exit_code: int
) -> None:
    obj = parent(kind)
    first = sync(obj)
    children, pods = materialise(first, state, line, exit_code)
    second = sync(with_status(obj, first["status"]), children, default_related(kind) + pods)
    third = sync(with_status(obj, second["status"]), children, default_related(kind) + pods)
    later = sync(
        with_status(obj, third["status"]),
        children,
        default_related(kind) + pods,
        now=NOW + timedelta(seconds=20),
    )
    assert third["children"] == second["children"] == later["children"]
    assert third["status"] == second["status"] == later["status"]
    assert second["children"] == first["children"]


@pytest.mark.parametrize("kind", KINDS)
def test_a_gated_or_invalid_answer_is_a_fixed_point_too(kind: str) -> None:
    first = sync(parent(kind))
    children, _ = materialise(first, "complete", outcome_line("Succeeded", "Created", "created"))
    invalid = parent(kind)
    invalid["spec"]["clusterRef"] = {}
    for obj, related in ((parent(kind), []), (invalid, default_related(kind))):
        one = sync(obj, children, related)
        two = sync(with_status(obj, one["status"]), [stored(c) for c in one["children"]], related)
        assert one == two


@pytest.mark.parametrize("kind", KINDS)
def test_a_deletion_under_way_is_a_fixed_point(kind: str) -> None:
    obj = parent(kind, spec={**parent(kind)["spec"], "deletionPolicy": "Delete"})
    first = finalize_call(obj)
    children, _ = materialise(first, "running", None)
    second = finalize_call(with_status(obj, first["status"]), children)
    third = finalize_call(with_status(obj, second["status"]), children, now=NOW + timedelta(minutes=5))
    assert second == third


# --- strict Kubernetes schemas -------------------------------------------------------------------------


def emitted() -> list[JsonObject]:
    objects: list[JsonObject] = []
    for kind in KINDS:
        for related in (default_related(kind), [cluster(secret=None), *default_related(kind)[1:]]):
            objects += sync(parent(kind), related=related)["children"]
            deleting = parent(kind, spec={**parent(kind)["spec"], "deletionPolicy": "Delete"})
            objects += finalize_call(deleting, related=related)["children"]
    flagged = parent("PinotTable")
    flagged["spec"].update(reload=True, force=True)
    objects += sync(flagged)["children"]
    return objects


@pytest.mark.parametrize("obj", emitted(), ids=lambda o: f"{o['kind']}-{o['metadata']['name']}")
def test_every_emitted_object_passes_strict_kubernetes_schemas(obj: JsonObject) -> None:
    assert strict_errors(obj) == []


def test_children_never_carry_server_owned_metadata() -> None:
    for obj in emitted():
        assert set(obj["metadata"]) <= {"name", "labels"}
        assert "status" not in obj


# --- the status as the CRD stores it -------------------------------------------------------------------


def status_schema(kind: str) -> JsonObject:
    plural = {"PinotSchema": "pinotschemas", "PinotTable": "pinottables", "PinotTenant": "pinottenants"}[kind]
    crd = yaml.safe_load((ROOT / "crds" / f"{plural}.yaml").read_text())
    schema: JsonObject = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["status"]
    return schema


def undeclared(value: Any, schema: JsonObject, path: str) -> list[str]:
    """Keys the API server would prune (so that every status write would differ from the last)."""
    if isinstance(value, dict) and "properties" in schema:
        found = []
        for key, item in value.items():
            if key not in schema["properties"]:
                found.append(f"{path}.{key}")
            else:
                found += undeclared(item, schema["properties"][key], f"{path}.{key}")
        return found
    if isinstance(value, list) and "items" in schema:
        return [p for i, item in enumerate(value) for p in undeclared(item, schema["items"], f"{path}[{i}]")]
    return []


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    ("state", "line", "exit_code"), OUTCOMES, ids=["created", "rejected", "retrying", "running"]
)
def test_status_holds_only_what_the_crd_declares(
    kind: str, state: str, line: str | None, exit_code: int
) -> None:
    first = sync(parent(kind))
    children, pods = materialise(first, state, line, exit_code)
    status = sync(with_status(parent(kind), first["status"]), children, default_related(kind) + pods)[
        "status"
    ]
    assert undeclared(status, status_schema(kind), "status") == []
    assert "observedGeneration" not in status
