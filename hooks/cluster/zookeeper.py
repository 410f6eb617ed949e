"""The children of a managed ZooKeeper ensemble, rendered from the spec alone.

A managed ensemble is one StatefulSet `<cluster>-zookeeper` of the official `zookeeper` image, its
governing headless Service `<cluster>-zookeeper-headless` (per-server DNS names, published before the
servers are ready so that they find each other), a client Service `<cluster>-zookeeper`, a
PodDisruptionBudget and a ConfigMap `<cluster>-zookeeper-config-<hash>` holding `zoo.cfg`, rendered from
`templates/zoo.cfg.j2` like the Pinot configs.

Server ids are stable: the pod of ordinal n is `server.<n+1>` and writes that id into `myid` before it
starts, every time, so the id follows the pod's identity and never its volume's history. Pinot connects
to every server by its per-pod name (`connect_string`), so a stopped server is skipped by the ZooKeeper
client itself. There is no chroot: Pinot (Helix) requires one to exist and never creates it, and a
dedicated ensemble has nothing to keep apart; Helix keeps the cluster under `/<clusterName>`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Any

import jinja2

from hooks import GROUP
from hooks.children import EncodedChild, encoded_child
from hooks.cluster import naming
from hooks.cluster.pinotconf import templates_dir
from hooks.cluster.quantity import canonical_quantity, canonical_resources
from hooks.cluster.spec import ManagedZooKeeper
from hooks.cluster.workload import restricted_container_security, restricted_pod_security
from hooks.hashing import content_hash
from hooks.memo import Memo

JsonObject = dict[str, Any]

ENSEMBLE = "zookeeper"  # the infix of its children's names, and its entry in status.pools
COMPONENT_LABEL = f"{GROUP}/component"
# On the ensemble's StatefulSet: how many servers its zoo.cfg lists. The ensemble is never resized
# (hooks.cluster.ensemble), so this, not spec.replicas nor a scaled StatefulSet, is its size.
SERVERS_ANNOTATION = f"{GROUP}/zookeeper-servers"
# On every pool's StatefulSet of a cluster on a managed ensemble: which ZooKeeper Pinot's data is in.
MODE_ANNOTATION = naming.ZOOKEEPER_MODE_ANNOTATION
MANAGED = naming.ZOOKEEPER_MANAGED

PORTS = {"client": 2181, "quorum": 2888, "election": 3888}
DATA_DIR = "/data"  # the official image's data directory, here on the volume claim
CONFIG_PATH = "/conf/zoo.cfg"  # in the image's ZOOCFGDIR, beside its logback.xml (mounted with subPath)
DEFAULT_STORAGE = "5Gi"
DEFAULT_JVM_OPTS = "-Xms128M -Xmx512M"  # JVMFLAGS comes after zkEnv.sh's -Xmx1000m, so it wins
RUN_AS = 1000  # the image's zookeeper user
GRACE_SECONDS = 60
MIN_READY_SECONDS = 10  # a restarted server has synced once ready; let it settle before the next one
# Kubernetes substitutes `$(NAME)` in commands, so the script avoids `$(`: expr prints the id.
START_SCRIPT = f'expr "${{HOSTNAME##*-}}" + 1 > {DATA_DIR}/myid\nexec zkServer.sh start-foreground\n'
# Ready means serving as leader, follower or standalone: `srvr` answers without a Mode line until
# the server has joined a quorum and synced with its leader.
READINESS_SCRIPT = "exec 3<>/dev/tcp/127.0.0.1/{port} && printf srvr >&3 && grep -q '^Mode: ' <&3"
LIVENESS_SCRIPT = "exec 3<>/dev/tcp/127.0.0.1/{port} && printf ruok >&3 && grep -q imok <&3"
# Fields of a StatefulSet's spec the API server refuses to change once the set exists.
IMMUTABLE_FIELDS = ("selector", "serviceName", "podManagementPolicy", "volumeClaimTemplates")


def statefulset_name(cluster: str) -> str:
    return naming.statefulset_name(cluster, ENSEMBLE)


def headless_service_name(cluster: str) -> str:
    return naming.headless_service_name(cluster, ENSEMBLE)


def client_service_name(cluster: str) -> str:
    return f"{cluster}-{ENSEMBLE}"


def server_host(cluster: str, namespace: str, ordinal: int) -> str:
    return f"{statefulset_name(cluster)}-{ordinal}.{headless_service_name(cluster)}.{namespace}.svc"


def connect_string(cluster: str, namespace: str, servers: int) -> str:
    """What Pinot is given: every server, so that its client moves on from one that is down."""
    return ",".join(f"{server_host(cluster, namespace, n)}:{PORTS['client']}" for n in range(servers))


def selector_labels(cluster: str) -> dict[str, str]:
    return {naming.CLUSTER_LABEL: cluster, COMPONENT_LABEL: ENSEMBLE}


def labels(cluster: str, version: str = "") -> dict[str, str]:
    found = {
        **naming.common_labels(cluster),
        "app.kubernetes.io/name": ENSEMBLE,
        "app.kubernetes.io/component": ENSEMBLE,
        COMPONENT_LABEL: ENSEMBLE,
    }
    if version:
        found["app.kubernetes.io/version"] = version
    return found


@cache
def _template() -> jinja2.Template:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir())),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,  # a Java properties file
        auto_reload=False,
    )
    return environment.get_template("zoo.cfg.j2")


def render_zoo_cfg(cluster: str, namespace: str, servers: int) -> str:
    hosts = [{"id": n + 1, "host": server_host(cluster, namespace, n)} for n in range(servers)]
    return _template().render(cluster=cluster, data_dir=DATA_DIR, ports=PORTS, servers=hosts)


@dataclass(frozen=True)
class EnsembleContext:
    """Everything the ensemble's children follow from, besides its spec."""

    cluster: str
    namespace: str
    servers: int  # as the ensemble was created (SERVERS_ANNOTATION), or spec.replicas at first
    image_pull_policy: str | None
    image_pull_secrets: tuple[str, ...]


@dataclass(frozen=True)
class RenderedEnsemble:
    spec: ManagedZooKeeper
    context: EnsembleContext
    config_name: str
    template_hash: str
    template: JsonObject  # read-only: placed in the StatefulSets built here
    companions: tuple[EncodedChild, ...]  # headless and client Services, PDB, config ConfigMap
    immutable: tuple[tuple[str, Any], ...]
    _statefulsets: dict[int, EncodedChild] = field(default_factory=dict, compare=False, repr=False)

    def statefulset(self, partition: int) -> JsonObject:
        spec: JsonObject = {
            "replicas": self.context.servers,
            **dict(self.immutable),
            "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"partition": partition}},
            "persistentVolumeClaimRetentionPolicy": {"whenDeleted": "Retain", "whenScaled": "Retain"},
            "minReadySeconds": MIN_READY_SECONDS,
            "template": self.template,
        }
        cluster = self.context.cluster
        return {
            "apiVersion": "apps/v1",
            "kind": "StatefulSet",
            "metadata": {
                "name": statefulset_name(cluster),
                "labels": labels(cluster, naming.image_version(self.spec.image)),
                "annotations": {
                    naming.TEMPLATE_HASH_ANNOTATION: self.template_hash,
                    SERVERS_ANNOTATION: str(self.context.servers),
                },
            },
            "spec": spec,
        }

    def encoded_statefulset(self, partition: int) -> EncodedChild:
        found = self._statefulsets.get(partition)
        if found is None:
            found = self._statefulsets[partition] = encoded_child(self.statefulset(partition))
        return found

    def keeps_immutable(self, stored_spec: JsonObject) -> bool:
        return all(stored_spec.get(name) == wanted for name, wanted in self.immutable)


# By the identity of the managed spec (remembered by the spec's validation memo) and the context.
MEMO: Memo[RenderedEnsemble] = Memo(64)


def render_ensemble(spec: ManagedZooKeeper, context: EnsembleContext) -> RenderedEnsemble:
    key = (id(spec), context)
    found = MEMO.get(key)
    if found is None or found.spec is not spec:
        found = _render(spec, context)
        MEMO.put(key, found)
    return found


def _render(spec: ManagedZooKeeper, context: EnsembleContext) -> RenderedEnsemble:
    cluster = context.cluster
    text = render_zoo_cfg(cluster, context.namespace, context.servers)
    config_hash = content_hash(text)
    config_name = naming.config_map_name(cluster, ENSEMBLE, config_hash)
    template = pod_template(spec, context, config_name)
    immutable = {
        "selector": {"matchLabels": selector_labels(cluster)},
        "serviceName": headless_service_name(cluster),
        "podManagementPolicy": "Parallel",  # a quorum forms only when servers start together
        "volumeClaimTemplates": volume_claim_templates(spec),
    }
    companions = (
        encoded_child(headless_service(cluster)),
        encoded_child(client_service(cluster)),
        encoded_child(disruption_budget(cluster)),
        encoded_child(config_map(cluster, config_name, config_hash, text)),
    )
    return RenderedEnsemble(
        spec,
        context,
        config_name,
        content_hash(template),
        template,
        companions,
        tuple(immutable.items()),
    )


def volume_claim_templates(spec: ManagedZooKeeper) -> list[JsonObject]:
    storage = spec.storage
    claim: JsonObject = {
        "accessModes": ["ReadWriteOnce"],
        "resources": {
            "requests": {"storage": canonical_quantity((storage and storage.size) or DEFAULT_STORAGE)}
        },
        "volumeMode": "Filesystem",
    }
    if storage is not None and storage.storageClassName:
        claim["storageClassName"] = storage.storageClassName
    # Exactly as the API server stores a claim template.
    return [
        {
            "apiVersion": "v1",
            "kind": "PersistentVolumeClaim",
            "metadata": {"name": "data"},
            "spec": claim,
            "status": {"phase": "Pending"},
        }
    ]


def _exec_probe(script: str, period: int, failures: int) -> JsonObject:
    return {
        "exec": {"command": ["bash", "-c", script.format(port=PORTS["client"])]},
        "periodSeconds": period,
        "timeoutSeconds": 5,
        "failureThreshold": failures,
        "successThreshold": 1,
    }


def default_affinity(cluster: str) -> JsonObject:
    """Servers preferably on distinct nodes: a node lost costs the ensemble one server."""
    term = {
        "labelSelector": {"matchLabels": selector_labels(cluster)},
        "topologyKey": "kubernetes.io/hostname",
    }
    return {
        "podAntiAffinity": {
            "preferredDuringSchedulingIgnoredDuringExecution": [{"weight": 100, "podAffinityTerm": term}]
        }
    }


def pod_template(spec: ManagedZooKeeper, context: EnsembleContext, config_name: str) -> JsonObject:
    env = [
        {
            "name": "JVMFLAGS",
            "value": (spec.jvmOpts if spec.jvmOpts is not None else DEFAULT_JVM_OPTS).strip(),
        }
    ]
    container: JsonObject = {
        "name": ENSEMBLE,
        "image": spec.image,
        "command": ["bash", "-ec", START_SCRIPT],
        "env": [entry for entry in env if entry["value"]],  # the API server drops value: ""
        "ports": [{"name": name, "containerPort": port, "protocol": "TCP"} for name, port in PORTS.items()],
        "startupProbe": _exec_probe(LIVENESS_SCRIPT, 5, 60),
        "livenessProbe": _exec_probe(LIVENESS_SCRIPT, 10, 6),
        "readinessProbe": _exec_probe(READINESS_SCRIPT, 10, 3),
        "securityContext": restricted_container_security(),
        "volumeMounts": [
            {"name": "data", "mountPath": DATA_DIR},
            {"name": "config", "mountPath": CONFIG_PATH, "subPath": "zoo.cfg", "readOnly": True},
        ],
    }
    if context.image_pull_policy:
        container["imagePullPolicy"] = context.image_pull_policy
    if spec.resources:
        container["resources"] = canonical_resources(spec.resources)
    pod: JsonObject = {
        "affinity": spec.affinity if spec.affinity is not None else default_affinity(context.cluster),
        "automountServiceAccountToken": False,
        "containers": [container],
        "securityContext": restricted_pod_security(RUN_AS),
        "terminationGracePeriodSeconds": GRACE_SECONDS,
        "volumes": [{"name": "config", "configMap": {"name": config_name}}],
    }
    optional: dict[str, Any] = {
        "nodeSelector": spec.nodeSelector,
        "priorityClassName": spec.priorityClassName,
        "tolerations": spec.tolerations,
        "topologySpreadConstraints": spec.topologySpreadConstraints,
    }
    pod.update({key: value for key, value in optional.items() if value})
    if context.image_pull_secrets:
        pod["imagePullSecrets"] = [{"name": name} for name in context.image_pull_secrets]
    metadata: JsonObject = {
        "labels": {**(spec.podLabels or {}), **labels(context.cluster, naming.image_version(spec.image))}
    }
    if spec.podAnnotations:
        metadata["annotations"] = dict(spec.podAnnotations)
    return {"metadata": metadata, "spec": pod}


def _service_ports(names: tuple[str, ...]) -> list[JsonObject]:
    return [{"name": name, "port": PORTS[name], "protocol": "TCP", "targetPort": name} for name in names]


def headless_service(cluster: str) -> JsonObject:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": headless_service_name(cluster), "labels": labels(cluster)},
        "spec": {
            "clusterIP": "None",
            "ports": _service_ports(("client", "quorum", "election")),
            "publishNotReadyAddresses": True,  # servers resolve each other before a quorum exists
            "selector": selector_labels(cluster),
            "type": "ClusterIP",
        },
    }


def client_service(cluster: str) -> JsonObject:
    """For tools that talk to the ensemble (Pinot itself is given every server's own name). The
    servers carry the cluster's label, so while its NetworkPolicy is on only the cluster's own pods
    reach them through this Service, as through any other address."""
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": client_service_name(cluster), "labels": labels(cluster)},
        "spec": {
            "ports": _service_ports(("client",)),
            "selector": selector_labels(cluster),
            "type": "ClusterIP",
        },
    }


def disruption_budget(cluster: str) -> JsonObject:
    return {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": {"name": naming.pdb_name(cluster, ENSEMBLE), "labels": labels(cluster)},
        "spec": {"maxUnavailable": 1, "selector": {"matchLabels": selector_labels(cluster)}},
    }


def config_map(cluster: str, name: str, config_hash: str, text: str) -> JsonObject:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": name,
            "labels": labels(cluster),
            "annotations": {naming.CONFIG_HASH_ANNOTATION: config_hash},
        },
        "data": {"zoo.cfg": text},
    }
