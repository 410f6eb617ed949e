"""The PinotCluster spec as the hook reads it.

Field names follow the CRD (camelCase). Kubernetes-native fragments (resources, affinity,
tolerations, env, ...) are passed through as plain JSON: the API server's own schema for the
emitted children is the authority on them. Unknown fields are refused so that a typo that slips
past a drifted CRD is reported instead of silently ignored.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import Annotated, Any, Literal, TypeVar

import orjson
from pydantic import BaseModel, ConfigDict, Field, WrapValidator

from hooks.memo import Memo, json_key

JsonObject = dict[str, Any]
V = TypeVar("V")


class Role(StrEnum):
    CONTROLLER = "controller"
    BROKER = "broker"
    SERVER = "server"
    MINION = "minion"


DEFAULT_ORDER: tuple[Role, ...] = (Role.CONTROLLER, Role.BROKER, Role.SERVER, Role.MINION)


def validated_once(memo: Memo[V], value: Any, validate: Callable[[Any], V]) -> V:
    """`validate(value)` through `memo`: each distinct document of a part of the spec is validated
    once, and the same (read-only) model returned for it. Most syncs repeat the parts of the one
    before. A refused document is not remembered, so its errors are reported every time."""
    try:
        key = json_key(value)
    except orjson.JSONEncodeError:  # too deep to be a key: validate it (and be refused) as it is
        return validate(value)
    found = memo.get(key)
    if found is None:
        found = validate(value)
        memo.put(key, found)
    return found


def _remembered(memo: Memo[Any]) -> WrapValidator:
    """A field validated through `memo` (`validated_once`)."""
    return WrapValidator(lambda value, validate: validated_once(memo, value, validate))


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PinotSettings(_Strict):
    properties: dict[str, str] | None = None
    jvmOpts: str | None = None
    plugins: list[str] | None = None


class Storage(_Strict):
    size: str | None = None
    storageClassName: str | None = None


class ServiceSettings(_Strict):
    type: Literal["ClusterIP", "NodePort", "LoadBalancer"] | None = None
    annotations: dict[str, str] | None = None


class KubernetesSettings(_Strict):
    resources: JsonObject | None = None
    storage: Storage | None = None
    nodeSelector: dict[str, str] | None = None
    tolerations: list[JsonObject] | None = None
    affinity: JsonObject | None = None
    topologySpreadConstraints: list[JsonObject] | None = None
    podLabels: dict[str, str] | None = None
    podAnnotations: dict[str, str] | None = None
    env: list[JsonObject] | None = None
    serviceAccountName: str | None = None
    priorityClassName: str | None = None
    terminationGracePeriodSeconds: int | None = Field(default=None, ge=0)
    service: ServiceSettings | None = None


class Layer(_Strict):
    pinot: PinotSettings = PinotSettings()
    kubernetes: KubernetesSettings = KubernetesSettings()


class Defaults(_Strict):
    common: Layer = Layer()
    controller: Layer = Layer()
    broker: Layer = Layer()
    server: Layer = Layer()
    minion: Layer = Layer()

    def for_role(self, role: Role) -> Layer:
        layer: Layer = getattr(self, role.value)
        return layer


DEFAULTS: Memo[Defaults] = Memo(64)


# A pool's Kubernetes settings apart: an edit of its Pinot settings keeps the same model for them,
# so what follows from them alone (their findings, their layering) is not done again.
KUBERNETES: Memo[KubernetesSettings] = Memo(512)


class Pool(_Strict):
    name: str
    role: Role
    replicas: int = Field(default=1, ge=0)
    image: str | None = None
    pinot: PinotSettings = PinotSettings()
    kubernetes: Annotated[KubernetesSettings, _remembered(KUBERNETES)] = KubernetesSettings()


POOLS: Memo[Pool] = Memo(512)


class ZooKeeper(_Strict):
    address: str = Field(min_length=1)


class SecretRef(_Strict):
    name: str = Field(min_length=1)


class Auth(_Strict):
    secretRef: SecretRef


class Rollout(_Strict):
    progressDeadlineSeconds: int = Field(default=900, ge=30)


class SpecShell(_Strict):
    """The spec but its pools: validated apart (hooks.cluster.validation.parse_spec), as an edit
    of a pool leaves it as it was."""

    image: str = Field(min_length=1)
    imagePullPolicy: str | None = None
    imagePullSecrets: list[SecretRef] | None = None
    clusterName: str | None = None
    zookeeper: ZooKeeper
    deploymentOrder: list[Role] = Field(default_factory=lambda: list(DEFAULT_ORDER))
    paused: bool = False
    auth: Auth | None = None
    rollout: Rollout = Rollout()
    defaults: Annotated[Defaults, _remembered(DEFAULTS)] = Defaults()


SHELLS: Memo[SpecShell] = Memo(64)
# The CRD's maxItems: each pool costs a render.
RememberedPools = Annotated[list[Annotated[Pool, _remembered(POOLS)]], Field(min_length=1, max_length=32)]


class PinotClusterSpec(SpecShell):
    pools: RememberedPools
