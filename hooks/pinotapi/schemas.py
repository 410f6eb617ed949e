"""Apply and delete a Pinot schema, comparing with the schema Pinot actually holds.

Steps of `apply_schema`:

1. `GET /schemas/{name}`: 200 is what Pinot holds, 404 is absent, anything else is an error (a 401 or
   500 body is never taken for "exists" or "absent").
2. Absent: `POST /schemas?override=false`. A 409 means someone created it meanwhile: compare again.
3. Held and equal (see `normalise.py`, after `normalised_schema` on both sides): `Unchanged`.
4. Held and different: `PUT /schemas/{name}?reload=&force=`. Pinot answers 400 "Backward incompatible
   schema ..." for a change that drops a column or changes a column's type or single/multi-value
   (`IncompatibleSchema`). `force=true` makes 1.x accept it; a real 0.11.0 controller has no `force`
   parameter on schema writes and still answers 400, which is reported as `IncompatibleSchema` saying
   that Pinot refused even with force.

Reload detection: with `reload=true` Pinot stores the schema first and *then* reloads the tables named
after it, answering 404 "Failed to find table <name> to reload" when there is none yet. A 404 alone could
also mean the schema vanished, so the 404 is accepted only when a fresh `GET` shows that Pinot now holds
the desired schema; the message then says there was no table to reload.

Unrecognised properties: Pinot stores the schema without them, so what it holds can never match the
document. That is reported as `Rejected` (the schema was written, but not as asked) rather than as
success, and the message lists the properties.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from hooks.pinotapi.client import ControllerUnreachable, PinotController, Reply
from hooks.pinotapi.names import name_problem
from hooks.pinotapi.normalise import differences
from hooks.pinotapi.outcome import Outcome
from hooks.pinotapi.verdicts import deleted, failure, unreachable, written
from hooks.pinotapi.wording import changed_fields

__all__ = ["apply_schema", "delete_schema", "normalised_schema"]

FIELD_SPEC_LISTS: Final = (
    "dimensionFieldSpecs",
    "metricFieldSpecs",
    "dateTimeFieldSpecs",
    "complexFieldSpecs",
)
FIELD_SPEC_DEFAULTS: Final[Mapping[str, Any]] = {"singleValueField": True, "notNull": False}
DEFAULT_MAX_LENGTH: Final = 512

# Pinot's default null value per data type (`FieldSpec`): metrics default to zero, dimension and
# date-time columns to the type's minimum, "null", false (0) or empty bytes.
_DIMENSION_NULLS: Final[Mapping[str, str]] = {
    "INT": "-2147483648",
    "LONG": "-9223372036854775808",
    "FLOAT": "-Infinity",
    "DOUBLE": "-Infinity",
    "BIG_DECIMAL": "0",
    "BOOLEAN": "0",
    "TIMESTAMP": "0",
    "STRING": "null",
    "JSON": "null",
    "BYTES": "",
}
_METRIC_NULLS: Final[Mapping[str, str]] = {
    "INT": "0",
    "LONG": "0",
    "FLOAT": "0",
    "DOUBLE": "0",
    "BIG_DECIMAL": "0",
    "BYTES": "",
}


def normalised_schema(schema: Mapping[str, Any]) -> dict[str, Any]:
    """A copy in which stating one of Pinot's field-spec defaults equals leaving it out.

    Pinot serialises a field spec without the values that equal their defaults (a real 0.11
    controller answers `{"name": "id", "dataType": "STRING"}` for a spec sent with
    `singleValueField: true`, `maxLength: 512` and `defaultNullValue: "null"`), while other versions may
    print some of them. So, on both sides: `singleValueField` and `notNull` are filled in with their
    defaults (so a held `false` still differs from an unstated `true`), and `maxLength` and
    `defaultNullValue` are dropped when they equal Pinot's default for the column's type.
    """
    result = dict(schema)
    for key in FIELD_SPEC_LISTS:
        specs = result.get(key)
        if isinstance(specs, list):
            nulls = _METRIC_NULLS if key == "metricFieldSpecs" else _DIMENSION_NULLS
            result[key] = [_with_defaults(spec, nulls) for spec in specs]
    if isinstance(result.get("timeFieldSpec"), Mapping):
        result["timeFieldSpec"] = _with_defaults(result["timeFieldSpec"], _DIMENSION_NULLS)
    return result


def _with_defaults(spec: Any, nulls: Mapping[str, str]) -> Any:
    if not isinstance(spec, Mapping):
        return spec
    result = {**FIELD_SPEC_DEFAULTS, **spec}
    if _same_number(result.get("maxLength"), str(DEFAULT_MAX_LENGTH)):
        del result["maxLength"]
    data_type = result.get("dataType")
    default = nulls.get(data_type) if isinstance(data_type, str) else None
    if "defaultNullValue" in result and default is not None:
        value = result["defaultNullValue"]
        if data_type == "BOOLEAN" and isinstance(value, str | bool):
            value = {"false": "0", "true": "1"}.get(str(value).lower(), value)
        if str(value) == default or _same_number(value, default):
            del result["defaultNullValue"]
    return result


def _same_number(value: Any, default: str) -> bool:
    """True when `value` (a JSON number or a string) spells the same number as `default`."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return False
    for parse in (int, float):
        try:
            return bool(parse(str(value).strip()) == parse(default))
        except ValueError:
            continue
    return False


def apply_schema(
    controller: PinotController, document: Any, *, reload: bool = False, force: bool = False
) -> Outcome:
    name = document.get("schemaName") if isinstance(document, Mapping) else None
    if not isinstance(document, Mapping):
        return Outcome.failed("InvalidInput", "", "a schema must be a JSON object")
    if not isinstance(name, str) or not name:
        return Outcome.failed("InvalidInput", "", "the schema has no schemaName")
    problem = name_problem("schemaName", name)
    if problem:
        return Outcome.failed("InvalidInput", "", problem)
    try:
        return _SchemaApply(controller, name, document, reload, force).run()
    except ControllerUnreachable as error:
        return unreachable(name, error)


class _SchemaApply:
    def __init__(
        self, controller: PinotController, name: str, document: Mapping[str, Any], reload: bool, force: bool
    ) -> None:
        self.controller = controller
        self.name = name
        self.document = document
        self.reload = reload
        self.force = force
        self.path = ("schemas", name)

    def run(self) -> Outcome:
        held = self.controller.get(self.path)
        if held.status == 404:
            return self.create()
        if held.status != 200 or not isinstance(held.body, dict):
            return failure(held, self.name)
        return self.converge(held.body)

    def create(self) -> Outcome:
        reply = self.controller.post(
            ("schemas",), self.document, {"override": "false", "force": "false"}, idempotent=True
        )
        if reply.status == 409:  # created by someone else since we looked
            current = self.controller.get(self.path)
            if current.status != 200 or not isinstance(current.body, dict):
                return failure(current, self.name)
            return self.converge(current.body)
        if not reply.ok:
            return failure(reply, self.name)
        return written("Created", self.name, reply)

    def converge(self, held: Mapping[str, Any]) -> Outcome:
        changed = differences(normalised_schema(self.document), normalised_schema(held))
        if not changed:
            return Outcome.succeeded("Unchanged", self.name, "Pinot already holds this schema", 200)
        params = {"reload": _flag(self.reload), "force": _flag(self.force)}
        reply = self.controller.put(self.path, self.document, params)
        if reply.status == 400 and "incompatible" in reply.message.lower():
            message = reply.message
            if self.force:
                message = (
                    "Pinot refused this backward-incompatible change even with --force (this Pinot "
                    f"version does not let force bypass its schema compatibility check): {reply.message}"
                )
            return Outcome.failed("IncompatibleSchema", self.name, message, reply.status)
        if reply.status == 404 and self.reload:
            return self.after_reload_not_found(reply, changed)
        if not reply.ok:
            return failure(reply, self.name)
        note = f"changed {changed_fields(changed)}"
        if self.reload:
            note += "; the tables using it are reloading their segments"
        return written("Updated", self.name, reply, note)

    def after_reload_not_found(self, reply: Reply, changed: list[str]) -> Outcome:
        current = self.controller.get(self.path)
        if current.status == 200 and isinstance(current.body, dict):
            still = differences(normalised_schema(self.document), normalised_schema(current.body))
            if not still:
                message = (
                    f"{reply.message}; the schema was updated (changed {changed_fields(changed)}), "
                    "but no table uses it yet, so there were no tables to reload"
                )
                return Outcome.succeeded("Updated", self.name, message, 200)
        return failure(reply, self.name)


def delete_schema(controller: PinotController, name: str) -> Outcome:
    """`DELETE /schemas/{name}`: 404 is AlreadyAbsent; 409 (a table uses it) fails with Pinot's words."""
    problem = name_problem("schema name", name)
    if problem:
        return Outcome.failed("InvalidInput", "", problem)
    try:
        reply = controller.delete(("schemas", name))
    except ControllerUnreachable as error:
        return unreachable(name, error)
    return deleted(reply, name)


def _flag(value: bool) -> str:
    return "true" if value else "false"
