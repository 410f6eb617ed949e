"""The checker itself, on a small synthetic CRD that uses what the real ones don't (yet)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from .crdcheck import (
    Crd,
    apply_defaults,
    cel_view,
    evaluate_rule,
    list_type_errors,
    rule_failures,
    schema_errors,
    structural_problems,
    unbounded_fields,
    validate_status,
)

WIDGET_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "apiVersion": {"type": "string"},
        "kind": {"type": "string"},
        "metadata": {"type": "object"},
        "spec": {
            "type": "object",
            "properties": {
                "items": {
                    "type": "array",
                    "maxItems": 8,
                    "x-kubernetes-list-type": "map",
                    "x-kubernetes-list-map-keys": ["name"],
                    "items": {
                        "type": "object",
                        "required": ["name"],
                        "properties": {
                            "name": {"type": "string", "maxLength": 8},
                            "size": {"type": "integer", "default": 1},
                        },
                        "x-kubernetes-validations": [
                            {"rule": "self.size < 10", "message": "size must be below 10"},
                            {"rule": "self.size >= oldSelf.size", "message": "size may not shrink"},
                        ],
                    },
                },
                "labels": {
                    "type": "object",
                    "maxProperties": 4,
                    "additionalProperties": {
                        "type": "string",
                        "maxLength": 8,
                        "x-kubernetes-validations": [{"rule": "self != 'bad'", "message": "no bad labels"}],
                    },
                },
                "opaque": {
                    "type": "object",
                    "x-kubernetes-preserve-unknown-fields": True,
                    "properties": {"known": {"type": "string", "maxLength": 8}},
                },
                "port": {"x-kubernetes-int-or-string": True},
                "note": {"type": "string", "maxLength": 8, "nullable": True},
                "word": {"type": "string", "maxLength": 8, "pattern": "^[a-z]+$"},
                "when": {"type": "string", "format": "date-time"},
                "count": {"type": "integer", "format": "int32"},
                "tags": {
                    "type": "array",
                    "maxItems": 4,
                    "x-kubernetes-list-type": "set",
                    "items": {"type": "string", "maxLength": 8},
                },
            },
        },
    },
}
WIDGETS = Crd(
    {
        "spec": {
            "group": "example.com",
            "names": {"kind": "Widget", "plural": "widgets"},
            "versions": [{"name": "v1", "storage": True, "schema": {"openAPIV3Schema": WIDGET_SCHEMA}}],
        }
    },
    Path("widgets.yaml"),
)


def widget(**spec: Any) -> dict[str, Any]:
    return {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}, "spec": spec}


def failures(obj: dict[str, Any], old: dict[str, Any] | None = None) -> list[str]:
    defaulted = apply_defaults(obj, WIDGETS.schema)
    previous = None if old is None else apply_defaults(old, WIDGETS.schema)
    return [str(f) for f in rule_failures(defaulted, WIDGETS, previous)]


def test_synthetic_schema_is_structural_and_bounded() -> None:
    assert structural_problems(WIDGET_SCHEMA) == []
    assert unbounded_fields(WIDGET_SCHEMA) == []


def test_structural_problems_are_found() -> None:
    bad = {
        "type": "object",
        "properties": {
            "untyped": {"description": "no type"},
            "both": {"type": "object", "properties": {}, "additionalProperties": {"type": "string"}},
            "ref": {"$ref": "#/x", "type": "string"},
            "list": {"type": "array", "items": {"type": "string"}, "uniqueItems": True},
            "keyless": {"type": "array", "x-kubernetes-list-type": "map", "items": {"type": "object"}},
            "badenum": {"type": "integer", "enum": ["a"]},
            "baddefault": {"type": "integer", "minimum": 3, "default": 1},
        },
    }
    found = "\n".join(structural_problems(bad))
    for text in (
        "untyped: no type",
        "both: properties and additionalProperties",
        "ref: $ref",
        "list: uniqueItems",
        "keyless: x-kubernetes-list-type map needs",
        "badenum: enum value",
        "baddefault: default",
    ):
        assert text in found


def test_unbounded_fields_are_found() -> None:
    schema = {
        "type": "object",
        "properties": {
            "s": {"type": "string"},
            "l": {"type": "array", "items": {"type": "string", "enum": ["a"]}},
            "m": {"type": "object", "additionalProperties": {"type": "string", "maxLength": 1}},
        },
    }
    assert unbounded_fields(schema) == [
        "s: string without maxLength",
        "l: list without maxItems",
        "m: map without maxProperties",
    ]


def test_rules_on_list_items_run_per_item() -> None:
    assert failures(widget(items=[{"name": "a", "size": 3}, {"name": "b", "size": 12}])) == [
        "spec.items[1]: size must be below 10"
    ]


def test_rules_on_map_values_run_per_value() -> None:
    assert failures(widget(labels={"ok": "fine", "x": "bad"})) == ["spec.labels.x: no bad labels"]


def test_transition_rules_correlate_map_list_items_by_key() -> None:
    old = widget(items=[{"name": "a", "size": 5}, {"name": "b", "size": 5}])
    new = widget(items=[{"name": "b", "size": 4}, {"name": "c", "size": 1}, {"name": "a", "size": 6}])
    # b shrank; c is new (no oldSelf, rule skipped); a grew.
    assert failures(new, old) == ["spec.items[0]: size may not shrink"]


def test_defaults_apply_before_rules() -> None:
    old = widget(items=[{"name": "a", "size": 3}])
    assert failures(widget(items=[{"name": "a"}]), old) == ["spec.items[0]: size may not shrink"]


def test_cel_sees_only_declared_fields() -> None:
    obj = widget(opaque={"known": "k", "unknown": 1})
    view = cel_view(obj, WIDGET_SCHEMA, root=True)
    assert view["spec"]["opaque"] == {"known": "k"}
    passed, detail = evaluate_rule("self.unknown == 1", view["spec"]["opaque"])
    assert not passed
    assert "evaluation error" in detail


def test_root_metadata_shows_only_name_and_generate_name() -> None:
    obj = widget()
    obj["metadata"].update(namespace="ns", labels={"a": "b"}, generateName="w-")
    assert cel_view(obj, WIDGET_SCHEMA, root=True)["metadata"] == {"name": "w", "generateName": "w-"}


def test_non_bool_result_fails() -> None:
    assert evaluate_rule("1 + 1", {}) == (False, "the rule returned IntType(2), not a bool")


@pytest.mark.parametrize(
    ("spec", "error"),
    [
        ({"unknown": 1}, "Additional properties are not allowed"),
        ({"opaque": {"anything": {"goes": True}}}, None),
        ({"port": 8080}, None),
        ({"port": "http"}, None),
        ({"port": 1.5}, "is not valid under any of the given schemas"),
        ({"note": None}, None),
        ({"word": "abc"}, None),
        # Go's `$` matches only at the very end: a trailing newline is refused.
        ({"word": "abc\n"}, "does not match"),
        ({"when": "2024-01-02T03:04:05Z"}, None),
        ({"when": "yesterday"}, "is not a 'date-time'"),
        ({"count": 2**31}, "is not a 'int32'"),
        ({"tags": ["a", "a"]}, "has non-unique elements"),
        ({"items": [{"name": "a"}, {"name": "a"}]}, "Duplicate value"),
    ],
    ids=lambda v: repr(v),
)
def test_schema_translation(spec: dict[str, Any], error: str | None) -> None:
    errors = schema_errors(apply_defaults(widget(**spec), WIDGET_SCHEMA), WIDGETS)
    if error is None:
        assert errors == []
    else:
        assert any(error in e for e in errors), errors


def test_list_type_errors_name_the_duplicate() -> None:
    assert list_type_errors(widget(items=[{"name": "a"}, {"name": "a"}]), WIDGET_SCHEMA) == [
        "spec.items[1]: Duplicate value: {'name': 'a'}"
    ]


def test_nulls_of_non_nullable_fields_are_dropped_then_defaulted() -> None:
    defaulted = apply_defaults(widget(items=[{"name": "a", "size": None}], note=None), WIDGET_SCHEMA)
    assert defaulted["spec"] == {"items": [{"name": "a", "size": 1}], "note": None}


def test_validate_status_of_a_cluster() -> None:
    good = {
        "observedGeneration": 3,
        "conditions": [
            {
                "type": "Ready",
                "status": "True",
                "reason": "AllPoolsReady",
                "message": "",
                "lastTransitionTime": "2026-01-01T00:00:00Z",
                "observedGeneration": 3,
            }
        ],
        "pools": [{"name": "server", "role": "server", "replicas": 2, "readyReplicas": 2, "state": "Ready"}],
        "controllerService": "http://pinot-controller.data.svc:9000",
    }
    assert validate_status("PinotCluster", good) == []
    bad = {
        "conditions": [{"type": "Ready", "status": "Yes", "reason": "not one word", "message": ""}],
        "pools": [{"name": "server", "state": "Broken"}],
        "extra": True,
    }
    errors = "\n".join(validate_status("PinotCluster", bad))
    for text in (
        "'lastTransitionTime' is a required",
        "'Yes' is not one of",
        "does not match",
        "'Broken'",
        "extra",
    ):
        assert text in errors
