"""The three resource kinds, as data: the spec model each is read with, and what it depends on.

Reading a spec is one step for every kind: the model (hooks/resources/spec.py) checks each field
as the CRD declares it, then the kind's own module names the Pinot object and checks what spans
fields. Either way a problem is a `SpecError` naming the field, never an exception.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from hooks import GROUP
from hooks.refusals import SpecError, refusals
from hooks.resources import schema, table, tenant
from hooks.resources.spec import PinotSchemaSpec, PinotTableSpec, PinotTenantSpec, ResourceSpec
from hooks.resources.target import Desired, JsonObject, PinotObject


@dataclass(frozen=True)
class Reading:
    """A spec as read: the model, the Pinot object it names and what to apply, or what is wrong."""

    spec: ResourceSpec | None = None
    target: PinotObject | None = None
    desired: Desired | None = None
    errors: tuple[SpecError, ...] = ()


@dataclass(frozen=True)
class ResourceKind:
    """`identity` and `want` take the kind's own `model` (typed in their modules)."""

    kind: str
    plural: str
    model: type[ResourceSpec]
    identity: Callable[[Any], PinotObject | list[SpecError]]
    want: Callable[[Any, PinotObject, JsonObject], Desired | list[SpecError]]
    uses_schema: bool = False

    @property
    def singular(self) -> str:
        return self.kind.lower()

    @property
    def label(self) -> str:
        """The label on this kind's Jobs and Pods whose value is the resource's name."""
        return f"{GROUP}/{self.singular}"

    def read(self, raw: Any) -> Reading:
        if not isinstance(raw, dict):
            return Reading(errors=(SpecError("spec", "must be an object"),))
        try:
            spec = self.model.model_validate(raw)
        except ValidationError as exc:
            return Reading(errors=tuple(refusals(exc, self.model)))
        target = self.identity(spec)
        if isinstance(target, list):
            return Reading(spec, errors=tuple(target))
        desired = self.want(spec, target, raw)
        if isinstance(desired, list):
            return Reading(spec, target, errors=tuple(desired))
        return Reading(spec, target, desired)


SCHEMA = ResourceKind("PinotSchema", "pinotschemas", PinotSchemaSpec, schema.identity, schema.desired)
TABLE = ResourceKind(
    "PinotTable", "pinottables", PinotTableSpec, table.identity, table.desired, uses_schema=True
)
TENANT = ResourceKind("PinotTenant", "pinottenants", PinotTenantSpec, tenant.identity, tenant.desired)
KINDS = (SCHEMA, TABLE, TENANT)
