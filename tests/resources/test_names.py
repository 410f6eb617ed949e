"""Names of Pinot objects: whatever Pinot cannot address in a REST path (/schemas/<name>,
/tables/<name>, /tenants/<name>) or refuses outright gets InvalidSpec naming the field, keeps the
children as they are, and is refused by the CRD at admission too."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tests.crds.crdcheck import validate_custom_resource
from tests.resources.builders import SPECS, cluster, parent, schema_cr, sync
from tests.resources.test_validation import assert_invalid, old_children

# Names no Pinot object may have, whatever its kind.
UNADDRESSABLE = [
    ".",
    "..",
    "a/b",
    "../events",
    "a b",
    "tab\there",
    "line\nbreak",
    "a?b",
    "a#b",
    "a%2Fb",
    "a;b",
    "a\\b",
]
UNADDRESSABLE += ["x\x00", "x\x7f", ".events", "events.", "db..events", "db.events.v2"]
FIELDS = {
    "PinotSchema": ("schema", "schemaName"),
    "PinotTable": ("table", "tableName"),
    "PinotTenant": ("tenant", "tenantName"),
}
CASES = [(kind, name) for kind in FIELDS for name in UNADDRESSABLE]
CASES += [("PinotSchema", "web__events"), ("PinotTable", "web__events")]  # Pinot refuses '__' there
REFS = [("PinotSchema", "clusterRef", "Pinot Prod"), ("PinotTable", "schemaRef", "events/v2")]
VALID = ["events", "web_events", "db.events", "événements", "events-2024", "EVENTS"]


def named(kind: str, name: str) -> dict[str, Any]:
    spec = copy.deepcopy(SPECS[kind])
    document, field = FIELDS[kind]
    spec[document][field] = name
    if kind == "PinotTable":  # its schema must be named like it (checked against the PinotSchema)
        spec["table"]["segmentsConfig"].pop("schemaName", None)
    return spec


def field_of(kind: str) -> str:
    return "spec." + ".".join(FIELDS[kind])


@pytest.mark.parametrize(("kind", "name"), CASES)
def test_an_unaddressable_name_is_invalid_and_keeps_the_children(kind: str, name: str) -> None:
    observed = old_children(kind)
    assert_invalid(sync(parent(kind, named(kind, name)), observed), field_of(kind), observed)


@pytest.mark.parametrize(("kind", "name"), CASES)
def test_the_crd_refuses_an_unaddressable_name(kind: str, name: str) -> None:
    errors = validate_custom_resource(parent(kind, named(kind, name)))
    assert errors and all(e.startswith(field_of(kind)) for e in errors), errors


@pytest.mark.parametrize(("kind", "ref", "name"), REFS)
def test_a_reference_must_be_an_object_name(kind: str, ref: str, name: str) -> None:
    spec = copy.deepcopy(SPECS[kind])
    spec[ref]["name"] = name
    observed = old_children(kind)
    assert_invalid(sync(parent(kind, spec), observed), f"spec.{ref}.name", observed)
    assert validate_custom_resource(parent(kind, spec))


@pytest.mark.parametrize("kind", sorted(FIELDS))
@pytest.mark.parametrize("name", VALID)
def test_ordinary_names_pass_both(kind: str, name: str) -> None:
    referenced = schema_cr()
    referenced["spec"]["schema"]["schemaName"] = name  # a table's schema is named like it
    body = sync(parent(kind, named(kind, name)), related=[cluster(), referenced])
    ready = next(c for c in body["status"]["conditions"] if c["type"] == "Ready")
    assert ready["reason"] != "InvalidSpec", ready["message"]
    assert validate_custom_resource(parent(kind, named(kind, name))) == []
