"""Check custom resources against the CRDs in `crds/` the way the API server does, as far as Python can.

What a create or update of a custom resource goes through, in the order the API server applies it:

1. structural defaulting (`default_custom_resource`): top-down, so the nested defaults of an object
   that was itself defaulted apply too;
2. the OpenAPI v3 schema (`schema_errors`), converted to JSON Schema. Unknown fields are errors, as
   with kubectl's default server-side field validation (`--validate=strict`), instead of being
   pruned silently. `x-kubernetes-list-type: map|set` uniqueness is checked by hand;
3. every `x-kubernetes-validations` rule (`rule_failures`), evaluated with cel-python. `self` is the
   value at the rule's location as the API server shows it to CEL: only declared fields (an object
   that only preserves unknown fields looks empty, and at the root `metadata` has just `name` and
   `generateName`). Rules on list items and map values run once per item. Transition rules (those
   that mention `oldSelf`) run only on updates, where the old value correlates: object properties
   and map values by key, items of `x-kubernetes-list-type: map` lists by their keys.

Not covered: CEL type checking and cost estimation (the API server does both when the CRD is
created, so a rule naming an undeclared field or an unbounded list is caught only there), and the
Kubernetes CEL libraries (quantity, url, ip, regex extensions); the rules in `crds/` use core CEL only.

Use from other test suites, e.g. to check what a hook emits or receives:

    from tests.crds.crdcheck import validate_custom_resource   # when tests/ is a package
    errors = validate_custom_resource(obj, old=previous)      # [] when the API server would accept it

`validate_status(kind, status)` checks a status a hook writes (Metacontroller replaces the whole
status, and the write fails if it breaks the schema).
"""

from __future__ import annotations

import copy
import functools
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import celpy
import jsonschema
import yaml
from celpy.adapter import json_to_cel
from celpy.evaluation import CELEvalError

JsonObject = dict[str, Any]
Schema = Mapping[str, Any]

REPO_ROOT: Final = Path(__file__).resolve().parents[2]
CRD_DIR: Final = REPO_ROOT / "crds"

ITEMS: Final = "[]"
VALUES: Final = "{}"

# The reasons the API server accepts on a validation rule.
ALLOWED_REASONS: Final = frozenset(
    {"FieldValueInvalid", "FieldValueForbidden", "FieldValueRequired", "FieldValueDuplicate"}
)

_SCALAR_TYPES: Final = frozenset({"string", "integer", "number", "boolean"})
_TYPES: Final = _SCALAR_TYPES | {"object", "array"}
_FORBIDDEN_KEYS: Final = (
    "$ref",
    "$schema",
    "id",
    "definitions",
    "dependencies",
    "patternProperties",
    "additionalItems",
)
_DNS_SUBDOMAIN: Final = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_RFC3339: Final = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$",
)
_OLD_SELF: Final = re.compile(r"\boldSelf\b")


class _Missing:
    """No correlated old value (a create, or the field is new)."""

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Final = _Missing()


# --------------------------------------------------------------------------- loading


@dataclass(frozen=True)
class Rule:
    """One `x-kubernetes-validations` entry and where it sits in the schema."""

    kind: str
    location: tuple[str, ...]  # property names, ITEMS for list items, VALUES for map values
    rule: str
    message: str
    field_path: str | None = None
    reason: str | None = None

    @property
    def transition(self) -> bool:
        return _OLD_SELF.search(self.rule) is not None

    @property
    def where(self) -> str:
        return render_location(self.location)


@dataclass(frozen=True)
class RuleFailure:
    rule: Rule
    path: str  # the concrete location, e.g. spec.pools[2]
    detail: str = ""

    def __str__(self) -> str:
        text = f"{self.path}: {self.rule.message}"
        return f"{text} ({self.detail})" if self.detail else text


@dataclass(frozen=True)
class Crd:
    document: JsonObject
    source: Path

    @property
    def group(self) -> str:
        return str(self.document["spec"]["group"])

    @property
    def names(self) -> JsonObject:
        names: JsonObject = self.document["spec"]["names"]
        return names

    @property
    def kind(self) -> str:
        return str(self.names["kind"])

    @property
    def storage_version(self) -> JsonObject:
        versions: list[JsonObject] = self.document["spec"]["versions"]
        return next(v for v in versions if v.get("storage"))

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.storage_version['name']}"

    @property
    def schema(self) -> JsonObject:
        schema: JsonObject = self.storage_version["schema"]["openAPIV3Schema"]
        return schema

    def rules(self) -> list[Rule]:
        found: list[Rule] = []
        for location, node in iter_schema(self.schema):
            for entry in node.get("x-kubernetes-validations", ()):
                found.append(
                    Rule(
                        kind=self.kind,
                        location=location,
                        rule=entry["rule"],
                        message=entry.get("message", ""),
                        field_path=entry.get("fieldPath"),
                        reason=entry.get("reason"),
                    )
                )
        return found


@functools.cache
def load_crds(directory: Path = CRD_DIR) -> dict[str, Crd]:
    """Every CustomResourceDefinition in `directory`, keyed by kind."""
    crds: dict[str, Crd] = {}
    for path in sorted(directory.glob("*.yaml")):
        for document in yaml.safe_load_all(path.read_text()):
            if isinstance(document, dict) and document.get("kind") == "CustomResourceDefinition":
                crd = Crd(document, path)
                crds[crd.kind] = crd
    return crds


def crd_for(obj: Mapping[str, Any]) -> Crd:
    kind = obj.get("kind")
    crd = load_crds().get(str(kind))
    if crd is None:
        raise KeyError(f"no CRD in {CRD_DIR} defines kind {kind!r}")
    return crd


def all_rules() -> list[Rule]:
    return [rule for crd in load_crds().values() for rule in crd.rules()]


# --------------------------------------------------------------------------- schema walking


def iter_schema(schema: Schema, location: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Schema]]:
    """Every schema node with its location, parents first."""
    yield location, schema
    for name, child in schema.get("properties", {}).items():
        yield from iter_schema(child, (*location, name))
    additional = schema.get("additionalProperties")
    if isinstance(additional, Mapping):
        yield from iter_schema(additional, (*location, VALUES))
    items = schema.get("items")
    if isinstance(items, Mapping):
        yield from iter_schema(items, (*location, ITEMS))


def render_location(location: Sequence[str]) -> str:
    text = ""
    for part in location:
        if part in (ITEMS, VALUES):
            text += "[*]"
        else:
            text += f".{part}" if text else part
    return text or "<root>"


def _join(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key):
        return f"{path}[{key!r}]"
    return f"{path}.{key}" if path else key


def _is_map_list(schema: Schema) -> bool:
    return schema.get("type") == "array" and schema.get("x-kubernetes-list-type") == "map"


# --------------------------------------------------------------------------- structural checks


def structural_problems(schema: Schema) -> list[str]:
    """Ways the schema breaks the API server's rules for structural schemas (a useful subset)."""
    problems: list[str] = []
    if schema.get("type") != "object":
        problems.append("<root>: type must be object")
    metadata = schema.get("properties", {}).get("metadata")
    if metadata is not None:
        extra = set(metadata.get("properties", {})) - {"name", "generateName"}
        if metadata.get("type") != "object" or extra:
            problems.append("metadata: only type object and restrictions on name/generateName are allowed")
    for location, node in iter_schema(schema):
        where = render_location(location)
        has_type = node.get("type") in _TYPES
        if "type" in node and not has_type:
            problems.append(f"{where}: unknown type {node['type']!r}")
        exempt = node.get("x-kubernetes-int-or-string") or node.get("x-kubernetes-preserve-unknown-fields")
        if not has_type and not exempt:
            problems.append(f"{where}: no type")
        problems.extend(f"{where}: {key} is not allowed" for key in _FORBIDDEN_KEYS if key in node)
        if node.get("uniqueItems") is True:
            problems.append(f"{where}: uniqueItems: true is not allowed; use x-kubernetes-list-type")
        if node.get("x-kubernetes-preserve-unknown-fields", True) is not True:
            problems.append(f"{where}: x-kubernetes-preserve-unknown-fields may only be true")
        additional = node.get("additionalProperties")
        if additional is not None and not isinstance(additional, Mapping):
            problems.append(f"{where}: additionalProperties must be a schema")
        if additional is not None and "properties" in node:
            problems.append(f"{where}: properties and additionalProperties are mutually exclusive")
        if node.get("type") == "array" and not isinstance(node.get("items"), Mapping):
            problems.append(f"{where}: an array needs one items schema")
        problems.extend(_list_type_problems(where, node))
        for value in node.get("enum", ()):
            if not _matches_type(value, node):
                problems.append(f"{where}: enum value {value!r} does not match the type")
        if "default" in node:
            problems.extend(f"{where}: default: {error}" for error in _errors_against(node["default"], node))
    return problems


def _list_type_problems(where: str, node: Schema) -> list[str]:
    list_type = node.get("x-kubernetes-list-type")
    if list_type is None:
        return []
    if node.get("type") != "array":
        return [f"{where}: x-kubernetes-list-type on a non-array"]
    items = node.get("items", {})
    if list_type == "set":
        if items.get("type") not in _SCALAR_TYPES:
            return [f"{where}: x-kubernetes-list-type set needs scalar items"]
        return []
    if list_type == "map":
        keys = node.get("x-kubernetes-list-map-keys") or []
        if not keys:
            return [f"{where}: x-kubernetes-list-type map needs x-kubernetes-list-map-keys"]
        problems = []
        for key in keys:
            key_schema = items.get("properties", {}).get(key)
            if key_schema is None:
                problems.append(f"{where}: map key {key!r} is not a property of the items")
            elif key not in items.get("required", ()) and "default" not in key_schema:
                problems.append(f"{where}: map key {key!r} must be required or defaulted")
        return problems
    if list_type != "atomic":
        return [f"{where}: unknown x-kubernetes-list-type {list_type!r}"]
    return []


def _matches_type(value: Any, node: Schema) -> bool:
    kind = node.get("type")
    if value is None:
        return bool(node.get("nullable"))
    checks: dict[str, Any] = {
        "string": lambda v: isinstance(v, str),
        "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
        "boolean": lambda v: isinstance(v, bool),
        "object": lambda v: isinstance(v, dict),
        "array": lambda v: isinstance(v, list),
    }
    check = checks.get(str(kind))
    return True if check is None else bool(check(value))


def unbounded_fields(schema: Schema) -> list[str]:
    """Lists without maxItems, strings without maxLength (or an enum) and maps without maxProperties.

    The API server estimates the worst-case cost of every CEL rule from these bounds; unbounded
    values make rules expensive or get the CRD refused. Root apiVersion and kind are the API
    server's business and may not be restricted.
    """
    found: list[str] = []
    for location, node in iter_schema(schema):
        if location in (("apiVersion",), ("kind",)):
            continue
        where = render_location(location)
        kind = node.get("type")
        if kind == "array" and "maxItems" not in node:
            found.append(f"{where}: list without maxItems")
        bounded_string = "maxLength" in node or "enum" in node or node.get("format") == "date-time"
        if kind == "string" and not bounded_string:
            found.append(f"{where}: string without maxLength")
        is_map = kind == "object" and isinstance(node.get("additionalProperties"), Mapping)
        if is_map and "maxProperties" not in node:
            found.append(f"{where}: map without maxProperties")
    return found


def field_path_problems(crd: Crd) -> list[str]:
    """Rule fieldPaths must name a declared field below the rule; reasons must be allowed ones."""
    problems: list[str] = []
    nodes = dict(iter_schema(crd.schema))
    for rule in crd.rules():
        label = f"{rule.where}: rule {rule.rule!r}"
        if not rule.message or "\n" in rule.message:
            problems.append(f"{label}: needs a one-line message")
        if rule.reason is not None and rule.reason not in ALLOWED_REASONS:
            problems.append(f"{label}: reason {rule.reason!r} is not one the API server accepts")
        if rule.field_path is None:
            continue
        if not rule.field_path.startswith("."):
            problems.append(f"{label}: fieldPath must start with '.'")
            continue
        location = rule.location
        for part in rule.field_path[1:].split("."):
            location = (*location, part)
            if location not in nodes:
                problems.append(f"{label}: fieldPath {rule.field_path!r} names no declared field")
                break
    return problems


def compile_problems(crd: Crd) -> list[str]:
    problems = []
    for rule in crd.rules():
        try:
            _program(rule.rule)
        except Exception as error:  # celpy raises parser-specific exceptions
            problems.append(f"{rule.where}: rule {rule.rule!r} does not compile: {error}")
    return problems


# --------------------------------------------------------------------------- defaulting


def apply_defaults(value: Any, schema: Schema) -> Any:
    """A copy of `value` with the schema's defaults filled in, top-down like the API server.

    Explicit nulls of non-nullable fields are dropped first, as the API server does.
    """
    value = copy.deepcopy(value)
    _default_in_place(value, schema)
    return value


def _default_in_place(value: Any, schema: Schema) -> None:
    if isinstance(value, dict):
        for name, child in schema.get("properties", {}).items():
            if name in value and value[name] is None and not child.get("nullable"):
                del value[name]  # the API server drops nulls of non-nullable fields, then defaults
            if name not in value and "default" in child:
                value[name] = copy.deepcopy(child["default"])
            if name in value:
                _default_in_place(value[name], child)
        additional = schema.get("additionalProperties")
        if isinstance(additional, Mapping):
            for item in value.values():
                _default_in_place(item, additional)
    elif isinstance(value, list) and isinstance(schema.get("items"), Mapping):
        for item in value:
            _default_in_place(item, schema["items"])


def default_custom_resource(obj: Mapping[str, Any]) -> JsonObject:
    """The object as the API server stores it after defaulting (what a hook receives)."""
    defaulted: JsonObject = apply_defaults(dict(obj), crd_for(obj).schema)
    return defaulted


# --------------------------------------------------------------------------- OpenAPI -> JSON Schema

_COPIED_KEYS: Final = (
    "enum",
    "minimum",
    "maximum",
    "multipleOf",
    "minLength",
    "maxLength",
    "minItems",
    "maxItems",
    "minProperties",
    "maxProperties",
    "required",
    "format",
)


def go_pattern(pattern: str) -> str:
    """The Python regex that matches what the API server's (Go RE2) pattern matches.

    A final `$` in Python also matches before a trailing newline; in Go it matches only at the end.
    """
    if pattern.endswith("$") and not pattern.endswith("\\$"):
        return pattern[:-1] + "\\Z"
    return pattern


def to_json_schema(schema: Schema, *, root: bool = True) -> JsonObject:
    """Translate an OpenAPI v3 (Kubernetes flavour) schema into JSON Schema 2020-12."""
    out: JsonObject = {key: copy.deepcopy(schema[key]) for key in _COPIED_KEYS if key in schema}
    if "pattern" in schema:
        out["pattern"] = go_pattern(schema["pattern"])
    nullable = bool(schema.get("nullable"))
    kind = schema.get("type")
    if schema.get("x-kubernetes-int-or-string"):
        out["anyOf"] = [{"type": "integer"}, {"type": "string"}]
    elif kind is not None:
        out["type"] = [kind, "null"] if nullable else kind
    if nullable and "enum" in out:
        out["enum"] = [*out["enum"], None]
    for bound, exclusive in (("minimum", "exclusiveMinimum"), ("maximum", "exclusiveMaximum")):
        if schema.get(exclusive) is True and bound in out:
            out[exclusive] = out.pop(bound)
    for key in ("allOf", "anyOf", "oneOf"):
        if key in schema:
            out.setdefault("allOf", []).append({key: [to_json_schema(s, root=False) for s in schema[key]]})
    if "not" in schema:
        out["not"] = to_json_schema(schema["not"], root=False)
    if isinstance(schema.get("items"), Mapping):
        out["items"] = to_json_schema(schema["items"], root=False)
    if schema.get("x-kubernetes-list-type") == "set":
        out["uniqueItems"] = True
    additional = schema.get("additionalProperties")
    properties = schema.get("properties")
    if properties is not None:
        out["properties"] = {name: to_json_schema(child, root=False) for name, child in properties.items()}
    if root:
        out.setdefault("properties", {})
        out["properties"].setdefault("apiVersion", {"type": "string"})
        out["properties"].setdefault("kind", {"type": "string"})
        out["properties"]["metadata"] = {"type": "object"}
    if isinstance(additional, Mapping):
        out["additionalProperties"] = to_json_schema(additional, root=False)
    elif kind == "object" and not schema.get("x-kubernetes-preserve-unknown-fields"):
        # The API server prunes unknown fields; kubectl's default strict field validation refuses them.
        out["additionalProperties"] = False
    return out


_FORMATS: Final = jsonschema.FormatChecker(formats=())


def _is_date_time(value: object) -> bool:
    return not isinstance(value, str) or _RFC3339.fullmatch(value) is not None


def _is_int32(value: object) -> bool:
    return not isinstance(value, int) or -(2**31) <= value < 2**31


def _is_int64(value: object) -> bool:
    return not isinstance(value, int) or -(2**63) <= value < 2**63


_FORMATS.checks("date-time")(_is_date_time)
_FORMATS.checks("int32")(_is_int32)
_FORMATS.checks("int64")(_is_int64)


def _render_error_path(parts: Sequence[str | int]) -> str:
    path = ""
    for part in parts:
        path = _join(path, part)
    return path or "<root>"


def _errors_against(
    value: Any, schema: Schema, *, root: bool = False, prefix: Sequence[str | int] = ()
) -> list[str]:
    validator = jsonschema.Draft202012Validator(to_json_schema(schema, root=root), format_checker=_FORMATS)
    errors = [
        f"{_render_error_path([*prefix, *error.absolute_path])}: {error.message}"
        for error in validator.iter_errors(value)
    ]
    return sorted(errors)


def list_type_errors(value: Any, schema: Schema, path: str = "") -> list[str]:
    """Duplicates in `x-kubernetes-list-type: map` (by key) and `set` lists."""
    errors: list[str] = []
    if isinstance(value, list):
        items = schema.get("items", {})
        if _is_map_list(schema):
            keys = schema.get("x-kubernetes-list-map-keys", [])
            seen: set[str] = set()
            for index, item in enumerate(value):
                if not isinstance(item, dict):
                    continue
                key = repr({k: item.get(k) for k in keys})
                if key in seen:
                    errors.append(f"{_join(path, index)}: Duplicate value: {key}")
                seen.add(key)
        for index, item in enumerate(value):
            errors.extend(list_type_errors(item, items, _join(path, index)))
    elif isinstance(value, dict):
        properties = schema.get("properties", {})
        additional = schema.get("additionalProperties")
        for name, item in value.items():
            child = properties.get(name, additional if isinstance(additional, Mapping) else None)
            if child is not None:
                errors.extend(list_type_errors(item, child, _join(path, name)))
    return errors


def schema_errors(obj: Mapping[str, Any], crd: Crd | None = None) -> list[str]:
    """OpenAPI schema and list-type errors of an (already defaulted) object."""
    crd = crd or crd_for(obj)
    return _errors_against(obj, crd.schema, root=True) + list_type_errors(obj, crd.schema)


def metadata_errors(obj: Mapping[str, Any], crd: Crd) -> list[str]:
    errors = []
    if obj.get("apiVersion") != crd.api_version:
        errors.append(f"apiVersion: must be {crd.api_version}, not {obj.get('apiVersion')!r}")
    metadata = obj.get("metadata")
    if not isinstance(metadata, Mapping):
        return [*errors, "metadata: Required value"]
    name = metadata.get("name")
    if not isinstance(name, str) or not name:
        errors.append("metadata.name: Required value")
    elif len(name) > 253 or not _DNS_SUBDOMAIN.match(name):
        errors.append(f"metadata.name: {name!r} is not a DNS-1123 subdomain")
    return errors


# --------------------------------------------------------------------------- CEL


_ENVIRONMENT: Final = celpy.Environment()


@functools.cache
def _program(rule: str) -> celpy.Runner:
    return _ENVIRONMENT.program(_ENVIRONMENT.compile(rule))


def cel_view(value: Any, schema: Schema, *, root: bool = False) -> Any:
    """The value as CEL sees it at a schema location: declared fields only."""
    if isinstance(value, dict):
        if root:
            view = {key: value[key] for key in ("apiVersion", "kind") if key in value}
            metadata = value.get("metadata") or {}
            view["metadata"] = {k: metadata[k] for k in ("name", "generateName") if k in metadata}
            for name, child in schema.get("properties", {}).items():
                if name not in ("apiVersion", "kind", "metadata") and name in value:
                    view[name] = cel_view(value[name], child)
            return view
        if schema.get("x-kubernetes-int-or-string"):
            return value
        additional = schema.get("additionalProperties")
        if isinstance(additional, Mapping):
            return {key: cel_view(item, additional) for key, item in value.items()}
        properties = schema.get("properties", {})
        return {name: cel_view(value[name], child) for name, child in properties.items() if name in value}
    if isinstance(value, list) and isinstance(schema.get("items"), Mapping):
        return [cel_view(item, schema["items"]) for item in value]
    return value


def evaluate_rule(rule: str, self_value: Any, old_value: Any = MISSING) -> tuple[bool, str]:
    """(passed, detail) for one CEL rule with `self` (and `oldSelf`) bound to already-viewed values."""
    try:
        activation: dict[str, Any] = {"self": json_to_cel(self_value)}
        if old_value is not MISSING:
            activation["oldSelf"] = json_to_cel(old_value)
    except ValueError as error:  # an integer beyond int64, which the API server does not decode as one
        return False, f"evaluation error: {error}"
    try:
        result = _program(rule).evaluate(activation)
    except CELEvalError as error:
        return False, f"evaluation error: {error}"
    if isinstance(result, CELEvalError):
        return False, f"evaluation error: {result}"
    if isinstance(result, celpy.celtypes.BoolType):
        return bool(result), ""
    return False, f"the rule returned {result!r}, not a bool"


@dataclass
class _Walk:
    crd: Crd
    rules: dict[tuple[str, ...], list[Rule]]
    failures: list[RuleFailure] = field(default_factory=list)

    def visit(
        self, value: Any, old: Any, schema: Schema, location: tuple[str, ...], path: str, root: bool = False
    ) -> None:
        if value is None:
            return
        view = cel_view(value, schema, root=root)
        old_view = MISSING if old is MISSING or old is None else cel_view(old, schema, root=root)
        for rule in self.rules.get(location, ()):
            if rule.transition and old_view is MISSING:
                continue
            passed, detail = evaluate_rule(rule.rule, view, old_view if rule.transition else MISSING)
            if not passed:
                self.failures.append(RuleFailure(rule, self._report_path(path, rule), detail))
        if isinstance(value, dict):
            self._visit_object(value, old, schema, location, path)
        elif isinstance(value, list) and isinstance(schema.get("items"), Mapping):
            self._visit_list(value, old, schema, location, path)

    def _visit_object(
        self, value: JsonObject, old: Any, schema: Schema, location: tuple[str, ...], path: str
    ) -> None:
        old_map = old if isinstance(old, dict) else {}
        for name, child in schema.get("properties", {}).items():
            if name in value:
                self.visit(
                    value[name], old_map.get(name, MISSING), child, (*location, name), _join(path, name)
                )
        additional = schema.get("additionalProperties")
        if isinstance(additional, Mapping):
            for key, item in value.items():
                self.visit(item, old_map.get(key, MISSING), additional, (*location, VALUES), _join(path, key))

    def _visit_list(
        self, value: list[Any], old: Any, schema: Schema, location: tuple[str, ...], path: str
    ) -> None:
        items = schema["items"]
        keys = schema.get("x-kubernetes-list-map-keys", []) if _is_map_list(schema) else []
        old_items = old if isinstance(old, list) and keys else []
        for index, item in enumerate(value):
            previous: Any = MISSING
            if keys and isinstance(item, dict):
                wanted = [item.get(k) for k in keys]
                previous = next(
                    (o for o in old_items if isinstance(o, dict) and [o.get(k) for k in keys] == wanted),
                    MISSING,
                )
            self.visit(item, previous, items, (*location, ITEMS), _join(path, index))

    @staticmethod
    def _report_path(path: str, rule: Rule) -> str:
        if rule.field_path:
            suffix = rule.field_path[1:]
            return f"{path}.{suffix}" if path else suffix
        return path or "<root>"


def rule_failures(
    obj: Mapping[str, Any], crd: Crd | None = None, old: Mapping[str, Any] | None = None
) -> list[RuleFailure]:
    """Every CEL rule that fails on the (already defaulted) object; transition rules only with `old`."""
    crd = crd or crd_for(obj)
    by_location: dict[tuple[str, ...], list[Rule]] = {}
    for rule in crd.rules():
        by_location.setdefault(rule.location, []).append(rule)
    walk = _Walk(crd, by_location)
    walk.visit(dict(obj), MISSING if old is None else dict(old), crd.schema, (), "", root=True)
    return walk.failures


# --------------------------------------------------------------------------- entry points


@dataclass(frozen=True)
class Report:
    schema: list[str]
    rules: list[RuleFailure]

    @property
    def errors(self) -> list[str]:
        return self.schema + [str(failure) for failure in self.rules]


def check_custom_resource(obj: Mapping[str, Any], old: Mapping[str, Any] | None = None) -> Report:
    """Defaults, schema and CEL results for a create (`old` None) or an update from `old`."""
    crd = crd_for(obj)
    defaulted = apply_defaults(dict(obj), crd.schema)
    previous = None if old is None else apply_defaults(dict(old), crd.schema)
    schema = metadata_errors(defaulted, crd) + schema_errors(defaulted, crd)
    return Report(schema=schema, rules=rule_failures(defaulted, crd, previous))


def validate_custom_resource(obj: Mapping[str, Any], old: Mapping[str, Any] | None = None) -> list[str]:
    """Error messages the API server would give (empty when it accepts the object)."""
    return check_custom_resource(obj, old).errors


def validate_status(kind: str, status: Mapping[str, Any]) -> list[str]:
    """Errors in a status a hook writes for `kind` (the status subresource's schema)."""
    crd = load_crds()[kind]
    status_schema = crd.schema["properties"]["status"]
    return _errors_against(dict(status), status_schema, prefix=("status",)) + list_type_errors(
        dict(status), status_schema, "status"
    )
