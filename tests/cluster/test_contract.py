"""The Metacontroller contract rules (reference: metacontroller-contract.md §7) for PinotCluster."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from hooks import jsonio
from hooks.cluster.sync import sync_cluster
from hooks.contract import HookRequest
from tests.cluster.builders import NOW, ROOT, parent, request, request_body, settle

SERVER_FIELDS = {
    "ownerReferences",
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "managedFields",
}
DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")
DNS_LABEL = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")


def fresh_and_full() -> list[dict[str, Any]]:
    """The answer on a fresh cluster, and the one with every pool present and ready (every Job the
    pools need in Pinot complete)."""
    first = sync_cluster(request(parent()), NOW).body
    children = [settle(c) for c in first["children"]]
    for _ in range(40):
        body = sync_cluster(request(parent(), children), NOW).body
        ready = next(c for c in body["status"]["conditions"] if c["type"] == "Ready")["status"] == "True"
        names = [c["metadata"]["name"] for c in children]
        children = [settle(c) for c in body["children"]]
        if ready and names == [c["metadata"]["name"] for c in children]:
            break
    return [first, body]


@pytest.fixture(scope="module", params=["fresh", "full"])
def answer(request: pytest.FixtureRequest) -> dict[str, Any]:
    fresh, full = fresh_and_full()
    return fresh if request.param == "fresh" else full


def declared_child_types() -> set[tuple[str, str]]:
    """Child types declared by the PinotCluster CompositeController (rule 8)."""
    for path in sorted((ROOT / "metacontroller").glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if (
                isinstance(doc, dict)
                and doc.get("kind") == "CompositeController"
                and doc["spec"]["parentResource"]["resource"] == "pinotclusters"
            ):
                kinds = {
                    "statefulsets": "StatefulSet",
                    "services": "Service",
                    "configmaps": "ConfigMap",
                    "poddisruptionbudgets": "PodDisruptionBudget",
                    "networkpolicies": "NetworkPolicy",
                    "jobs": "Job",
                }
                return {(c["apiVersion"], kinds[c["resource"]]) for c in doc["spec"]["childResources"]}
    raise AssertionError("no CompositeController for pinotclusters under metacontroller/")


def walk(value: Any, path: str = "") -> list[tuple[str, Any]]:
    if isinstance(value, dict):
        return [item for key, v in value.items() for item in walk(v, f"{path}.{key}")]
    if isinstance(value, list):
        return [item for i, v in enumerate(value) for item in walk(v, f"{path}[{i}]")]
    return [(path, value)]


def test_rule4_5_6_exact_top_level_keys_and_types(answer: dict[str, Any]) -> None:
    assert set(answer) == {"status", "children", "resyncAfterSeconds", "finalized"}
    assert isinstance(answer["children"], list)
    assert isinstance(answer["status"], dict)
    assert isinstance(answer["resyncAfterSeconds"], int | float) and answer["resyncAfterSeconds"] >= 0
    assert answer["finalized"] is False


def test_rule7_8_children_are_declared_types_with_names(answer: dict[str, Any]) -> None:
    declared = declared_child_types()
    for child in answer["children"]:
        assert child is not None
        assert (child["apiVersion"], child["kind"]) in declared
        assert child["metadata"]["name"]


def test_rule9_names_unique_and_valid(answer: dict[str, Any]) -> None:
    keys = [(c["kind"], c["metadata"]["name"]) for c in answer["children"]]
    assert len(keys) == len(set(keys))
    for kind, name in keys:
        assert DNS_SUBDOMAIN.match(name) and len(name) <= 253
        if kind in ("Service", "StatefulSet"):
            assert DNS_LABEL.match(name) and len(name) <= 63
    for child in answer["children"]:
        for value in child["metadata"].get("labels", {}).values():
            assert len(value) <= 63


def test_rule10_12_no_namespace_and_no_server_owned_fields(answer: dict[str, Any]) -> None:
    for child in answer["children"]:
        assert "namespace" not in child["metadata"]
        assert not SERVER_FIELDS & set(child["metadata"])
        assert "status" not in child
        assert "metacontroller.k8s.io/last-applied-configuration" not in child["metadata"].get(
            "annotations", {}
        )


def test_rule13_no_empty_strings_or_nulls(answer: dict[str, Any]) -> None:
    for child in answer["children"]:
        for path, value in walk(child):
            assert value is not None and value != "", f"{child['metadata']['name']}{path}"


def test_rule14_same_request_gives_byte_identical_answer() -> None:
    body = request_body(parent())
    first = jsonio.dumps(sync_cluster(HookRequest.model_validate(body), NOW).body)
    again = jsonio.dumps(sync_cluster(HookRequest.model_validate(copy.deepcopy(body)), NOW).body)
    assert first == again


def test_rule14_child_map_order_does_not_matter() -> None:
    _, full = fresh_and_full()
    children = [settle(c) for c in full["children"]]
    forward = sync_cluster(request(parent(), children), NOW).body
    backward = sync_cluster(request(parent(), list(reversed(children))), NOW).body
    assert jsonio.dumps(forward) == jsonio.dumps(backward)


def test_rule15_fixed_point_once_converged() -> None:
    _, full = fresh_and_full()
    observed_parent = parent()
    observed_parent["status"] = {**full["status"], "observedGeneration": 1}
    again = sync_cluster(request(observed_parent, [settle(c) for c in full["children"]]), NOW).body
    assert again["children"] == full["children"]
    assert again["status"] == full["status"]


def test_rule15_status_does_not_move_when_time_passes_without_change() -> None:
    _, full = fresh_and_full()
    observed_parent = parent()
    observed_parent["status"] = {**full["status"], "observedGeneration": 1}
    later = NOW.replace(hour=NOW.hour + 3)
    again = sync_cluster(request(observed_parent, [settle(c) for c in full["children"]]), later).body
    assert again["status"] == full["status"]


def test_rule16_status_counts_what_is_observed() -> None:
    _, full = fresh_and_full()
    children = [settle(c, ready=c["metadata"]["name"] != "demo-hot") for c in full["children"]]
    body = sync_cluster(request(parent(), children), NOW).body
    hot = next(p for p in body["status"]["pools"] if p["name"] == "hot")
    assert (hot["replicas"], hot["readyReplicas"], hot["state"]) == (2, 0, "RollingOut")


def test_rule20_v1_and_v2_keys_give_the_same_answer() -> None:
    _, full = fresh_and_full()
    children = [settle(c) for c in full["children"]]
    v1 = sync_cluster(HookRequest.model_validate(request_body(parent(), children, "v1")), NOW).body
    v2 = sync_cluster(HookRequest.model_validate(request_body(parent(), children, "v2")), NOW).body
    assert jsonio.dumps(v1) == jsonio.dumps(v2)


def test_rule3_unknown_request_fields_are_tolerated() -> None:
    body = request_body(parent())
    body["somethingNew"] = {"x": 1}
    body["parent"]["metadata"]["resourceVersion"] = "42"
    body["controller"]["spec"] = {"anything": True}
    assert sync_cluster(HookRequest.model_validate(body), NOW).body["children"]


def test_rule23_immutable_claim_templates_are_never_changed_in_place() -> None:
    _, full = fresh_and_full()
    children = [settle(c) for c in full["children"]]
    bigger = parent()
    bigger["spec"]["pools"][2]["kubernetes"] = {"storage": {"size": "1Ti"}}
    body = sync_cluster(request(bigger, children), NOW).body
    observed = next(c for c in children if c["metadata"]["name"] == "demo-hot")
    desired = next(c for c in body["children"] if c["metadata"]["name"] == "demo-hot")
    assert desired["spec"]["volumeClaimTemplates"] == observed["spec"]["volumeClaimTemplates"]
    degraded = next(c for c in body["status"]["conditions"] if c["type"] == "Degraded")
    assert (degraded["status"], degraded["reason"]) == ("True", "ImmutableFieldChanged")
    assert "spec.pools[2].kubernetes.storage" in degraded["message"]


def test_rule24_invalid_spec_keeps_every_child_and_says_why() -> None:
    _, full = fresh_and_full()
    children = [settle(c) for c in full["children"]]
    broken = parent(generation=2)
    broken["spec"]["pools"][2]["replicas"] = -3
    body = sync_cluster(request(broken, children), NOW).body
    assert {(c["kind"], c["metadata"]["name"]) for c in body["children"]} == {
        (c["kind"], c["metadata"]["name"]) for c in children
    }
    for kept in body["children"]:
        original = next(
            c
            for c in children
            if c["metadata"]["name"] == kept["metadata"]["name"] and c["kind"] == kept["kind"]
        )
        assert (
            kept["spec" if "spec" in kept else "data"] == original["spec" if "spec" in original else "data"]
        )
    ready = next(c for c in body["status"]["conditions"] if c["type"] == "Ready")
    assert (ready["status"], ready["reason"]) == ("False", "InvalidSpec")
    assert "spec.pools[2].replicas" in ready["message"]


def test_paused_cluster_keeps_every_child_exactly() -> None:
    _, full = fresh_and_full()
    children = [settle(c) for c in full["children"]]
    paused = parent(generation=2)
    paused["spec"]["paused"] = True
    paused["spec"]["image"] = "apachepinot/pinot:9.9.9"
    body = sync_cluster(request(paused, children), NOW).body
    assert sorted(jsonio.dumps(c) for c in body["children"]) == sorted(
        jsonio.dumps(
            {k: v for k, v in c.items() if k != "status"}
            | {"metadata": {k: v for k, v in c["metadata"].items() if k not in SERVER_FIELDS}}
        )
        for c in children
    )
    conditions = {c["type"]: c for c in body["status"]["conditions"]}
    assert conditions["Paused"]["status"] == "True"
    assert conditions["Progressing"]["reason"] == "Paused"


def test_templates_dir_exists_next_to_the_package() -> None:
    assert (Path(ROOT) / "templates" / "pinot-server.conf.j2").is_file()
