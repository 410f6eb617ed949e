"""The specs of PinotSchema, PinotTable and PinotTenant, as the hooks read them and the CRDs
declare them.

`crds/pinotschemas.yaml`, `pinottables.yaml` and `pinottenants.yaml` are generated from these
models (`make crds`; conventions in `hooks.crds`). The Pinot documents go to Pinot as they are
(unknown fields kept); only what the control plane reads from them is declared. Validation is
strict (no "yes" for true, no "3" for 3): the API server stores JSON types as they are, and a
value that got past an older CRD is refused with the field named rather than guessed at.
What needs more than one field (a table's name against its type, a tenant's counts) is checked
by the kind's own module (hooks/resources/table.py, tenant.py).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from hooks.crds.extensions import Int32, rule, rules
from hooks.syntax import ObjectName, PinotName, TenantName

DeletionPolicy = Literal["Retain", "Delete"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class _Document(BaseModel):
    """A Pinot JSON document: declared fields are checked, the rest goes to Pinot untouched."""

    model_config = ConfigDict(extra="allow", frozen=True, strict=True)


class ClusterRef(_Strict):
    name: ObjectName = Field(description="Name of the PinotCluster.")


class SchemaRef(_Strict):
    name: ObjectName = Field(description="Name of the PinotSchema.")


class ResourceSpec(_Strict):
    """What every one of the three kinds carries besides its Pinot document."""

    clusterRef: ClusterRef = Field(description="The PinotCluster (same namespace) this object belongs to.")
    deletionPolicy: DeletionPolicy = Field(
        default="Retain",
        description=(
            "What happens in Pinot when this resource is deleted: Retain keeps the Pinot object, "
            "Delete removes it."
        ),
    )


class SchemaDocument(_Document):
    schemaName: PinotName = Field(description="Name of the schema in Pinot.")


class PinotSchemaSpec(ResourceSpec):
    schema_: SchemaDocument = Field(
        alias="schema", description="The Pinot schema JSON, as accepted by POST /schemas."
    )
    reload: bool = Field(
        default=True, description="Reload the segments of the schema's tables after an update."
    )
    force: bool = Field(
        default=False, description="Apply a backward-incompatible change (Pinot's force=true)."
    )


TableType = Literal["OFFLINE", "REALTIME"]


class TableDocument(_Document):
    tableName: PinotName = Field(
        description="Raw table name in Pinot, or that name plus the _OFFLINE or _REALTIME of its type.",
    )
    tableType: TableType = Field(description="OFFLINE or REALTIME.")


class PinotTableSpec(ResourceSpec):
    schemaRef: SchemaRef = Field(description="The PinotSchema (same namespace) the table uses.")
    table: TableDocument = Field(description="The Pinot table config JSON, as accepted by POST /tables.")
    reload: bool = Field(default=False, description="Reload the table's segments after an update.")
    force: bool = Field(default=False, description="Apply a change Pinot would otherwise refuse.")


def _count(field: str) -> str:
    return f"(has(self.{field}) ? self.{field} : 0)"


class TenantDocument(_Strict):
    tenantRole: Literal["SERVER", "BROKER"] = Field(description="SERVER or BROKER.")
    tenantName: TenantName = Field(
        description="Tenant name; instances are tagged <tenantName>_BROKER, _OFFLINE or _REALTIME.",
    )
    numberOfInstances: Int32 = Field(ge=0, description="Instances in the tenant.")
    offlineInstances: Int32 | None = Field(
        default=None, ge=0, description="SERVER only: instances tagged for OFFLINE tables."
    )
    realtimeInstances: Int32 | None = Field(
        default=None, ge=0, description="SERVER only: instances tagged for REALTIME tables."
    )


class PinotTenantSpec(ResourceSpec):
    tenant: TenantDocument = Field(
        description="The Pinot tenant JSON, as accepted by POST /tenants.",
        json_schema_extra=rules(
            rule(
                f"self.tenantRole != 'SERVER' || ("
                f"{_count('numberOfInstances')} >= {_count('offlineInstances')} && "
                f"{_count('numberOfInstances')} >= {_count('realtimeInstances')})",
                "spec.tenant.numberOfInstances must be at least offlineInstances and realtimeInstances "
                "for a SERVER tenant",
                field_path=".numberOfInstances",
            ),
            rule(
                f"self.tenantRole != 'SERVER' || "
                f"{_count('offlineInstances')} + {_count('realtimeInstances')} > 0",
                "spec.tenant.offlineInstances or realtimeInstances must be above 0 for a SERVER tenant, "
                "or Pinot tags no server",
                field_path=".offlineInstances",
            ),
            rule(
                "self.tenantRole != 'BROKER' || (has(self.numberOfInstances) && self.numberOfInstances > 0)",
                "spec.tenant.numberOfInstances must be at least 1 for a BROKER tenant",
                field_path=".numberOfInstances",
            ),
        ),
    )
