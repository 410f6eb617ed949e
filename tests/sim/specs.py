"""PinotCluster objects for scenarios and properties, and questions about a simulated cluster."""

from __future__ import annotations

import copy
from typing import Any

from hooks import API_VERSION
from hooks.cluster import naming
from tests.sim.apiserver import ObjectKey
from tests.sim.controllers import REVISION_LABEL, pod_ready
from tests.sim.world import Simulation

JsonObject = dict[str, Any]

NAMESPACE = "analytics"
CLUSTER = "pinot"
IMAGE = "apachepinot/pinot:1.2.0"
ZOOKEEPER = "zk-0.zk.zookeeper.svc:2181/pinot"
ROLE_ORDER = ("controller", "broker", "server", "minion")


def pool(name: str, role: str, replicas: int = 1, **extra: Any) -> JsonObject:
    return {"name": name, "role": role, "replicas": replicas, **extra}


STANDARD_POOLS: tuple[JsonObject, ...] = (
    pool("controllers", "controller"),
    pool("brokers", "broker", 2),
    pool("hot", "server", 2),
    pool("cold", "server", 1),
    pool("minions", "minion"),
)


def cluster(
    pools: list[JsonObject] | tuple[JsonObject, ...] = STANDARD_POOLS,
    name: str = CLUSTER,
    image: str = IMAGE,
    **spec: Any,
) -> JsonObject:
    return {
        "apiVersion": API_VERSION,
        "kind": "PinotCluster",
        "metadata": {"name": name, "namespace": NAMESPACE},
        "spec": {
            "image": image,
            "zookeeper": {"address": ZOOKEEPER},
            "pools": copy.deepcopy(list(pools)),
            **spec,
        },
    }


def cluster_key(name: str = CLUSTER) -> ObjectKey:
    return ObjectKey(API_VERSION, "PinotCluster", NAMESPACE, name)


def with_spec(obj: JsonObject, **changes: Any) -> JsonObject:
    changed = copy.deepcopy(obj)
    changed["spec"].update(copy.deepcopy(changes))
    return changed


def edit_pool(obj: JsonObject, pool_name: str, **changes: Any) -> JsonObject:
    changed = copy.deepcopy(obj)
    for entry in changed["spec"]["pools"]:
        if entry["name"] == pool_name:
            entry.update(copy.deepcopy(changes))
    return changed


def rollout_order(obj: JsonObject) -> list[str]:
    """Pool names in rollout order: role by deploymentOrder, then position in spec.pools."""
    order = obj["spec"].get("deploymentOrder") or list(ROLE_ORDER)
    pools = obj["spec"]["pools"]
    return [p["name"] for p in sorted(pools, key=lambda p: (order.index(p["role"]), pools.index(p)))]


# ------------------------------------------------------------------------------- questions


def live(sim: Simulation, name: str = CLUSTER) -> JsonObject:
    found = sim.api.get_key(cluster_key(name))
    assert found is not None, f"PinotCluster {name} does not exist"
    return found


def condition(sim: Simulation, type_: str, name: str = CLUSTER) -> JsonObject | None:
    for entry in (live(sim, name).get("status") or {}).get("conditions") or []:
        if entry.get("type") == type_:
            return dict(entry)
    return None


def is_ready(sim: Simulation, name: str = CLUSTER) -> bool:
    obj = sim.api.get_key(cluster_key(name))
    if obj is None:
        return False
    status = obj.get("status") or {}
    ready = condition(sim, "Ready", name)
    return (
        ready is not None
        and ready["status"] == "True"
        and status.get("observedGeneration") == obj["metadata"]["generation"]
    )


def statefulset(sim: Simulation, pool_name: str, name: str = CLUSTER) -> JsonObject | None:
    return sim.api.get("apps/v1", "StatefulSet", NAMESPACE, naming.statefulset_name(name, pool_name))


def statefulsets(sim: Simulation, name: str = CLUSTER) -> dict[str, JsonObject]:
    out = {}
    for sts in sim.api.list("apps/v1", "StatefulSet", NAMESPACE):
        labels = sts["metadata"].get("labels") or {}
        if labels.get(naming.CLUSTER_LABEL) == name and naming.POOL_LABEL in labels:
            out[labels[naming.POOL_LABEL]] = sts
    return out


def pool_converged(sts: JsonObject) -> bool:
    """As the hook's design defines it, from what Kubernetes reports (and nothing else)."""
    spec, status = sts["spec"], sts.get("status") or {}
    replicas = spec.get("replicas", 1)
    return (
        status.get("observedGeneration", 0) >= sts["metadata"]["generation"]
        and status.get("replicas") == status.get("readyReplicas") == status.get("updatedReplicas") == replicas
        and status.get("currentRevision") == status.get("updateRevision")
    )


def pods(sim: Simulation, pool_name: str, name: str = CLUSTER) -> list[JsonObject]:
    sts = statefulset(sim, pool_name, name)
    if sts is None:
        return []
    return sorted(sim.statefulsets.pods(sts).values(), key=lambda p: p["metadata"]["name"])


def pod_config_map(sim: Simulation, pod: JsonObject) -> str:
    """The config ConfigMap the pod's template revision mounts (what a restart of the pod reads)."""
    sts_name = pod["metadata"]["ownerReferences"][0]["name"]
    revision = sim.api.get(
        "apps/v1", "ControllerRevision", NAMESPACE, pod["metadata"]["labels"][REVISION_LABEL]
    )
    assert revision is not None, f"no ControllerRevision for {pod['metadata']['name']} ({sts_name})"
    volumes = revision["data"]["spec"]["volumes"]
    return str(next(v["configMap"]["name"] for v in volumes if v["name"] == "config"))


def pod_image(pod: JsonObject) -> str:
    return str(pod["spec"]["containers"][0]["image"])


def ready_pods(sim: Simulation, pool_name: str, name: str = CLUSTER) -> int:
    return sum(1 for p in pods(sim, pool_name, name) if pod_ready(p))


def children(sim: Simulation, name: str = CLUSTER) -> list[JsonObject]:
    """Every object the PinotCluster owns (not Pods or ControllerRevisions, which are grandchildren)."""
    uid = live(sim, name)["metadata"]["uid"]
    return [
        obj
        for obj in sim.api.all_objects()
        if any(ref.get("uid") == uid for ref in obj["metadata"].get("ownerReferences") or [])
    ]


def identity(obj: JsonObject) -> str:
    return f"{obj['kind']}/{obj['metadata']['name']}"
