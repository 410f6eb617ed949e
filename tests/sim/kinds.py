"""The resource types the simulator knows: a few built-ins and every CRD in `crds/`.

Metacontroller names types two ways: rules in a CompositeController use `apiVersion` plus the
plural `resource`, while the maps in a hook request are keyed `<Kind>.<apiVersion>` (contract §2
"Sync / finalize request"). This registry translates between the two.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
CRD_DIR = REPO_ROOT / "crds"

JsonObject = dict[str, Any]


@dataclass(frozen=True)
class ResourceType:
    api_version: str
    kind: str
    plural: str
    namespaced: bool = True
    status_subresource: bool = True  # a main-resource write ignores .status
    generation: bool = True  # metadata.generation is tracked (bumped on spec changes)
    schema: JsonObject | None = None  # OpenAPI v3 schema of a custom resource

    @property
    def key(self) -> str:
        """`Kind.version` for the core group, `Kind.group/version` otherwise (contract §2)."""
        return f"{self.kind}.{self.api_version}"


BUILTINS: tuple[ResourceType, ...] = (
    ResourceType("v1", "ConfigMap", "configmaps", status_subresource=False, generation=False),
    ResourceType("v1", "Secret", "secrets", status_subresource=False, generation=False),
    ResourceType("v1", "Service", "services", generation=False),
    ResourceType("v1", "Pod", "pods", generation=False),
    ResourceType("v1", "PersistentVolumeClaim", "persistentvolumeclaims", generation=False),
    ResourceType("v1", "Namespace", "namespaces", namespaced=False, generation=False),
    ResourceType("apps/v1", "StatefulSet", "statefulsets"),
    ResourceType("apps/v1", "ControllerRevision", "controllerrevisions", status_subresource=False),
    ResourceType("batch/v1", "Job", "jobs"),
    ResourceType("policy/v1", "PodDisruptionBudget", "poddisruptionbudgets"),
    ResourceType("networking.k8s.io/v1", "NetworkPolicy", "networkpolicies", status_subresource=False),
)


@functools.cache
def crd_types(directory: Path = CRD_DIR) -> tuple[ResourceType, ...]:
    found = []
    for path in sorted(directory.glob("*.yaml")):
        for doc in yaml.load_all(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader):
            if not isinstance(doc, dict) or doc.get("kind") != "CustomResourceDefinition":
                continue
            spec = doc["spec"]
            for version in spec["versions"]:
                if not version.get("served", True):
                    continue
                found.append(
                    ResourceType(
                        f"{spec['group']}/{version['name']}",
                        spec["names"]["kind"],
                        spec["names"]["plural"],
                        namespaced=spec.get("scope", "Namespaced") == "Namespaced",
                        status_subresource="status" in (version.get("subresources") or {}),
                        schema=version["schema"]["openAPIV3Schema"],
                    )
                )
    return tuple(found)


class Registry:
    def __init__(self, types: Iterable[ResourceType]) -> None:
        self._by_kind: dict[tuple[str, str], ResourceType] = {}
        self._by_resource: dict[tuple[str, str], ResourceType] = {}
        for rtype in types:
            self._by_kind[(rtype.api_version, rtype.kind)] = rtype
            self._by_resource[(rtype.api_version, rtype.plural)] = rtype

    @classmethod
    def default(cls) -> Registry:
        return cls([*BUILTINS, *crd_types()])

    def by_kind(self, api_version: str, kind: str) -> ResourceType:
        try:
            return self._by_kind[(api_version, kind)]
        except KeyError:
            raise KeyError(f"unknown type {kind}.{api_version}") from None

    def by_resource(self, api_version: str, plural: str) -> ResourceType:
        try:
            return self._by_resource[(api_version, plural)]
        except KeyError:
            raise KeyError(f"unknown resource {plural}.{api_version}") from None

    def knows(self, api_version: str, kind: str) -> bool:
        return (api_version, kind) in self._by_kind

    def of(self, obj: JsonObject) -> ResourceType:
        return self.by_kind(str(obj.get("apiVersion")), str(obj.get("kind")))
