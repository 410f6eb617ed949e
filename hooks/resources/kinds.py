"""The three resource kinds, as data: how each reads its spec and what it depends on."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from hooks import GROUP
from hooks.resources import schema, table, tenant
from hooks.resources.fields import Fields
from hooks.resources.target import Desired, PinotObject


@dataclass(frozen=True)
class ResourceKind:
    kind: str
    plural: str
    identity: Callable[[Fields], PinotObject | None]
    desired: Callable[[Fields], Desired | None]
    uses_schema: bool = False

    @property
    def singular(self) -> str:
        return self.kind.lower()

    @property
    def label(self) -> str:
        """The label on this kind's Jobs and Pods whose value is the resource's name."""
        return f"{GROUP}/{self.singular}"


SCHEMA = ResourceKind("PinotSchema", "pinotschemas", schema.identity, schema.desired)
TABLE = ResourceKind("PinotTable", "pinottables", table.identity, table.desired, uses_schema=True)
TENANT = ResourceKind("PinotTenant", "pinottenants", tenant.identity, tenant.desired)
KINDS = (SCHEMA, TABLE, TENANT)
