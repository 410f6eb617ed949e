"""PinotTable: one half (OFFLINE or REALTIME) of a Pinot table, named `<raw>_<TYPE>` in Pinot.

A hybrid table is two PinotTables with the same raw name and different types; every command names
its half (`delete table --type`), so deleting one never touches the other. Pinot requires the
schema's name to equal the raw table name, which is checked against the referenced PinotSchema
before a Job is run.
"""

from __future__ import annotations

from dataclasses import dataclass

from hooks.resources.fields import Fields
from hooks.resources.target import Desired, PinotObject, flags

TABLE_TYPES = ("OFFLINE", "REALTIME")


def identity(fields: Fields) -> PinotObject | None:
    name = fields.string("spec.table.tableName")
    table_type = fields.choice("spec.table.tableType", TABLE_TYPES)
    if name is None or table_type is None:
        return None
    raw = raw_name(name, table_type)
    if raw is None:
        fields.problem(
            "spec.table.tableName",
            f"{name!r} must be the raw table name (or end in _{table_type} to match spec.table.tableType)",
        )
        return None
    return PinotObject("table", f"{raw}_{table_type}", ("--name", raw, "--type", table_type))


def raw_name(name: str, table_type: str) -> str | None:
    """`events` or `events_OFFLINE` (for OFFLINE) -> `events`; a suffix of the other type -> None."""
    for suffix in TABLE_TYPES:
        if name.endswith("_" + suffix):
            raw = name[: -len(suffix) - 1]
            return raw if suffix == table_type and raw else None
    return name


def desired(fields: Fields) -> Desired | None:
    document = fields.obj("spec.table")
    fields.string("spec.schemaRef.name")
    target = identity(fields) if document is not None else None
    reload = fields.flag("spec.reload", False)
    force = fields.flag("spec.force", False)
    if document is None or target is None:
        return None
    raw = target.delete_args[1]
    schema_name = fields.value("spec.table.segmentsConfig.schemaName")
    if schema_name is not None and schema_name != raw:
        fields.problem(
            "spec.table.segmentsConfig.schemaName",
            f"{schema_name!r} must equal the raw table name {raw!r} (Pinot requires it)",
        )
        return None
    return Desired(target, document, flags(reload=reload, force=force))


@dataclass(frozen=True)
class SchemaRequirement:
    """The PinotSchema a table waits for, and the names that must equal its `schemaName`."""

    ref: str
    names: tuple[tuple[str, str], ...]


def schema_requirement(fields: Fields, target: PinotObject) -> SchemaRequirement | None:
    ref = fields.value("spec.schemaRef.name")
    if not isinstance(ref, str) or not ref:
        return None
    raw = target.delete_args[1]
    names = [("spec.table.tableName", raw)]
    segments_name = fields.value("spec.table.segmentsConfig.schemaName")
    if isinstance(segments_name, str):
        names.append(("spec.table.segmentsConfig.schemaName", segments_name))
    return SchemaRequirement(ref, tuple(names))
