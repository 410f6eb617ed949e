"""PinotSchema: `spec.schema` is the Pinot schema JSON; its `schemaName` names it in Pinot."""

from __future__ import annotations

from hooks.resources.fields import Fields
from hooks.resources.target import Desired, PinotObject, flags

RELOAD_DEFAULT = True  # the CRD's default: tables see new columns without a manual reload


def identity(fields: Fields) -> PinotObject | None:
    name = fields.string("spec.schema.schemaName")
    if name is None:
        return None
    return PinotObject("schema", name, ("--name", name))


def desired(fields: Fields) -> Desired | None:
    document = fields.obj("spec.schema")
    target = identity(fields) if document is not None else None
    reload = fields.flag("spec.reload", RELOAD_DEFAULT)
    force = fields.flag("spec.force", False)
    if document is None or target is None:
        return None
    return Desired(target, document, flags(reload=reload, force=force))
