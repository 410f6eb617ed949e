"""A pydantic model as a structural OpenAPI v3 schema, the only kind a CRD may hold.

pydantic writes JSON Schema 2020-12; the API server wants its structural subset: no `$ref`, no
`anyOf` for optional fields, no `additionalProperties: false`, a `type` on every node, and unknown
fields kept only where `x-kubernetes-preserve-unknown-fields` says so. This module translates, and
refuses (`SchemaError`, naming the field) what has no structural form, so that a new field either
reaches the CRD faithfully or stops `make crds`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from pydantic import BaseModel
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue
from pydantic_core import PydanticUndefined, core_schema

JsonObject = dict[str, Any]

# Keys a node may keep, in the order they are written (the YAML reads top-down like the API).
KEY_ORDER: Final = (
    "description",
    "type",
    "format",
    "x-kubernetes-int-or-string",
    "required",
    "enum",
    "default",
    "minimum",
    "exclusiveMinimum",
    "maximum",
    "exclusiveMaximum",
    "minLength",
    "maxLength",
    "minItems",
    "maxItems",
    "minProperties",
    "maxProperties",
    "pattern",
    "properties",
    "additionalProperties",
    "items",
    "x-kubernetes-preserve-unknown-fields",
    "x-kubernetes-list-type",
    "x-kubernetes-list-map-keys",
    "x-kubernetes-map-type",
    "x-kubernetes-validations",
)
_DROPPED: Final = frozenset({"title", "$defs"})
RULE_KEY_ORDER: Final = ("rule", "message", "messageExpression", "fieldPath", "reason", "optionalOldSelf")


class SchemaError(ValueError):
    """A model that has no structural OpenAPI form."""


class _Generator(GenerateJsonSchema):
    """pydantic's JSON Schema without defaults the CRD must not carry: `None` (an unset optional
    field) and model instances (the API server would store every field of them; see
    `hooks.crds.extensions.defaulted`)."""

    def default_schema(self, schema: core_schema.WithDefaultSchema) -> JsonSchemaValue:
        default = schema.get("default", PydanticUndefined)
        if default is None or isinstance(default, BaseModel):
            return self.generate_inner(schema["schema"])
        return super().default_schema(schema)


def structural_schema(model: type[BaseModel]) -> JsonObject:
    """The structural OpenAPI v3 schema of `model` (validation mode: what the hook accepts)."""
    document = model.model_json_schema(schema_generator=_Generator, mode="validation")
    converted = _Converter(document.get("$defs", {})).node(document, "")
    converted.pop("description", None)  # a model's docstring talks to developers
    return converted


class _Converter:
    def __init__(self, definitions: Mapping[str, JsonObject]) -> None:
        self.definitions = definitions

    def node(self, raw: Mapping[str, Any], path: str) -> JsonObject:
        schema = self._flatten(raw, path)
        out: JsonObject = {}
        for key, value in schema.items():
            if key in _DROPPED or key == "const":
                continue
            if key not in KEY_ORDER:
                raise SchemaError(f"{path or '<root>'}: {key!r} has no place in a structural schema")
            out[key] = value
        if "const" in schema and "enum" not in schema:  # Literal["x"]
            out["enum"] = [schema["const"]]
        self._bounds(out)
        if "x-kubernetes-validations" in out:
            entries = out["x-kubernetes-validations"]
            out["x-kubernetes-validations"] = [_rule(entry, path) for entry in entries]
        kind = out.get("type")
        if kind is None and "enum" in out:
            kind = out["type"] = _enum_type(out["enum"], path)
        if kind == "object":
            self._object(out, path)
        elif kind == "array":
            items = out.get("items")
            if not isinstance(items, Mapping):
                raise SchemaError(f"{path}: a list needs one item type")
            out["items"] = self.node(items, f"{path}[]")
        elif kind is None and not out.get("x-kubernetes-int-or-string"):
            raise SchemaError(f"{path or '<root>'}: no type (Any is allowed only as a dict[str, Any] value)")
        return {key: out[key] for key in KEY_ORDER if key in out}

    def _flatten(self, raw: Mapping[str, Any], path: str) -> JsonObject:
        """Inline `$ref`, and unwrap `X | None` and single-branch `allOf`; keys beside the
        reference (the field's description, default, extras) win over the referenced model's."""
        schema = dict(raw)
        if "$ref" in schema:
            name = str(schema.pop("$ref")).rsplit("/", 1)[-1]
            target = {k: v for k, v in self.definitions[name].items() if k != "description"}
            schema = {**self._flatten(target, path), **schema}
        if "allOf" in schema:
            branches = schema.pop("allOf")
            if len(branches) != 1:
                raise SchemaError(f"{path}: allOf has no structural form")
            schema = {**self._flatten(branches[0], path), **schema}
        if "anyOf" in schema or "oneOf" in schema:
            branches = [b for b in schema.pop("anyOf", schema.pop("oneOf", [])) if b.get("type") != "null"]
            kinds = sorted(str(b.get("type")) for b in branches)
            if len(branches) == 1:
                schema = {**self._flatten(branches[0], path), **schema}
            elif kinds == ["integer", "string"]:
                schema["x-kubernetes-int-or-string"] = True
            else:
                raise SchemaError(f"{path}: a union of {kinds} has no structural form")
        return schema

    def _object(self, out: JsonObject, path: str) -> None:
        properties = out.get("properties")
        additional = out.pop("additionalProperties", None)
        if properties is not None:
            out["properties"] = {
                name: self.node(child, f"{path}.{name}" if path else name)
                for name, child in properties.items()
            }
            if additional is True:  # extra="allow": declared fields plus whatever else is there
                out["x-kubernetes-preserve-unknown-fields"] = True
            elif isinstance(additional, Mapping):
                raise SchemaError(f"{path}: an object cannot have both fields and typed extra keys")
        elif isinstance(additional, Mapping) and additional:
            out["additionalProperties"] = self.node(additional, f"{path}{{}}")
        else:  # dict[str, Any]: a Kubernetes object or Pinot document passed through as it is
            out["x-kubernetes-preserve-unknown-fields"] = True
        if "required" in out and properties is None:
            raise SchemaError(f"{path}: required fields of an object without declared fields")

    @staticmethod
    def _bounds(out: JsonObject) -> None:
        """JSON Schema's numeric `exclusiveMinimum: n` is OpenAPI v3.0's `minimum: n` plus a flag."""
        for exclusive, bound in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
            if exclusive in out and not isinstance(out[exclusive], bool):
                out[bound] = out[exclusive]
                out[exclusive] = True


def _rule(entry: Mapping[str, Any], path: str) -> JsonObject:
    """A CEL rule with its keys in the API's order (pydantic sorts the keys of extras)."""
    unknown = set(entry) - set(RULE_KEY_ORDER)
    if unknown or "rule" not in entry:
        raise SchemaError(f"{path}: a validation rule needs 'rule' and knows no {sorted(unknown)}")
    return {key: entry[key] for key in RULE_KEY_ORDER if key in entry}


def _enum_type(values: list[Any], path: str) -> str:
    kinds = {type(value) for value in values}
    for python, name in ((str, "string"), (bool, "boolean"), (int, "integer")):
        if kinds == {python}:
            return name
    raise SchemaError(f"{path}: choices of mixed or unsupported types {sorted(map(str, kinds))}")
