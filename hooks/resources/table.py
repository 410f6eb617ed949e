"""PinotTable: one half (OFFLINE or REALTIME) of a Pinot table, named `<raw>_<TYPE>` in Pinot.

A hybrid table is two PinotTables with the same raw name and different types; every command names
its half (`delete table --type`), so deleting one never touches the other. Pinot requires the
schema's name to equal the raw table name, which is checked against the referenced PinotSchema
before a Job is run.
"""

from __future__ import annotations

from dataclasses import dataclass

from hooks.contract import as_object
from hooks.refusals import SpecError
from hooks.resources.spec import PinotTableSpec
from hooks.resources.target import Desired, JsonObject, PinotObject, flags

TABLE_TYPES = ("OFFLINE", "REALTIME")


def identity(spec: PinotTableSpec) -> PinotObject | list[SpecError]:
    name, table_type = spec.table.tableName, spec.table.tableType
    raw = raw_name(name, table_type)
    if raw is None:
        return [
            SpecError(
                "spec.table.tableName",
                f"{name!r} must be the raw table name "
                f"(or end in _{table_type} to match spec.table.tableType)",
            )
        ]
    return PinotObject("table", f"{raw}_{table_type}", ("--name", raw, "--type", table_type))


def raw_name(name: str, table_type: str) -> str | None:
    """`events` or `events_OFFLINE` (for OFFLINE) -> `events`; a suffix of the other type -> None."""
    for suffix in TABLE_TYPES:
        if name.endswith("_" + suffix):
            raw = name[: -len(suffix) - 1]
            return raw if suffix == table_type and raw else None
    return name


def desired(spec: PinotTableSpec, target: PinotObject, raw: JsonObject) -> Desired | list[SpecError]:
    document = raw["table"]
    table = target.delete_args[1]
    schema_name = _segments_schema_name(document)
    if schema_name is not None and schema_name != table:
        return [
            SpecError(
                "spec.table.segmentsConfig.schemaName",
                f"{schema_name!r} must equal the raw table name {table!r} (Pinot requires it)",
            )
        ]
    return Desired(target, document, flags(reload=spec.reload, force=spec.force))


def _segments_schema_name(document: JsonObject) -> object:
    return as_object(document.get("segmentsConfig")).get("schemaName")


@dataclass(frozen=True)
class SchemaRequirement:
    """The PinotSchema a table waits for, and the names that must equal its `schemaName`."""

    ref: str
    names: tuple[tuple[str, str], ...]


def schema_requirement(spec: PinotTableSpec, target: PinotObject, raw: JsonObject) -> SchemaRequirement:
    names = [("spec.table.tableName", target.delete_args[1])]
    segments_name = _segments_schema_name(raw["table"])
    if isinstance(segments_name, str):
        names.append(("spec.table.segmentsConfig.schemaName", segments_name))
    return SchemaRequirement(spec.schemaRef.name, tuple(names))
