"""The CRDs in `crds/` are what the pydantic models generate, and the generator says every model
field faithfully or refuses it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

import pytest
from pydantic import BaseModel, ConfigDict, Field

from hooks.crds.__main__ import main
from hooks.crds.extensions import Int32, defaulted, list_map, rule, rules
from hooks.crds.manifests import expected, stale
from hooks.crds.openapi import SchemaError, structural_schema

from .crdcheck import CRD_DIR, structural_problems


def test_committed_crds_are_the_generated_ones() -> None:
    assert stale(CRD_DIR) == [], "the CRDs differ from the models: run `make crds` and commit crds/"


def test_every_generated_crd_is_in_the_kustomization() -> None:
    kustomization = (CRD_DIR / "kustomization.yaml").read_text()
    assert all(f"- {name}" in kustomization for name in expected())


def test_check_mode_reports_a_hand_edit_and_writing_repairs_it(tmp_path: Path, capsys: Any) -> None:
    assert main([str(tmp_path)]) == 0
    assert main(["--check", str(tmp_path)]) == 0
    edited = tmp_path / "pinottables.yaml"
    edited.write_text(edited.read_text().replace("maxLength: 512", "maxLength: 513"))
    assert main(["--check", str(tmp_path)]) == 1
    assert "pinottables.yaml differs" in capsys.readouterr().err
    assert main([str(tmp_path)]) == 0
    assert stale(tmp_path) == []


def test_generated_files_hold_no_yaml_anchors() -> None:
    """A reader of one field must not have to look for its `&id001` elsewhere."""
    for text in expected().values():
        assert "&id" not in text and "*id" not in text


class Inner(BaseModel):
    """Developer notes that must not reach kubectl explain."""

    model_config = ConfigDict(extra="forbid")
    limit: Int32 = Field(default=5, gt=0, description="A bound.")


class Sample(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=8, pattern="^[a-z]+$", description="The name.")
    mode: Literal["A", "B"] | None = Field(default=None, description="One of two.")
    fixed: Literal["only"] = Field(default="only", description="A single choice.")
    inner: Inner = Field(default=Inner(), description="Defaulted object.", json_schema_extra=defaulted())
    plain: Inner | None = Field(default=None, description="Optional object, no default.")
    items: list[Annotated[Inner, Field(description="One item.")]] = Field(
        default=[], max_length=3, description="Keyed list.", json_schema_extra=list_map("limit")
    )
    labels: dict[str, Annotated[str, Field(max_length=63)]] | None = Field(default=None, description="A map.")
    free: dict[str, Any] | None = Field(default=None, description="Passed through.")
    port: int | str | None = Field(default=None, description="A port number or name.")
    checked: str | None = Field(
        default=None,
        description="Checked by CEL.",
        json_schema_extra=rules(rule("self != 'x'", "not x", field_path=".checked")),
    )


def test_a_model_becomes_a_structural_schema() -> None:
    schema = structural_schema(Sample)
    props = schema["properties"]
    assert schema["required"] == ["name"] and "description" not in schema
    assert props["name"] == {
        "description": "The name.",
        "type": "string",
        "minLength": 1,
        "maxLength": 8,
        "pattern": "^[a-z]+$",
    }
    assert props["mode"] == {"description": "One of two.", "type": "string", "enum": ["A", "B"]}
    assert props["fixed"] == {
        "description": "A single choice.",
        "type": "string",
        "enum": ["only"],
        "default": "only",
    }
    assert props["inner"]["default"] == {}
    assert props["inner"]["properties"]["limit"] == {
        "description": "A bound.",
        "type": "integer",
        "format": "int32",
        "default": 5,
        "minimum": 0,
        "exclusiveMinimum": True,
        "maximum": 2**31 - 1,
    }
    assert "default" not in props["plain"]
    assert props["plain"]["description"] == "Optional object, no default."
    assert "Developer notes" not in repr(schema)
    assert props["items"]["items"]["description"] == "One item."
    assert props["items"]["x-kubernetes-list-map-keys"] == ["limit"]
    assert props["labels"]["additionalProperties"] == {"type": "string", "maxLength": 63}
    assert props["free"] == {
        "description": "Passed through.",
        "type": "object",
        "x-kubernetes-preserve-unknown-fields": True,
    }
    assert props["port"] == {"description": "A port number or name.", "x-kubernetes-int-or-string": True}
    assert props["checked"]["x-kubernetes-validations"] == [
        {"rule": "self != 'x'", "message": "not x", "fieldPath": ".checked", "reason": "FieldValueInvalid"}
    ]
    document = {"type": "object", "properties": {"spec": schema}}
    assert structural_problems(document) == []


def test_models_that_keep_extra_fields_preserve_unknown_fields() -> None:
    class Document(BaseModel):
        model_config = ConfigDict(extra="allow")
        known: str | None = Field(default=None, description="Declared.")

    assert structural_schema(Document) == {
        "type": "object",
        "properties": {"known": {"description": "Declared.", "type": "string"}},
        "x-kubernetes-preserve-unknown-fields": True,
    }


class Union(BaseModel):
    value: int | bool = Field(description="No structural form.")


class Untyped(BaseModel):
    value: Any = Field(description="No type.")


class Misspelt(BaseModel):
    value: str = Field(description="Typo in an extension.", json_schema_extra={"x-kubernetes-validation": []})


class BadRule(BaseModel):
    value: str = Field(
        description="A rule without a rule.", json_schema_extra={"x-kubernetes-validations": [{}]}
    )


class MixedMap(BaseModel):
    model_config = ConfigDict(extra="allow")
    value: str = Field(description="Declared.")
    __pydantic_extra__: dict[str, int]  # typed extra keys


@pytest.mark.parametrize(
    ("model", "said"),
    [
        (Union, "value: a union of ['boolean', 'integer']"),
        (Untyped, "value: no type"),
        (Misspelt, "value: 'x-kubernetes-validation' has no place"),
        (BadRule, "value: a validation rule needs 'rule'"),
        (MixedMap, "both fields and typed extra keys"),
    ],
)
def test_what_has_no_structural_form_is_refused_naming_the_field(model: type[BaseModel], said: str) -> None:
    with pytest.raises(SchemaError, match=said.replace("[", r"\[").replace("]", r"\]")):
        structural_schema(model)
