"""PinotSchema: `spec.schema` is the Pinot schema JSON; its `schemaName` names it in Pinot."""

from __future__ import annotations

from hooks.resources.spec import PinotSchemaSpec
from hooks.resources.target import Desired, JsonObject, PinotObject, flags


def identity(spec: PinotSchemaSpec) -> PinotObject:
    name = spec.schema_.schemaName
    return PinotObject("schema", name, ("--name", name))


def desired(spec: PinotSchemaSpec, target: PinotObject, raw: JsonObject) -> Desired:
    return Desired(target, raw["schema"], flags(reload=spec.reload, force=spec.force))
