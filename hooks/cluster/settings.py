"""Layered settings: `defaults.common`, then `defaults.<role>`, then the pool, into one per pool.

Merge rules (documented in the README):
- string maps (`properties`, `nodeSelector`, `podLabels`, `podAnnotations`,
  `service.annotations`) merge by key, the more specific layer winning;
- our own small objects (`storage`, `service`) merge field by field;
- everything else (scalars, lists such as `env`, `tolerations`, `plugins`, and Kubernetes
  objects such as `resources` and `affinity`) is replaced whole by the most specific layer
  that sets it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from hooks.cluster.spec import (
    KubernetesSettings,
    Layer,
    PinotClusterSpec,
    PinotSettings,
    Pool,
    Role,
)
from hooks.memo import Memo, json_key

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


def _last(values: Sequence[Any]) -> Any:
    chosen = None
    for value in values:
        if value is not None:
            chosen = value
    return chosen


def _merged_map(values: Sequence[dict[str, str] | None]) -> dict[str, str]:
    merged: dict[str, str] = {}
    for value in values:
        if value:
            merged.update(value)
    return dict(sorted(merged.items()))


def merge_pinot(layers: Sequence[PinotSettings]) -> EffectivePinot:
    return EffectivePinot(
        properties=_merged_map([layer.properties for layer in layers]),
        jvm_opts=_last([layer.jvmOpts for layer in layers]),
        plugins=list(_last([layer.plugins for layer in layers]) or []),
    )


def merge_kubernetes(layers: Sequence[KubernetesSettings]) -> EffectiveKubernetes:
    storages = [layer.storage for layer in layers if layer.storage is not None]
    services = [layer.service for layer in layers if layer.service is not None]
    return EffectiveKubernetes(
        resources=_last([layer.resources for layer in layers]),
        storage_size=_last([s.size for s in storages]),
        storage_class=_last([s.storageClassName for s in storages]),
        node_selector=_merged_map([layer.nodeSelector for layer in layers]),
        tolerations=_last([layer.tolerations for layer in layers]),
        affinity=_last([layer.affinity for layer in layers]),
        topology_spread=_last([layer.topologySpreadConstraints for layer in layers]),
        pod_labels=_merged_map([layer.podLabels for layer in layers]),
        pod_annotations=_merged_map([layer.podAnnotations for layer in layers]),
        env=_last([layer.env for layer in layers]),
        service_account=_last([layer.serviceAccountName for layer in layers]),
        priority_class=_last([layer.priorityClassName for layer in layers]),
        grace_seconds=_last([layer.terminationGracePeriodSeconds for layer in layers]),
        service_type=_last([s.type for s in services]),
        service_annotations=_merged_map([s.annotations for s in services]),
    )


def resolve_pool(spec: PinotClusterSpec, pool: Pool, index: int) -> PoolSettings:
    layers: list[Layer] = [spec.defaults.common, spec.defaults.for_role(pool.role)]
    return PoolSettings(
        name=pool.name,
        role=pool.role,
        index=index,
        replicas=pool.replicas,
        image=pool.image or spec.image,
        pinot=merge_pinot([*(layer.pinot for layer in layers), pool.pinot]),
        kubernetes=merge_kubernetes([*(layer.kubernetes for layer in layers), pool.kubernetes]),
    )


def ordered_pools(spec: PinotClusterSpec, raw: Mapping[str, Any] | None = None) -> list[PoolSettings]:
    """Pools in rollout order: by role in `deploymentOrder`, then by position in `spec.pools`.

    Given `raw`, the document `spec` was validated from, each pool's layering is remembered by
    the raw layers it reads (`hooks.memo`): the settings are then shared between calls, read-only.
    """
    rank = {role: position for position, role in enumerate(spec.deploymentOrder)}
    resolved = [_resolved(spec, pool, index, raw) for index, pool in enumerate(spec.pools)]
    return sorted(resolved, key=lambda p: (rank.get(p.role, len(rank)), p.index))


RESOLVED: Memo[PoolSettings] = Memo(512)


def _resolved(spec: PinotClusterSpec, pool: Pool, index: int, raw: Mapping[str, Any] | None) -> PoolSettings:
    if raw is None:
        return resolve_pool(spec, pool, index)
    defaults = raw.get("defaults") or {}
    layers = (defaults.get("common"), defaults.get(pool.role.value), raw["pools"][index])
    key = json_key(index, raw.get("image"), *layers)
    found = RESOLVED.get(key)
    if found is None:
        found = resolve_pool(spec, pool, index)
        RESOLVED.put(key, found)
    return found
