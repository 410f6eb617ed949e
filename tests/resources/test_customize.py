"""Customize: the related objects sync needs, from the parent's spec and identity alone."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from hooks import API_VERSION
from hooks.contract import CustomizeRequest
from tests.resources.builders import HANDLERS, NAMESPACE, NOW, parent

JsonObject = dict[str, Any]


def customize(parent_obj: JsonObject) -> list[JsonObject]:
    kind = parent_obj["kind"].lower()
    request = CustomizeRequest.model_validate({"controller": {}, "parent": parent_obj})
    body = HANDLERS[f"/customize/{kind}"](request, NOW).body
    assert set(body) == {"relatedResources"}
    rules: list[JsonObject] = body["relatedResources"]
    return rules


def cluster_rule(name: str = "pinot") -> JsonObject:
    return {"apiVersion": API_VERSION, "resource": "pinotclusters", "namespace": NAMESPACE, "names": [name]}


def pods_rule(kind: str, name: str) -> JsonObject:
    return {
        "apiVersion": "v1",
        "resource": "pods",
        "namespace": NAMESPACE,
        "labelSelector": {"matchLabels": {f"pinot.controlplane.dev/{kind.lower()}": name}},
    }


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("PinotSchema", [cluster_rule(), pods_rule("PinotSchema", "events")]),
        (
            "PinotTable",
            [
                cluster_rule(),
                {
                    "apiVersion": API_VERSION,
                    "resource": "pinotschemas",
                    "namespace": NAMESPACE,
                    "names": ["events"],
                },
                pods_rule("PinotTable", "events-offline"),
            ],
        ),
        ("PinotTenant", [cluster_rule(), pods_rule("PinotTenant", "analytics-servers")]),
    ],
)
def test_asks_for_the_cluster_the_schema_of_a_table_and_the_pods_of_its_own_jobs(
    kind: str, expected: list[JsonObject]
) -> None:
    assert customize(parent(kind)) == expected


@pytest.mark.parametrize("kind", ["PinotSchema", "PinotTable", "PinotTenant"])
def test_depends_only_on_spec_and_identity(kind: str) -> None:
    plain = parent(kind)
    decorated = copy.deepcopy(plain)
    decorated["metadata"]["labels"] = {"other": "label"}
    decorated["metadata"]["annotations"] = {"note": "x"}
    decorated["status"] = {"conditions": [], "appliedHash": "0123456789"}
    assert customize(plain) == customize(decorated)


def test_a_missing_reference_asks_for_nothing_by_that_name() -> None:
    table = parent("PinotTable")
    del table["spec"]["clusterRef"]
    table["spec"]["schemaRef"] = {"name": ""}
    assert customize(table) == [pods_rule("PinotTable", "events-offline")]


def test_a_name_that_is_no_label_value_asks_for_no_pods() -> None:
    """The selector would be invalid; sync reports the over-long name as InvalidSpec."""
    rules = customize(parent("PinotSchema", name="e" * 64))
    assert [rule["resource"] for rule in rules] == ["pinotclusters"]


def test_the_same_request_gives_the_same_answer() -> None:
    assert customize(parent("PinotTable")) == customize(parent("PinotTable"))
