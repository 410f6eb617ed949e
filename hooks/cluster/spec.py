"""The PinotCluster spec as the hook reads it, and as the CRD declares it.

Field names follow the CRD (camelCase). Kubernetes-native fragments (resources, affinity,
tolerations, env, ...) are passed through as plain JSON: the API server's own schema for the
emitted children is the authority on them. Unknown fields are refused so that a typo that slips
past a drifted CRD is reported instead of silently ignored.

`crds/pinotclusters.yaml` is generated from these models (`make crds`; conventions in
`hooks.crds`): a new field needs `Field(description=...)` and its constraints here, and
`json_schema_extra` for what only a CRD can say (CEL `rules(...)`, `defaulted()`), nothing in YAML.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import Annotated, Any, Literal, TypeVar

import orjson
from pydantic import BaseModel, ConfigDict, Field, WrapValidator

from hooks.cluster.peers import Cidr, NetworkPolicyPeer
from hooks.cluster.versions import VERSION_PATTERN
from hooks.crds.extensions import Int32, Int64, defaulted, list_map, pattern, rule, rules
from hooks.memo import Memo, json_key
from hooks.syntax import SECRET_KEY, Annotations, HelixName, Image, Labels, ObjectName, ZooKeeperAddress

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


# A value of one line of a Java properties file: no control characters (a line break would start
# another line, hence another key); hooks.cluster.javaprops refuses the rest Pinot would alter.
PROPERTY_VALUE = pattern(
    r"^[^\x00-\x1f\x7f]*$",
    "must not hold control characters such as a line break: each setting is one line of Pinot's config file",
)
# A Kubernetes quantity (resource.Quantity), with at most a two-digit decimal exponent so that
# reading it never builds a huge integer.
QUANTITY = pattern(
    r"^(\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\+|-)?[0-9]{1,2}))?$",
    "is not a Kubernetes quantity (for example '4Gi', '500m', '2')",
)
DNS_LABEL_PATTERN = pattern(
    r"^[a-z]([-a-z0-9]*[a-z0-9])?$",
    "must be a DNS label (lower-case letters, digits, '-'), starting with a letter",
)
MAX_POOLS = 32

PropertyValue = Annotated[str, Field(max_length=4096, pattern=PROPERTY_VALUE)]
Plugin = Annotated[
    str,
    Field(
        min_length=1,
        max_length=253,
        pattern=pattern(r"^[^, \t\n]+$", "must be a plugin name without ',' or spaces"),
    ),
]
Passthrough = JsonObject  # a Kubernetes object the API server validates in the child


class PinotSettings(_Strict):
    properties: dict[str, PropertyValue] | None = Field(
        default=None,
        max_length=512,
        description=(
            "Entries of the component's Pinot configuration file (key = value). Values hold no control "
            "characters (such as line breaks); the hook also refuses what Pinot would not read back as "
            "written (see the README, Pinot properties)."
        ),
    )
    jvmOpts: str | None = Field(
        default=None,
        max_length=4096,
        pattern=pattern(r"^[^\n]*$", "must be a single line"),
        description="JVM options (JAVA_OPTS) for the component, on one line.",
    )
    plugins: list[Plugin] | None = Field(
        default=None, max_length=64, description="Pinot plugins to load (plugins.include)."
    )


class Storage(_Strict):
    size: str | None = Field(
        default=None,
        max_length=64,
        pattern=QUANTITY,
        description="Requested size, a Kubernetes quantity such as 100Gi.",
    )
    storageClassName: ObjectName | None = Field(
        default=None, description="StorageClass of the volume; the cluster default when unset."
    )


class ServiceSettings(_Strict):
    type: Literal["ClusterIP", "NodePort", "LoadBalancer"] | None = Field(
        default=None, description="Service type."
    )
    annotations: Annotations | None = Field(default=None, description="Service annotations.")


class KubernetesSettings(_Strict):
    resources: Passthrough | None = Field(
        default=None, description="Container resources (core/v1 ResourceRequirements)."
    )
    storage: Storage | None = Field(
        default=None, description="The data volume of each pod (a StatefulSet volumeClaimTemplate)."
    )
    nodeSelector: Labels | None = Field(default=None, description="Pod nodeSelector (label keys and values).")
    tolerations: list[Passthrough] | None = Field(
        default=None, max_length=64, description="Pod tolerations (core/v1 Toleration)."
    )
    affinity: Passthrough | None = Field(default=None, description="Pod affinity (core/v1 Affinity).")
    topologySpreadConstraints: list[Passthrough] | None = Field(
        default=None,
        max_length=16,
        description="Pod topologySpreadConstraints (core/v1 TopologySpreadConstraint).",
    )
    podLabels: Labels | None = Field(default=None, description="Extra pod labels.")
    podAnnotations: Annotations | None = Field(default=None, description="Extra pod annotations.")
    env: list[Passthrough] | None = Field(
        default=None, max_length=128, description="Extra container environment variables (core/v1 EnvVar)."
    )
    serviceAccountName: ObjectName | None = Field(default=None, description="ServiceAccount of the pods.")
    priorityClassName: ObjectName | None = Field(default=None, description="PriorityClass of the pods.")
    terminationGracePeriodSeconds: Int64 | None = Field(
        default=None, ge=0, description="Seconds a pod gets to shut down gracefully."
    )
    service: ServiceSettings | None = Field(default=None, description="The component's client Service.")


PINOT_LAYER = (
    "Pinot settings of this layer. Later layers (role defaults, then the pool) override earlier ones "
    "key by key."
)
KUBERNETES_LAYER = "Kubernetes settings of this layer, applied to the pool's StatefulSet, pods and Service."


class Layer(_Strict):
    pinot: PinotSettings = Field(default=PinotSettings(), description=PINOT_LAYER)
    kubernetes: KubernetesSettings = Field(default=KubernetesSettings(), description=KUBERNETES_LAYER)


class Defaults(_Strict):
    common: Layer = Field(default=Layer(), description="Applied to every pool.")
    controller: Layer = Field(default=Layer(), description="Applied to controller pools.")
    broker: Layer = Field(default=Layer(), description="Applied to broker pools.")
    server: Layer = Field(default=Layer(), description="Applied to server pools.")
    minion: Layer = Field(default=Layer(), description="Applied to minion pools.")

    def for_role(self, role: Role) -> Layer:
        layer: Layer = getattr(self, role.value)
        return layer


DEFAULTS: Memo[Defaults] = Memo(64)


# A pool's Kubernetes settings apart: an edit of its Pinot settings keeps the same model for them,
# so what follows from them alone (their findings, their layering) is not done again.
KUBERNETES: Memo[KubernetesSettings] = Memo(512)


# A Pinot tenant name and an instance tag: no comma (Pinot splits tag lists on it), nothing a URL or a
# Helix list would mangle.
TENANT_PATTERN = pattern(
    r"^[A-Za-z0-9][-A-Za-z0-9_.]*$",
    "must be a Pinot tenant name: letters, digits, '-', '_' and '.', starting with a letter or digit",
)
TAG_PATTERN = pattern(
    r"^[A-Za-z0-9][-A-Za-z0-9_.]*$",
    "must be a Pinot instance tag: letters, digits, '-', '_' and '.', starting with a letter or digit",
)
Tag = Annotated[str, Field(min_length=1, max_length=128, pattern=TAG_PATTERN)]


class Pool(_Strict):
    name: str = Field(
        min_length=1,
        max_length=30,
        pattern=DNS_LABEL_PATTERN,
        description="Pool name, a DNS label; the StatefulSet is named <cluster>-<pool>.",
    )
    role: Role = Field(description="Pinot component the pool runs.")
    replicas: Int32 = Field(default=1, ge=0, description="Number of pods.")
    image: Image | None = Field(
        default=None, description="Container image of this pool; spec.image when unset."
    )
    pinotVersion: str | None = Field(
        default=None,
        max_length=32,
        pattern=pattern(VERSION_PATTERN, "must be a Pinot version such as 1.3.0"),
        description="Pinot version of this pool's image, for a tag that does not say it (requires image).",
    )
    tenant: str | None = Field(
        default=None,
        min_length=1,
        max_length=100,
        pattern=TENANT_PATTERN,
        description=(
            "Pinot tenant the pool's brokers or servers serve: servers are tagged <tenant>_OFFLINE and "
            "<tenant>_REALTIME, brokers <tenant>_BROKER. Unset, Pinot's own tags stay (DefaultTenant "
            "with tenant isolation on) and a PinotTenant may manage the instances."
        ),
    )
    tags: list[Tag] | None = Field(
        default=None,
        max_length=16,
        description=(
            "Further Pinot instance tags of the pool, e.g. <tenant>_REALTIME alone for a pool serving "
            "consuming segments, or a minion pool's <name>_MINION; each must end as its role's tags do."
        ),
    )
    pinot: PinotSettings = Field(default=PinotSettings(), description=PINOT_LAYER)
    kubernetes: Annotated[KubernetesSettings, _remembered(KUBERNETES)] = Field(
        default=KubernetesSettings(), description=KUBERNETES_LAYER
    )


POOLS: Memo[Pool] = Memo(512)


# The official image of the version Pinot 1.3.0's client is built against (and Pinot's own chart
# runs), pinned so that a default never changes under a running ensemble.
DEFAULT_ZOOKEEPER_IMAGE = "zookeeper:3.9.3"
ZOOKEEPER_MAX_REPLICAS = 7


class ManagedZooKeeper(_Strict):
    """A ZooKeeper ensemble the control plane runs for the cluster (hooks.cluster.zookeeper)."""

    replicas: int = Field(
        default=3,
        ge=1,
        le=ZOOKEEPER_MAX_REPLICAS,
        description=(
            "Servers in the ensemble, 1 or an odd number (3 recommended). A running ensemble is not resized."
        ),
        json_schema_extra=rules(
            rule("self % 2 == 1", "spec.zookeeper.managed.replicas must be 1 or an odd number"),
            format="int32",
        ),
    )
    image: Image = Field(
        default=DEFAULT_ZOOKEEPER_IMAGE,
        description=f"The official zookeeper image (default {DEFAULT_ZOOKEEPER_IMAGE}).",
    )
    storage: Storage | None = Field(
        default=None, description="Each server's data volume (default 5Gi). Fixed once created."
    )
    resources: Passthrough | None = Field(
        default=None, description="Container resources of each server (core/v1 ResourceRequirements)."
    )
    jvmOpts: str | None = Field(
        default=None,
        max_length=4096,
        pattern=pattern(r"^[^\n]*$", "must be a single line"),
        description="JVMFLAGS of each server, on one line (default -Xms128M -Xmx512M).",
    )
    nodeSelector: Labels | None = Field(default=None, description="Pod nodeSelector (label keys and values).")
    tolerations: list[Passthrough] | None = Field(
        default=None, max_length=64, description="Pod tolerations (core/v1 Toleration)."
    )
    affinity: Passthrough | None = Field(
        default=None,
        description=(
            "Pod affinity (core/v1 Affinity); replaces the default, which prefers distinct nodes for "
            "the servers."
        ),
    )
    topologySpreadConstraints: list[Passthrough] | None = Field(
        default=None,
        max_length=16,
        description="Pod topologySpreadConstraints (core/v1 TopologySpreadConstraint).",
    )
    priorityClassName: ObjectName | None = Field(default=None, description="PriorityClass of the pods.")
    podLabels: Labels | None = Field(default=None, description="Extra pod labels.")
    podAnnotations: Annotations | None = Field(default=None, description="Extra pod annotations.")


class ZooKeeper(_Strict):
    """Exactly one of `address` (an existing ensemble) and `managed` (hooks.cluster.ensemble)."""

    address: ZooKeeperAddress | None = Field(
        default=None,
        description="Connection string of an existing ensemble, host:port[,host:port...][/chroot].",
    )
    managed: ManagedZooKeeper | None = Field(
        default=None,
        description=(
            "A ZooKeeper ensemble run by the control plane as children of this cluster, created and "
            "upgraded before every pool."
        ),
    )


class SecretRef(_Strict):
    name: ObjectName = Field(description="Name of the Secret in the same namespace.")


class SecretKeyRef(_Strict):
    name: ObjectName = Field(description="Name of the Secret in the same namespace.")
    key: str = Field(min_length=1, max_length=253, pattern=SECRET_KEY, description="Key in the Secret.")


# A principal name: Pinot lists principals comma-separated and keys their settings by name, and
# compares names after relaxing case, '-' and '_' (checked in hooks.cluster.featurechecks).
PRINCIPAL = pattern(
    r"^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$",
    "must be letters, digits, '-' and '_', starting with a letter or digit (at most 63)",
)


class Reader(_Strict):
    username: str = Field(
        max_length=63, pattern=PRINCIPAL, description="The principal's name, as clients log in."
    )
    secretRef: SecretRef = Field(description="Secret whose key `password` holds the principal's password.")


class BasicAuth(_Strict):
    enabled: bool = Field(
        default=False,
        description="Turn Pinot's basic auth on for controllers and brokers (passwords from Secrets, "
        "read by Pinot from the environment).",
    )
    adminUsername: str = Field(
        default="admin",
        max_length=63,
        pattern=PRINCIPAL,
        description="Name of the admin principal: the `username` of the Secret in spec.auth.secretRef, "
        "whose `password` is its password.",
    )
    readers: list[Reader] | None = Field(
        default=None, max_length=16, description="Principals with READ permission on the controller."
    )


class Auth(_Strict):
    secretRef: SecretRef = Field(description="Secret with the keys username and password.")
    basic: BasicAuth | None = Field(default=None, description="Pinot's own basic authentication.")


class DeepStoreFiles(_Strict):
    secretName: ObjectName | None = Field(
        default=None,
        description="Secret mounted read-only at /var/pinot/deepstore/secret (key files, keytabs).",
    )
    configMapName: ObjectName | None = Field(
        default=None,
        description="ConfigMap mounted read-only at /var/pinot/deepstore/config (e.g. Hadoop configuration).",
    )


class DeepStore(_Strict):
    uri: str = Field(
        min_length=1,
        max_length=1024,
        pattern=pattern(
            r"^(s3|gs|abfss|adl2|hdfs|file)://",
            "must start with s3://, gs://, abfss://, adl2://, hdfs:// or file://",
        ),
        description="Where segments live (controller.data.dir): s3://, gs://, abfss://, adl2://, hdfs://, "
        "or file:// on a volume every controller mounts.",
    )
    options: dict[str, Annotated[str, Field(max_length=1024)]] | None = Field(
        default=None,
        max_length=64,
        description="Settings of the filesystem plugin (e.g. region, endpoint), written as "
        "pinot.<role>.storage.factory.<scheme>.<option>.",
    )
    secretOptions: dict[str, SecretKeyRef] | None = Field(
        default=None,
        max_length=16,
        description="Settings of the filesystem plugin read from Secrets (e.g. accessKey, secretKey): "
        "passed as environment variables and read by Pinot as ${env:...}.",
    )
    files: DeepStoreFiles | None = Field(default=None, description="Files the filesystem plugin reads.")
    volume: Passthrough | None = Field(
        default=None,
        description="For file:// only: the shared volume (core/v1 VolumeSource, e.g. a ReadWriteMany "
        "persistentVolumeClaim) mounted at the URI's path on every controller.",
    )


class Metrics(_Strict):
    enabled: bool = Field(default=False, description="Run the image's Prometheus JMX exporter agent.")
    port: Int32 = Field(
        default=8008, ge=1024, le=65535, description="Port of the metrics endpoint (/metrics)."
    )


class ExternalService(_Strict):
    type: Literal["LoadBalancer", "NodePort"] = Field(default="LoadBalancer", description="Service type.")
    annotations: Annotations | None = Field(default=None, description="Service annotations.")
    loadBalancerSourceRanges: list[Cidr] | None = Field(
        default=None,
        max_length=64,
        description="CIDRs allowed through the load balancer (LoadBalancer only); the cluster's "
        "NetworkPolicy admits them to the Service's port (without them, any address).",
    )
    externalTrafficPolicy: Literal["Cluster", "Local"] | None = Field(
        default=None,
        description="Cluster, or Local to keep client source addresses; unset: Local when "
        "loadBalancerSourceRanges are set (the NetworkPolicy must see the clients' addresses).",
    )


class ExternalServices(_Strict):
    controller: ExternalService | None = Field(
        default=None, description="Service <cluster>-controller-external."
    )
    broker: ExternalService | None = Field(default=None, description="Service <cluster>-broker-external.")


class NetworkPolicySettings(_Strict):
    enabled: bool | None = Field(
        default=None,
        description="Render the cluster's NetworkPolicy. Unset: on for a cluster created with the policy, "
        "off for one whose pools existed before it (the policy would cut off every client not listed).",
    )
    brokerClients: list[NetworkPolicyPeer] | None = Field(
        default=None,
        max_length=32,
        description="NetworkPolicyPeers admitted to the broker query port (unset: the namespace's pods).",
    )
    controllerClients: list[NetworkPolicyPeer] | None = Field(
        default=None,
        max_length=32,
        description="NetworkPolicyPeers admitted to the controller port besides the cluster and its Jobs.",
    )
    serverClients: list[NetworkPolicyPeer] | None = Field(
        default=None,
        max_length=32,
        description="NetworkPolicyPeers admitted to the servers' query ports (netty 8098, gRPC) besides the "
        "cluster's own pods; unset: none.",
    )
    metricsClients: list[NetworkPolicyPeer] | None = Field(
        default=None,
        max_length=32,
        description="NetworkPolicyPeers admitted to the metrics port; unset: any source.",
    )


class Rollout(_Strict):
    progressDeadlineSeconds: Int32 = Field(
        default=900,
        ge=30,
        description="Seconds a pool may take to become ready before the cluster is reported Degraded.",
    )


class SpecShell(_Strict):
    """The spec but its pools: validated apart (hooks.cluster.validation.parse_spec), as an edit
    of a pool leaves it as it was."""

    image: Image = Field(description="Pinot container image, e.g. apachepinot/pinot:1.3.0.")
    pinotVersion: str | None = Field(
        default=None,
        max_length=32,
        pattern=pattern(VERSION_PATTERN, "must be a Pinot version such as 1.3.0"),
        description="Pinot version of spec.image, for a tag that does not say it (e.g. 1.3.0).",
    )
    imagePullPolicy: Literal["Always", "IfNotPresent", "Never"] | None = Field(
        default=None, description="Image pull policy of every pod."
    )
    imagePullSecrets: list[Annotated[SecretRef, Field(description="A docker-registry Secret.")]] | None = (
        Field(default=None, max_length=16, description="Secrets used to pull the images.")
    )
    clusterName: HelixName | None = Field(
        default=None,
        description=(
            "Helix cluster name in ZooKeeper; metadata.name when unset. Immutable, including its default."
        ),
    )
    zookeeper: ZooKeeper = Field(
        description=(
            "The ZooKeeper ensemble Pinot keeps its metadata in. Exactly one of address (an existing "
            "ensemble) and managed (one the control plane runs). A cluster whose pools exist cannot "
            "switch between the two."
        ),
        json_schema_extra=rules(
            rule(
                "has(self.address) != has(self.managed)",
                "spec.zookeeper must set exactly one of address (an existing ensemble) and managed (one "
                "the control plane runs)",
            )
        ),
    )
    deploymentOrder: list[Role] = Field(
        default=list(DEFAULT_ORDER),
        max_length=4,
        description="Order in which roles are rolled out; each of the four roles exactly once.",
        json_schema_extra=rules(
            rule(
                "size(self) == 4 && ['controller', 'broker', 'server', 'minion'].all(r, r in self)",
                "spec.deploymentOrder must list each of controller, broker, server and minion exactly once",
            )
        ),
    )
    paused: bool = Field(default=False, description="Stop changing existing children while true.")
    auth: Auth | None = Field(default=None, description="Basic-auth credentials for the Pinot REST API.")
    rollout: Rollout = Field(
        default=Rollout(), description="Rollout settings.", json_schema_extra=defaulted()
    )
    deepStore: DeepStore | None = Field(default=None, description="Where segments are kept (deep store).")
    metrics: Metrics = Field(
        default=Metrics(), description="Prometheus metrics of the Pinot pods.", json_schema_extra=defaulted()
    )
    networkPolicy: NetworkPolicySettings = Field(
        default=NetworkPolicySettings(),
        description="The cluster's NetworkPolicy.",
        json_schema_extra=defaulted(),
    )
    externalServices: ExternalServices | None = Field(
        default=None, description="Services for clients outside the Kubernetes cluster."
    )
    defaults: Annotated[Defaults, _remembered(DEFAULTS)] = Field(
        default=Defaults(),
        description=(
            "Settings layered under every pool: common first, then the pool's role, then the pool itself."
        ),
    )


SHELLS: Memo[SpecShell] = Memo(64)
# The CRD's maxItems: each pool costs a render.
RememberedPools = Annotated[
    list[Annotated[Pool, _remembered(POOLS)]], Field(min_length=1, max_length=MAX_POOLS)
]


class PinotClusterSpec(SpecShell):
    pools: RememberedPools = Field(
        description="Pools of identical Pinot pods, one StatefulSet each.",
        json_schema_extra=list_map(
            "name",
            **rules(
                rule(
                    "self.all(p, self.exists_one(q, q.name == p.name))",
                    "spec.pools[].name must be unique",
                    reason="FieldValueDuplicate",
                ),
                *(
                    rule(
                        f"self.exists(p, p.role == '{role}')",
                        f"spec.pools must include at least one pool with role {role}",
                        reason="FieldValueRequired",
                    )
                    for role in ("controller", "broker", "server")
                ),
                rule(
                    "self.all(p, !has(p.pinotVersion) || has(p.image))",
                    "a pool's pinotVersion describes its own image: set its image too "
                    "(or use spec.pinotVersion)",
                    reason="FieldValueRequired",
                ),
            ),
        ),
    )
