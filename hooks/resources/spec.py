"""The specs of PinotSchema, PinotTable and PinotTenant, as their CRDs declare them.

`crds/pinotschemas.yaml`, `pinottables.yaml` and `pinottenants.yaml` are generated from these
models (`make crds`; conventions in `hooks.crds`). The Pinot documents are passed to Pinot as they
are (unknown fields kept); only what the control plane reads from them is declared.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from hooks.crds.extensions import Int32, rule, rules

DeletionPolicy = Literal["Retain", "Delete"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class _Document(BaseModel):
    """A Pinot JSON document: declared fields are checked, the rest goes to Pinot untouched."""

    model_config = ConfigDict(extra="allow", frozen=True, strict=True)


class ClusterRef(_Strict):
    name: str = Field(min_length=1, max_length=253, description="Name of the PinotCluster.")


class SchemaRef(_Strict):
    name: str = Field(min_length=1, max_length=253, description="Name of the PinotSchema.")


class _ResourceSpec(_Strict):
    clusterRef: ClusterRef = Field(description="The PinotCluster (same namespace) this object belongs to.")
    deletionPolicy: DeletionPolicy = Field(
        default="Retain",
        description=(
            "What happens in Pinot when this resource is deleted: Retain keeps the Pinot object, "
            "Delete removes it."
        ),
    )


class SchemaDocument(_Document):
    schemaName: str | None = Field(default=None, max_length=512, description="Name of the schema in Pinot.")


class PinotSchemaSpec(_ResourceSpec):
    schema_: SchemaDocument = Field(
        alias="schema",
        description="The Pinot schema JSON, as accepted by POST /schemas.",
        json_schema_extra=rules(
            rule(
                "has(self.schemaName) && size(self.schemaName) > 0",
                "spec.schema.schemaName must be a non-empty string",
                reason="FieldValueRequired",
                field_path=".schemaName",
            )
        ),
    )
    reload: bool = Field(
        default=True, description="Reload the segments of the schema's tables after an update."
    )
    force: bool = Field(
        default=False, description="Apply a backward-incompatible change (Pinot's force=true)."
    )


class TableDocument(_Document):
    tableName: str | None = Field(default=None, max_length=512, description="Raw table name in Pinot.")
    tableType: str | None = Field(default=None, max_length=16, description="OFFLINE or REALTIME.")


class PinotTableSpec(_ResourceSpec):
    schemaRef: SchemaRef = Field(description="The PinotSchema (same namespace) the table uses.")
    table: TableDocument = Field(
        description="The Pinot table config JSON, as accepted by POST /tables.",
        json_schema_extra=rules(
            rule(
                "has(self.tableName) && size(self.tableName) > 0",
                "spec.table.tableName must be a non-empty string",
                reason="FieldValueRequired",
                field_path=".tableName",
            ),
            rule(
                "has(self.tableType) && self.tableType in ['OFFLINE', 'REALTIME']",
                "spec.table.tableType must be OFFLINE or REALTIME",
                field_path=".tableType",
            ),
        ),
    )
    reload: bool = Field(default=False, description="Reload the table's segments after an update.")
    force: bool = Field(default=False, description="Apply a change Pinot would otherwise refuse.")


def _count(field: str) -> str:
    return f"(has(self.{field}) ? self.{field} : 0)"


class TenantDocument(_Strict):
    tenantRole: Literal["SERVER", "BROKER"] = Field(description="SERVER or BROKER.")
    tenantName: str = Field(
        min_length=1,
        max_length=256,
        description="Tenant name; instances are tagged <tenantName>_BROKER, _OFFLINE or _REALTIME.",
    )
    numberOfInstances: Int32 = Field(ge=0, description="Instances in the tenant.")
    offlineInstances: Int32 | None = Field(
        default=None, ge=0, description="SERVER only: instances tagged for OFFLINE tables."
    )
    realtimeInstances: Int32 | None = Field(
        default=None, ge=0, description="SERVER only: instances tagged for REALTIME tables."
    )


class PinotTenantSpec(_ResourceSpec):
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
