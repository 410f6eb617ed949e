"""The four CustomResourceDefinitions: names, printer columns and whole-object rules around the
schemas the spec and status models generate."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from hooks import GROUP, VERSION
from hooks.cluster.spec import PinotClusterSpec
from hooks.crds.extensions import rule
from hooks.crds.openapi import structural_schema
from hooks.crds.status import ClusterStatus, ResourceStatus
from hooks.resources.spec import PinotSchemaSpec, PinotTableSpec, PinotTenantSpec

JsonObject = dict[str, Any]
CATEGORY = "pinot"
LABELS = {"app.kubernetes.io/name": "pinot-control-plane", "app.kubernetes.io/part-of": "pinot-control-plane"}


@dataclass(frozen=True)
class Column:
    """An `additionalPrinterColumns` entry; `priority` 1 shows only with `-o wide`."""

    name: str
    json_path: str
    type: str = "string"
    priority: int = 0
    description: str = ""

    def to_json(self) -> JsonObject:
        column: JsonObject = {"name": self.name, "type": self.type}
        if self.description:
            column["description"] = self.description
        column["jsonPath"] = self.json_path
        if self.priority:
            column["priority"] = self.priority
        return column


READY = Column("Ready", '.status.conditions[?(@.type=="Ready")].status', description="The Ready condition.")
REASON = Column(
    "Reason", '.status.conditions[?(@.type=="Ready")].reason', description="Why it is (not) ready."
)
AGE = Column("Age", ".metadata.creationTimestamp", type="date")
PINOT_NAME = Column("Pinot Name", ".status.pinotName", description="The object's name in Pinot.")
CLUSTER_REF = Column("Cluster", ".spec.clusterRef.name", description="The PinotCluster it belongs to.")


@dataclass(frozen=True)
class CustomResource:
    kind: str
    plural: str
    short_name: str
    summary: str  # the file's first line: what one object is
    description: str
    spec: type[BaseModel]
    spec_description: str
    status: type[BaseModel]
    status_description: str
    columns: tuple[Column, ...]
    rules: tuple[JsonObject, ...] = ()

    @property
    def name(self) -> str:
        return f"{self.plural}.{GROUP}"

    def schema(self) -> JsonObject:
        spec = {"description": self.spec_description, **structural_schema(self.spec)}
        status = {"description": self.status_description, **structural_schema(self.status)}
        schema: JsonObject = {
            "description": self.description,
            "type": "object",
            "required": ["spec"],
            "properties": {
                "apiVersion": {
                    "description": "APIVersion of this representation of the object.",
                    "type": "string",
                },
                "kind": {"description": "Kind of this object.", "type": "string"},
                "metadata": {"type": "object"},
                "spec": spec,
                "status": status,
            },
        }
        if self.rules:
            schema["x-kubernetes-validations"] = list(self.rules)
        return schema

    def document(self) -> JsonObject:
        return {
            "apiVersion": "apiextensions.k8s.io/v1",
            "kind": "CustomResourceDefinition",
            "metadata": {"name": self.name, "labels": dict(LABELS)},
            "spec": {
                "group": GROUP,
                "scope": "Namespaced",
                "names": {
                    "kind": self.kind,
                    "listKind": f"{self.kind}List",
                    "plural": self.plural,
                    "singular": self.kind.lower(),
                    "shortNames": [self.short_name],
                    "categories": [CATEGORY],
                },
                "versions": [
                    {
                        "name": VERSION,
                        "served": True,
                        "storage": True,
                        "subresources": {"status": {}},
                        "additionalPrinterColumns": [column.to_json() for column in self.columns],
                        "schema": {"openAPIV3Schema": self.schema()},
                    }
                ],
            },
        }


_CLUSTER_NAME = r"^[a-z]([-a-z0-9]*[a-z0-9])?$"
CLUSTER = CustomResource(
    kind="PinotCluster",
    plural="pinotclusters",
    short_name="pinotc",
    summary="PinotCluster: an Apache Pinot cluster, as pools of StatefulSets.",
    description="PinotCluster runs an Apache Pinot cluster as pools of StatefulSets.",
    spec=PinotClusterSpec,
    spec_description="Desired state of the Pinot cluster.",
    status=ClusterStatus,
    status_description="Observed state, written by the control plane.",
    columns=(
        Column("Pools", ".status.poolsReady", description="Pools ready of all pools."),
        Column(
            "Version",
            ".status.pinotVersion",
            description="Pinot version the cluster runs; from -> to while it moves.",
        ),
        READY,
        REASON,
        AGE,
        Column("Image", ".spec.image", priority=1, description="The Pinot image of every pool."),
    ),
    rules=(
        rule(
            "size(self.metadata.name) <= 40",
            "metadata.name must be at most 40 characters: children are named <cluster>-<pool>",
        ),
        rule(
            f"self.metadata.name.matches('{_CLUSTER_NAME}')",
            "metadata.name must be a DNS label starting with a letter: it prefixes Service names",
        ),
        rule(
            "self.spec.pools.all(p, size(self.metadata.name) + size(p.name) <= 50)",
            "metadata.name plus spec.pools[].name must be at most 50 characters so that "
            "<cluster>-<pool>-headless and pod names fit in 63",
            field_path=".spec.pools",
        ),
        rule(
            "(has(self.spec.clusterName) ? self.spec.clusterName : self.metadata.name) == "
            "(has(oldSelf.spec.clusterName) ? oldSelf.spec.clusterName : oldSelf.metadata.name)",
            "spec.clusterName is immutable (it defaults to metadata.name): Pinot keeps the cluster under "
            "this name in ZooKeeper",
            reason="FieldValueForbidden",
            field_path=".spec.clusterName",
        ),
    ),
)


def _pinot_object(
    kind: str,
    plural: str,
    short_name: str,
    what: str,
    spec: type[BaseModel],
    description: str,
    *columns: Column,
) -> CustomResource:
    return CustomResource(
        kind=kind,
        plural=plural,
        short_name=short_name,
        summary=f"{kind}: a {what} in a PinotCluster.",
        description=description,
        spec=spec,
        spec_description=f"Desired {what}.",
        status=ResourceStatus,
        status_description=f"Observed state of the {what}.",
        columns=(PINOT_NAME, *columns, CLUSTER_REF, READY, REASON, AGE),
    )


SCHEMA = _pinot_object(
    "PinotSchema",
    "pinotschemas",
    "pschema",
    "Pinot schema",
    PinotSchemaSpec,
    "PinotSchema keeps a Pinot schema in a PinotCluster in line with spec.schema.",
)
TABLE = _pinot_object(
    "PinotTable",
    "pinottables",
    "ptable",
    "Pinot table",
    PinotTableSpec,
    "PinotTable keeps a Pinot table config in a PinotCluster in line with spec.table.",
    Column("Type", ".spec.table.tableType", description="OFFLINE or REALTIME."),
)
TENANT = _pinot_object(
    "PinotTenant",
    "pinottenants",
    "ptenant",
    "Pinot tenant",
    PinotTenantSpec,
    "PinotTenant keeps a Pinot tenant (a set of tagged instances) in a PinotCluster in line with "
    "spec.tenant.",
    Column("Role", ".spec.tenant.tenantRole", description="SERVER or BROKER."),
)
RESOURCES = (CLUSTER, SCHEMA, TABLE, TENANT)
