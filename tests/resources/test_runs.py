"""Runs: one Job per distinct (document, flags, target); only the current one is kept; its spec."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from typing import Any

import pytest

from hooks.contract import HookRequest
from hooks.jsonio import loads
from hooks.resources.routes import DEFAULT_IMAGE, job_image, resource_routes
from tests.resources.builders import (
    IMAGE,
    NOW,
    SECRET,
    URL,
    cluster,
    condition,
    default_related,
    job_in,
    of_kind,
    parent,
    request_body,
    schema_cr,
    stored,
    sync,
    the_job,
)

JsonObject = dict[str, Any]
KINDS = ["PinotSchema", "PinotTable", "PinotTenant"]
HEX10 = re.compile(r"^[0-9a-f]{10}$")


def job_name(kind: str, spec_edit: Callable[[JsonObject], None] | None = None, **kw: Any) -> str:
    obj = parent(kind)
    if spec_edit:
        spec_edit(obj["spec"])
    return str(the_job(sync(obj, **kw))["metadata"]["name"])


@pytest.mark.parametrize("kind", KINDS)
def test_the_job_is_named_after_the_resource_and_a_hash(kind: str) -> None:
    name = job_name(kind)
    resource = parent(kind)["metadata"]["name"]
    assert name.startswith(resource + "-")
    assert HEX10.match(name[len(resource) + 1 :])
    assert len(name) <= 63


@pytest.mark.parametrize("kind", KINDS)
def test_the_same_spec_gives_the_same_job(kind: str) -> None:
    reordered = parent(kind)
    document_key = {"PinotSchema": "schema", "PinotTable": "table", "PinotTenant": "tenant"}[kind]
    reordered["spec"][document_key] = dict(reversed(list(reordered["spec"][document_key].items())))
    reordered["metadata"]["generation"] = 7
    reordered["metadata"]["labels"] = {"changed": "label"}
    reordered["status"] = {"appliedHash": "0000000000"}
    assert the_job(sync(reordered)) == the_job(sync(parent(kind)))


def edit(path: str, value: Any) -> Callable[[JsonObject], None]:
    def apply(spec: JsonObject) -> None:
        *parents, last = path.split(".")
        for part in parents:
            spec = spec.setdefault(part, {})
        spec[last] = value

    return apply


CHANGES: list[tuple[str, Callable[[JsonObject], None] | None, dict[str, Any]]] = [
    ("PinotSchema", edit("schema.dimensionFieldSpecs", [{"name": "id", "dataType": "INT"}]), {}),
    ("PinotSchema", edit("reload", False), {}),
    ("PinotSchema", edit("force", True), {}),
    ("PinotTable", edit("table.segmentsConfig.replication", "2"), {}),
    ("PinotTable", edit("reload", True), {}),
    ("PinotTable", edit("force", True), {}),
    ("PinotTenant", edit("tenant.numberOfInstances", 3), {}),
    ("PinotSchema", None, {"related": [cluster(url="http://other-controller.analytics.svc:9000")]}),
    ("PinotSchema", None, {"related": [cluster(secret="other-admin")]}),
    ("PinotSchema", None, {"related": [cluster(secret=None)]}),
    ("PinotTable", None, {"related": [cluster(url="https://pinot.example:9443"), schema_cr()]}),
]


@pytest.mark.parametrize(("kind", "change", "kw"), CHANGES)
def test_any_change_of_document_flags_or_target_gives_a_new_job(
    kind: str, change: Callable[[JsonObject], None] | None, kw: dict[str, Any]
) -> None:
    assert job_name(kind, change, **kw) != job_name(kind)


@pytest.mark.parametrize("kind", KINDS)
def test_the_job_image_is_no_part_of_the_run(kind: str) -> None:
    request = HookRequest.model_validate(request_body(parent(kind)))
    names = set()
    for image in ("a/pinot-control-plane:1", "b/pinot-control-plane:2"):
        routes = {p: h for p, _, _, h in resource_routes({"PINOT_CP_JOB_IMAGE": image})}
        job = the_job(routes[f"/sync/{kind.lower()}"](request, NOW).body)
        assert job["spec"]["template"]["spec"]["containers"][0]["image"] == image
        names.add(job["metadata"]["name"])
    assert len(names) == 1


def test_the_image_comes_from_the_environment_or_the_default() -> None:
    assert job_image({}) == DEFAULT_IMAGE == "pinot-control-plane:0.1.0"
    assert job_image({"PINOT_CP_JOB_IMAGE": ""}) == DEFAULT_IMAGE
    assert job_image({"PINOT_CP_JOB_IMAGE": IMAGE}) == IMAGE


@pytest.mark.parametrize(
    ("kind", "file", "document"),
    [("PinotSchema", "schema.json", "schema"), ("PinotTable", "table.json", "table")],
)
def test_the_config_map_holds_the_document_as_sorted_json_under_the_job_name(
    kind: str, file: str, document: str
) -> None:
    body = sync(parent(kind))
    config = of_kind(body["children"], "ConfigMap")[0]
    assert config["metadata"]["name"] == the_job(body)["metadata"]["name"]
    assert set(config["data"]) == {file}
    text = config["data"][file]
    assert loads(text) == parent(kind)["spec"][document]
    keys = list(loads(text))
    assert keys == sorted(keys)


def test_a_tenant_document_travels_in_a_config_map_too() -> None:
    body = sync(parent("PinotTenant"))
    config = of_kind(body["children"], "ConfigMap")[0]
    assert loads(config["data"]["tenant.json"]) == parent("PinotTenant")["spec"]["tenant"]


@pytest.mark.parametrize("kind", KINDS)
def test_only_the_current_run_is_kept(kind: str) -> None:
    older = parent(kind)
    older["spec"]["force"] = True
    if kind == "PinotTenant":
        older["spec"]["tenant"]["numberOfInstances"] = 5
    old = [job_in(c, "complete") if c["kind"] == "Job" else stored(c) for c in sync(older)["children"]]
    current = sync(parent(kind))
    body = sync(parent(kind), old)
    assert body["children"] == current["children"]
    assert {c["metadata"]["name"] for c in old}.isdisjoint({c["metadata"]["name"] for c in body["children"]})


def test_a_new_run_waits_while_a_run_of_an_earlier_spec_is_still_running() -> None:
    older = parent("PinotSchema")
    older["spec"]["force"] = True
    old = [job_in(c, "running") if c["kind"] == "Job" else stored(c) for c in sync(older)["children"]]
    old_name = old[0]["metadata"]["name"]
    body = sync(parent("PinotSchema"), old)
    assert sorted(c["metadata"]["name"] for c in body["children"]) == [old_name, old_name]
    synced = condition(body, "Synced")
    assert synced["reason"] == "Applying"
    assert f"Job {old_name} of an earlier spec is still running" in synced["message"]


# --- the Job itself ------------------------------------------------------------------------------------


def pod_spec(kind: str, **kw: Any) -> JsonObject:
    spec: JsonObject = the_job(sync(parent(kind), **kw))["spec"]["template"]["spec"]
    return spec


@pytest.mark.parametrize("kind", KINDS)
def test_the_job_runs_once_restricted_and_bounded(kind: str) -> None:
    job = the_job(sync(parent(kind)))
    spec = job["spec"]
    assert spec["backoffLimit"] == 3
    assert spec["activeDeadlineSeconds"] == 600
    assert "ttlSecondsAfterFinished" not in spec
    pod = spec["template"]["spec"]
    assert pod["restartPolicy"] == "Never"
    assert pod["automountServiceAccountToken"] is False
    assert pod["securityContext"] == {
        "runAsNonRoot": True,
        "runAsUser": 10001,
        "runAsGroup": 10001,
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    (container,) = pod["containers"]
    assert container["securityContext"] == {
        "allowPrivilegeEscalation": False,
        "capabilities": {"drop": ["ALL"]},
        "readOnlyRootFilesystem": True,
    }
    assert container["resources"] == {
        "requests": {"cpu": "50m", "memory": "64Mi"},
        "limits": {"memory": "128Mi"},
    }
    assert container["terminationMessagePolicy"] == "FallbackToLogsOnError"
    assert container["image"] == IMAGE


@pytest.mark.parametrize("kind", KINDS)
def test_a_definitive_exit_status_fails_the_job_at_once(kind: str) -> None:
    rules = the_job(sync(parent(kind)))["spec"]["podFailurePolicy"]["rules"]
    assert rules[0] == {
        "action": "FailJob",
        "onExitCodes": {"containerName": "apply", "operator": "In", "values": [1, 2]},
    }


@pytest.mark.parametrize(
    ("kind", "args"),
    [
        ("PinotSchema", ["apply", "schema", "--file", "/etc/pinot-control-plane/schema.json", "--reload"]),
        ("PinotTable", ["apply", "table", "--file", "/etc/pinot-control-plane/table.json"]),
        ("PinotTenant", ["apply", "tenant", "--file", "/etc/pinot-control-plane/tenant.json"]),
    ],
)
def test_the_job_applies_the_mounted_document_to_the_cluster_controller(kind: str, args: list[str]) -> None:
    pod = pod_spec(kind)
    (container,) = pod["containers"]
    assert container["command"] == ["pinot-control-plane"]
    common = ["--controller-url", URL, "--termination-log", "/dev/termination-log"]
    assert container["args"] == args[:4] + common + args[4:]
    config = the_job(sync(parent(kind)))["metadata"]["name"]
    assert pod["volumes"] == [{"name": "document", "configMap": {"name": config}}]
    assert container["volumeMounts"] == [
        {"name": "document", "mountPath": "/etc/pinot-control-plane", "readOnly": True}
    ]


@pytest.mark.parametrize(
    ("flags", "args"),
    [({"reload": True, "force": True}, ["--force", "--reload"]), ({"reload": False}, [])],
)
def test_flags_follow_the_spec(flags: dict[str, bool], args: list[str]) -> None:
    schema = parent("PinotSchema")
    schema["spec"].update(flags)
    container = the_job(sync(schema))["spec"]["template"]["spec"]["containers"][0]
    assert container["args"][8:] == args


def test_credentials_come_from_the_clusters_secret_never_from_a_config_map() -> None:
    body = sync(parent("PinotSchema"))
    (container,) = the_job(body)["spec"]["template"]["spec"]["containers"]
    assert container["env"] == [
        {"name": "PINOT_USERNAME", "valueFrom": {"secretKeyRef": {"name": SECRET, "key": "username"}}},
        {"name": "PINOT_PASSWORD", "valueFrom": {"secretKeyRef": {"name": SECRET, "key": "password"}}},
    ]
    assert "password" not in str(of_kind(body["children"], "ConfigMap"))


def test_a_cluster_without_auth_gives_a_job_without_env() -> None:
    container = pod_spec("PinotSchema", related=[cluster(secret=None)])["containers"][0]
    assert "env" not in container


@pytest.mark.parametrize("kind", KINDS)
def test_job_and_pods_carry_labels_that_name_the_resource(kind: str) -> None:
    job = the_job(sync(parent(kind)))
    name = parent(kind)["metadata"]["name"]
    for labels in (job["metadata"]["labels"], job["spec"]["template"]["metadata"]["labels"]):
        assert labels[f"pinot.controlplane.dev/{kind.lower()}"] == name
        assert labels["app.kubernetes.io/managed-by"] == "pinot-control-plane"
        assert labels["pinot.controlplane.dev/operation"] == "apply"


def test_emitted_objects_hold_no_empty_strings_or_nulls() -> None:
    def walk(value: Any) -> None:
        assert value is not None and value != ""
        if isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    for kind in KINDS:
        for child in sync(parent(kind), related=copy.deepcopy(default_related(kind)))["children"]:
            walk(child)
