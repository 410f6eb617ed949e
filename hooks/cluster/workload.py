"""The StatefulSet of one pool and its pod template.

Objects are built in the shape the API server stores them, because Metacontroller compares what
we return with what it observes: fields we leave out are defaulted by the server and kept by the
3-way merge, but lists that are replaced whole (volumeClaimTemplates) must be emitted exactly as
stored, quantities must be canonical, and empty strings must be omitted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

from hooks.cluster import naming, pinotauth
from hooks.cluster.features import NONE, NOTHING, Additions, Features, additions
from hooks.cluster.pinotconf import CONFIG_DIR, DATA_DIR, PORTS, config_file_path, server_drain
from hooks.cluster.quantity import canonical_quantity, canonical_resources
from hooks.cluster.settings import EffectiveKubernetes, PoolSettings
from hooks.cluster.spec import Role
from hooks.hashing import content_hash
from hooks.jsonio import Encoded

JsonObject = dict[str, Any]

RUN_AS = 1000
DEFAULT_STORAGE = {Role.CONTROLLER: "1Gi", Role.SERVER: "4Gi", Role.MINION: "1Gi"}
DEFAULT_JVM_OPTS = {
    Role.CONTROLLER: "-Xms256M -Xmx1G -XX:+UseG1GC -XX:MaxGCPauseMillis=200 -XX:ActiveProcessorCount=2",
    Role.BROKER: "-Xms256M -Xmx1G -XX:+UseG1GC -XX:MaxGCPauseMillis=200 -XX:ActiveProcessorCount=2",
    Role.SERVER: "-Xms512M -Xmx1G -XX:+UseG1GC -XX:MaxGCPauseMillis=200",
    Role.MINION: "-Xms256M -Xmx1G -XX:+UseG1GC -XX:MaxGCPauseMillis=200 -XX:ActiveProcessorCount=2",
}
# Grace beyond Pinot's own drain: brokers delay shutdown 10s; servers drain queries first.
DEFAULT_GRACE = {Role.CONTROLLER: 60, Role.BROKER: 60, Role.MINION: 60}
SERVER_GRACE_MARGIN_SECONDS = 30
# Fields of a StatefulSet's spec the API server refuses to change once the set exists.
IMMUTABLE_STATEFULSET_FIELDS = ("selector", "serviceName", "podManagementPolicy", "volumeClaimTemplates")
# Servers wait a little after turning ready before the next pod rolls (apache/pinot#16565).
MIN_READY_SECONDS = {Role.SERVER: 20}


@dataclass(frozen=True)
class ClusterContext:
    name: str  # metadata.name of the PinotCluster: prefix of every child
    namespace: str
    helix_cluster: str
    zookeeper: str
    image_pull_policy: str | None
    image_pull_secrets: list[str]
    # The pools' StatefulSets record it (hooks.cluster.ensemble refuses a switch from what they say).
    zookeeper_managed: bool = False
    features: Features = NONE  # deep store, basic auth, metrics (hooks.cluster.features)


def restricted_pod_security(run_as: int) -> JsonObject:
    """The pod securityContext of the restricted Pod Security Standard, as user and group `run_as`."""
    return {
        "fsGroup": run_as,
        "runAsGroup": run_as,
        "runAsNonRoot": True,
        "runAsUser": run_as,
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def restricted_container_security() -> JsonObject:
    """A container's securityContext of the restricted Pod Security Standard."""
    return {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}, "runAsNonRoot": True}


def container_ports(role: Role) -> list[JsonObject]:
    ports = {
        Role.CONTROLLER: [("http", PORTS["controller"])],
        Role.BROKER: [("http", PORTS["broker"])],
        Role.SERVER: [("netty", PORTS["netty"]), ("admin", PORTS["admin"])],
        Role.MINION: [("http", PORTS["minion"])],
    }[role]
    return [{"name": name, "containerPort": port, "protocol": "TCP"} for name, port in ports]


def _http_probe(path: str, port: int, period: int, failures: int) -> JsonObject:
    return {
        "httpGet": {"path": path, "port": port, "scheme": "HTTP"},
        "periodSeconds": period,
        "timeoutSeconds": 5,
        "failureThreshold": failures,
        "successThreshold": 1,
    }


def probes(role: Role) -> JsonObject:
    """Startup probes instead of long initial delays (a server may load segments for minutes)."""
    if role is Role.SERVER:
        admin = PORTS["admin"]
        return {
            "startupProbe": _http_probe("/health/liveness", admin, 10, 90),
            "livenessProbe": _http_probe("/health/liveness", admin, 10, 6),
            "readinessProbe": _http_probe("/health/readiness", admin, 10, 3),
        }
    port = {Role.CONTROLLER: PORTS["controller"], Role.BROKER: PORTS["broker"], Role.MINION: PORTS["minion"]}[
        role
    ]
    return {
        "startupProbe": _http_probe("/health", port, 10, 60),
        "livenessProbe": _http_probe("/health", port, 10, 6),
        "readinessProbe": _http_probe("/health", port, 10, 3),
    }


def start_args(role: Role, cluster: ClusterContext) -> list[str]:
    command = f"Start{role.value.capitalize()}"
    if role is Role.CONTROLLER:
        return [command, "-configFileName", config_file_path(role)]
    return [
        command,
        "-clusterName",
        cluster.helix_cluster,
        "-zkAddress",
        cluster.zookeeper,
        "-configFileName",
        config_file_path(role),
    ]


def java_opts(pool: PoolSettings, added: Additions = NOTHING) -> str:
    base = pool.pinot.jvm_opts if pool.pinot.jvm_opts is not None else DEFAULT_JVM_OPTS[pool.role]
    parts = [
        base.strip(),
        f"-Dlog4j2.configurationFile=/opt/pinot/etc/conf/pinot-{pool.role.value}-log4j2.xml",
        "-Dplugins.dir=/opt/pinot/plugins",
        *added.java_flags,
    ]
    if pool.pinot.plugins:
        # A pool that restricts its plugins still loads the deep store's filesystem. Pinot's
        # PluginManager splits plugins.include on ';'.
        wanted = [*pool.pinot.plugins, *(p for p in added.plugins if p not in pool.pinot.plugins)]
        parts.append("-Dplugins.include=" + ";".join(wanted))
    return " ".join(part for part in parts if part)


def grace_seconds(pool: PoolSettings, properties: dict[str, str]) -> int:
    if pool.kubernetes.grace_seconds is not None:
        return pool.kubernetes.grace_seconds
    if pool.role is Role.SERVER:
        drain_ms = int(server_drain(properties)[1])
        return -(-drain_ms // 1000) + SERVER_GRACE_MARGIN_SECONDS
    return DEFAULT_GRACE[pool.role]


def storage_size(pool: PoolSettings) -> str | None:
    if pool.role is Role.BROKER:
        return None  # brokers keep no data
    return canonical_quantity(pool.kubernetes.storage_size or DEFAULT_STORAGE[pool.role])


def volume_claim_templates(pool: PoolSettings) -> list[JsonObject]:
    size = storage_size(pool)
    if size is None:
        return []
    spec: JsonObject = {
        "accessModes": ["ReadWriteOnce"],
        "resources": {"requests": {"storage": size}},
        "volumeMode": "Filesystem",
    }
    if pool.kubernetes.storage_class:
        spec["storageClassName"] = pool.kubernetes.storage_class
    # Exactly as the API server stores a claim template: it adds apiVersion, kind and status.
    return [
        {
            "apiVersion": "v1",
            "kind": "PersistentVolumeClaim",
            "metadata": {"name": "data"},
            "spec": spec,
            "status": {"phase": "Pending"},
        }
    ]


class PodInputs(NamedTuple):
    """Everything a pool's pod template is built from but the name of its config map: the
    template's functions read nothing else, so equal inputs build equal templates."""

    pool: str
    role: Role
    image: str
    java_opts: str
    grace_seconds: int
    storage_size: str | None
    kubernetes: EffectiveKubernetes
    cluster: ClusterContext


def pod_inputs(pool: PoolSettings, cluster: ClusterContext) -> PodInputs:
    return PodInputs(
        pool.name,
        pool.role,
        pool.image,
        java_opts(pool, additions(pool.role, cluster.features)),
        grace_seconds(pool, pool.pinot.properties),
        storage_size(pool),
        pool.kubernetes,
        cluster,
    )


def pod_template(inputs: PodInputs, config_map: str) -> JsonObject:
    metadata, spec = pod_template_parts(inputs)
    added = additions(inputs.role, inputs.cluster.features)
    return {"metadata": metadata, "spec": {**spec, "volumes": pod_volumes(config_map, added.volumes)}}


def pod_volumes(config_map: str, extra: tuple[JsonObject, ...] = ()) -> list[JsonObject]:
    """The pod spec's volumes: the only part of a pod template that names the config map."""
    volumes = [{"name": "config", "configMap": {"name": config_map}}, {"name": "logs", "emptyDir": {}}]
    return [*volumes, *(dict(volume) for volume in extra)]


def pod_template_parts(inputs: PodInputs) -> tuple[JsonObject, JsonObject]:
    """The pod template's metadata, and its spec without `volumes`."""
    kube, role, cluster = inputs.kubernetes, inputs.role, inputs.cluster
    added = additions(role, cluster.features)
    mounts = [{"name": "config", "mountPath": CONFIG_DIR[role], "readOnly": True}]
    mounts.append({"name": "logs", "mountPath": "/opt/pinot/logs"})
    if inputs.storage_size is not None:
        mounts.append({"name": "data", "mountPath": DATA_DIR[role]})
    mounts += [dict(mount) for mount in added.mounts]
    env: list[JsonObject] = [{"name": "JAVA_OPTS", "value": inputs.java_opts}]
    env += [dict(entry) for entry in added.env]
    for entry in kube.env or []:
        # The API server drops `value: ""`; emitting it would differ from the stored object forever.
        env.append({k: v for k, v in entry.items() if not (k == "value" and v == "")})
    container: JsonObject = {
        "name": role.value,
        "image": inputs.image,
        "args": start_args(role, cluster),
        "env": env,
        "ports": [*container_ports(role), *(dict(port) for port in added.ports)],
        **probes(role),
        "securityContext": restricted_container_security(),
        "volumeMounts": mounts,
    }
    if cluster.image_pull_policy:
        container["imagePullPolicy"] = cluster.image_pull_policy
    if kube.resources:
        container["resources"] = canonical_resources(kube.resources)
    spec: JsonObject = {
        "automountServiceAccountToken": False,
        "containers": [container],
        "securityContext": restricted_pod_security(RUN_AS),
        "terminationGracePeriodSeconds": inputs.grace_seconds,
    }
    optional: dict[str, Any] = {
        "affinity": kube.affinity,
        "nodeSelector": kube.node_selector or None,
        "priorityClassName": kube.priority_class,
        "serviceAccountName": kube.service_account,
        "tolerations": kube.tolerations,
        "topologySpreadConstraints": spread_constraints(kube.topology_spread, cluster.name, inputs.pool),
    }
    spec.update({key: value for key, value in optional.items() if value})
    if added.auth is not None:
        spec["initContainers"] = pinotauth.init_containers(
            role, added.auth, inputs.image, restricted_container_security()
        )
        if cluster.image_pull_policy:
            spec["initContainers"][0]["imagePullPolicy"] = cluster.image_pull_policy
    if cluster.image_pull_secrets:
        spec["imagePullSecrets"] = [{"name": name} for name in cluster.image_pull_secrets]
    labels = naming.pool_labels(cluster.name, inputs.pool, role, naming.image_version(inputs.image))
    metadata: JsonObject = {"labels": {**kube.pod_labels, **labels}}
    annotations = {**dict(added.annotations), **kube.pod_annotations}
    if annotations:
        metadata["annotations"] = dict(sorted(annotations.items()))
    return metadata, spec


def spread_constraints(
    constraints: list[JsonObject] | None, cluster: str, pool: str
) -> list[JsonObject] | None:
    """The pool's topologySpreadConstraints. One without a labelSelector would match no pod (the
    API server warns as much) and so spread nothing: it spreads the pool's own pods instead."""
    if not constraints:
        return constraints
    selector = {"matchLabels": naming.selector_labels(cluster, pool)}
    return [
        c if c.get("labelSelector") is not None else {**c, "labelSelector": selector} for c in constraints
    ]


def immutable_spec(pool: PoolSettings, cluster: ClusterContext) -> JsonObject:
    """The pool's StatefulSet spec fields of IMMUTABLE_STATEFULSET_FIELDS, those it sets."""
    spec: JsonObject = {
        "serviceName": naming.headless_service_name(cluster.name, pool.name),
        "podManagementPolicy": "Parallel",
        "selector": {"matchLabels": naming.selector_labels(cluster.name, pool.name)},
    }
    claim_templates = volume_claim_templates(pool)
    if claim_templates:
        spec["volumeClaimTemplates"] = claim_templates
    return spec


def statefulset(
    pool: PoolSettings,
    cluster: ClusterContext,
    partition: int,
    template: Encoded,
    template_digest: str,
) -> JsonObject:
    """`template` is `pod_template(...)` for the pool, encoded, and `template_digest` its
    `template_hash`: built once per distinct pool (`hooks.cluster.rendering`)."""
    labels = naming.pool_labels(cluster.name, pool.name, pool.role, naming.image_version(pool.image))
    spec: JsonObject = {
        "replicas": pool.replicas,
        **immutable_spec(pool, cluster),
        "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"partition": partition}},
        "persistentVolumeClaimRetentionPolicy": {"whenDeleted": "Retain", "whenScaled": "Retain"},
        "template": template,
    }
    if MIN_READY_SECONDS.get(pool.role):
        spec["minReadySeconds"] = MIN_READY_SECONDS[pool.role]
    annotations = {naming.TEMPLATE_HASH_ANNOTATION: template_digest}
    if cluster.zookeeper_managed:
        annotations[naming.ZOOKEEPER_MODE_ANNOTATION] = naming.ZOOKEEPER_MANAGED
    if pool.version:
        annotations[naming.PINOT_VERSION_ANNOTATION] = pool.version
    return {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {
            "name": naming.statefulset_name(cluster.name, pool.name),
            "labels": labels,
            "annotations": annotations,
        },
        "spec": spec,
    }


def template_hash(template: JsonObject) -> str:
    return content_hash(template)
