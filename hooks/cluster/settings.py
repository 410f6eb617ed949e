"""Layered settings: `defaults.common`, then `defaults.<role>`, then the pool, into one per pool.

Merge rules (documented in the README):
- string maps (`properties`, `nodeSelector`, `podLabels`, `podAnnotations`,
  `service.annotations`) merge by key, the more specific layer winning; `properties` merge by the
  key as Pinot reads it (case, `-` and `_` ignored), the more specific layer's spelling winning;
- our own small objects (`storage`, `service`) merge field by field;
- everything else (scalars, lists such as `env`, `tolerations`, `plugins`, and Kubernetes
  objects such as `resources` and `affinity`) is replaced whole by the most specific layer
  that sets it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from hooks.cluster.javaprops import merge_relaxed
from hooks.cluster.spec import (
    KubernetesSettings,
    Layer,
    PinotClusterSpec,
    PinotSettings,
    Pool,
    Role,
)
from hooks.cluster.versions import pool_version
from hooks.membership.tags import startup_properties
from hooks.memo import Memo

JsonObject = dict[str, Any]


@dataclass(frozen=True)
class EffectiveKubernetes:
    resources: JsonObject | None = None
    storage_size: str | None = None
    storage_class: str | None = None
    node_selector: dict[str, str] = field(default_factory=dict)
    tolerations: list[JsonObject] | None = None
    affinity: JsonObject | None = None
    topology_spread: list[JsonObject] | None = None
    pod_labels: dict[str, str] = field(default_factory=dict)
    pod_annotations: dict[str, str] = field(default_factory=dict)
    env: list[JsonObject] | None = None
    service_account: str | None = None
    priority_class: str | None = None
    grace_seconds: int | None = None
    service_type: str | None = None
    service_annotations: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class EffectivePinot:
    properties: dict[str, str] = field(default_factory=dict)
    jvm_opts: str | None = None
    plugins: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class PoolSettings:
    """Everything needed to render one pool, after layering."""

    name: str
    role: Role
    index: int  # position in spec.pools, for field paths in messages
    replicas: int
    image: str
    pinot: EffectivePinot
    kubernetes: EffectiveKubernetes
    version: str = ""  # the Pinot version of `image` (hooks.cluster.versions.pool_version), "" if unknown


# KubernetesSettings fields replaced whole by the most specific layer that sets them, and the
# EffectiveKubernetes field each becomes; string maps merge by key; storage and service field by field.
_REPLACED = {
    "resources": "resources",
    "tolerations": "tolerations",
    "affinity": "affinity",
    "topologySpreadConstraints": "topology_spread",
    "env": "env",
    "serviceAccountName": "service_account",
    "priorityClassName": "priority_class",
    "terminationGracePeriodSeconds": "grace_seconds",
}
_MAPS = {"nodeSelector": "node_selector", "podLabels": "pod_labels", "podAnnotations": "pod_annotations"}
_STORAGE = {"size": "storage_size", "storageClassName": "storage_class"}


def merge_pinot(layers: Sequence[PinotSettings]) -> EffectivePinot:
    jvm_opts: str | None = None
    plugins: list[str] | None = None
    for layer in layers:
        if layer.jvmOpts is not None:
            jvm_opts = layer.jvmOpts
        if layer.plugins is not None:
            plugins = layer.plugins
    properties = merge_relaxed(layer.properties for layer in layers if layer.properties)
    return EffectivePinot(properties, jvm_opts, list(plugins or []))


def merge_kubernetes(layers: Sequence[KubernetesSettings]) -> EffectiveKubernetes:
    # Only the fields a layer sets are read: most layers set few of the many there are.
    chosen: dict[str, Any] = {}
    maps: dict[str, dict[str, str]] = {name: {} for name in (*_MAPS.values(), "service_annotations")}
    for layer in layers:
        for name in layer.model_fields_set:
            value = getattr(layer, name)
            if value is None:
                continue
            if name in _REPLACED:
                chosen[_REPLACED[name]] = value
            elif name in _MAPS:
                maps[_MAPS[name]].update(value)
            elif name == "storage":
                for part in value.model_fields_set:
                    if getattr(value, part) is not None:
                        chosen[_STORAGE[part]] = getattr(value, part)
            elif name == "service":
                if value.type is not None:
                    chosen["service_type"] = value.type
                if value.annotations:
                    maps["service_annotations"].update(value.annotations)
    for name, merged in maps.items():
        chosen[name] = dict(sorted(merged.items()))
    return EffectiveKubernetes(**chosen)


def resolve_pool(spec: PinotClusterSpec, pool: Pool, index: int) -> PoolSettings:
    layers: list[Layer] = [spec.defaults.common, spec.defaults.for_role(pool.role)]
    image = pool.image or spec.image
    stated = pool.pinotVersion if pool.image else spec.pinotVersion
    return PoolSettings(
        name=pool.name,
        role=pool.role,
        index=index,
        replicas=pool.replicas,
        image=image,
        pinot=merge_pinot([*startup_properties(pool), *(layer.pinot for layer in layers), pool.pinot]),
        kubernetes=_merged_kubernetes((*(layer.kubernetes for layer in layers), pool.kubernetes)),
        version=pool_version(image, stated),
    )


# Merged Kubernetes settings by the identity of the layers' models (see RESOLVED): a pool whose
# Pinot settings changed keeps them. The entry keeps the models alive.
MERGED_KUBERNETES: Memo[tuple[tuple[KubernetesSettings, ...], EffectiveKubernetes]] = Memo(512)


def _merged_kubernetes(layers: tuple[KubernetesSettings, ...]) -> EffectiveKubernetes:
    key = tuple(map(id, layers))
    found = MERGED_KUBERNETES.get(key)
    if found is None or any(kept is not layer for kept, layer in zip(found[0], layers, strict=True)):
        found = (layers, merge_kubernetes(layers))
        MERGED_KUBERNETES.put(key, found)
    return found[1]


def ordered_pools(spec: PinotClusterSpec) -> list[PoolSettings]:
    """Pools in rollout order: by role in `deploymentOrder`, then by position in `spec.pools`.

    Each pool's layering is remembered (`hooks.memo`), so settings are shared between calls,
    read-only.
    """
    rank = {role: position for position, role in enumerate(spec.deploymentOrder)}
    resolved = [_resolved(spec, pool, index) for index, pool in enumerate(spec.pools)]
    return sorted(resolved, key=lambda p: (rank.get(p.role, len(rank)), p.index))


# Layered settings by the identity of the layers: the spec's models come from the validation
# memos of hooks.cluster.spec, so the same layer document is the very same model. An entry
# keeps its layers alive, so their ids cannot be taken by others while it is there.
RESOLVED: Memo[tuple[Layer, Layer, Pool, PoolSettings]] = Memo(512)


def _resolved(spec: PinotClusterSpec, pool: Pool, index: int) -> PoolSettings:
    common, role = spec.defaults.common, spec.defaults.for_role(pool.role)
    key = (index, spec.image, spec.pinotVersion, id(common), id(role), id(pool))
    found = RESOLVED.get(key)
    if found is None or found[0] is not common or found[1] is not role or found[2] is not pool:
        found = (common, role, pool, resolve_pool(spec, pool, index))
        RESOLVED.put(key, found)
    return found[3]
