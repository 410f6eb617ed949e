"""Benchmark requests, shaped exactly as Metacontroller sends them (contract §2).

Each workload is a steady state reached by running the hook itself: its children are stored as
Kubernetes stores them (server-set metadata, defaulted fields, Metacontroller's last-applied
annotation, ready StatefulSets) and the parent carries the status of the previous answer. Such a
request is what a periodic resync sends.

A workload also has two varied forms: "change", the same request with one spec value replaced by a
marker (`VARY_MARKER`), and "child", with one child's resourceVersion replaced by it (every write of
a child gives it a new one). The load generator substitutes a fresh number for the marker on every
request, so no two requests of a run are equal and no answer can be reused between them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from hooks import jsonio
from hooks.app import Route, default_routes
from hooks.render import completed_job_status

JsonObject = dict[str, Any]

VARY_MARKER = "BENCH-VARY-7f3a"
VARIED_KINDS = ("change", "child")
CLUSTER_API = "pinot.controlplane.dev/v1alpha1"
NAMESPACE = "analytics"
SETTLED_AT = datetime(2026, 11, 25, 12, 0, 0, tzinfo=UTC)
MAX_ROUNDS = 60
LAST_APPLIED = "metacontroller.k8s.io/last-applied-configuration"


@dataclass(frozen=True)
class Workload:
    """One request size: the resync request and the template of its change requests."""

    name: str
    title: str
    path: str
    body: JsonObject
    change_template: bytes  # the body as JSON, with VARY_MARKER in place of one spec value
    child_template: bytes  # the body as JSON, with VARY_MARKER as one child's resourceVersion

    def resync_bytes(self) -> bytes:
        return jsonio.dumps(self.body)

    def template(self, kind: str) -> bytes:
        """The template of a varied kind (VARIED_KINDS)."""
        return {"change": self.change_template, "child": self.child_template}[kind]

    def varied_bytes(self, kind: str, sequence: int) -> bytes:
        """The request number `sequence` of a varied kind (what the load generator sends)."""
        return self.template(kind).replace(VARY_MARKER.encode(), str(sequence).encode(), 1)

    def change_bytes(self, sequence: int) -> bytes:
        return self.varied_bytes("change", sequence)


def controller_object(resource: str) -> JsonObject:
    return {
        "apiVersion": "metacontroller.k8s.io/v1alpha1",
        "kind": "CompositeController",
        "metadata": {"name": f"{resource}.pinot.controlplane.dev"},
        "spec": {
            "generateSelector": True,
            "parentResource": {"apiVersion": CLUSTER_API, "resource": resource},
            "hooks": {
                "sync": {
                    "version": "v2",
                    "webhook": {"url": f"http://pinot-control-plane.pinot-system:8080/sync/{resource[:-1]}"},
                }
            },
        },
    }


def type_key(obj: JsonObject) -> str:
    return f"{obj['kind']}.{obj['apiVersion']}"


def request_body(
    resource: str,
    parent: JsonObject,
    children: list[JsonObject],
    child_types: list[str],
    related: dict[str, dict[str, JsonObject]] | None = None,
) -> JsonObject:
    """A v2 sync request: every child type present, objects keyed `namespace/name`."""
    grouped: dict[str, dict[str, JsonObject]] = {key: {} for key in child_types}
    for child in children:
        grouped.setdefault(type_key(child), {})[f"{NAMESPACE}/{child['metadata']['name']}"] = child
    return {
        "controller": controller_object(resource),
        "parent": parent,
        "children": grouped,
        "related": related or {},
        "finalizing": False,
    }


def _copied(value: JsonObject) -> JsonObject:
    """A deep copy of JSON data (several times faster than copy.deepcopy)."""
    copied: JsonObject = jsonio.loads(jsonio.dumps(value))
    return copied


def _uid(seed: str) -> str:
    digest = hashlib.sha256(seed.encode()).hexdigest()
    return f"{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:32]}"


def stored_parent(api_version: str, kind: str, name: str, spec: JsonObject) -> JsonObject:
    return {
        "apiVersion": api_version,
        "kind": kind,
        "metadata": {
            "name": name,
            "namespace": NAMESPACE,
            "uid": _uid(f"{kind}/{name}"),
            "generation": 1,
            "resourceVersion": "481516",
            "creationTimestamp": "2026-11-25T11:00:00Z",
            "labels": {"app.kubernetes.io/part-of": "analytics"},
            "finalizers": ["metacontroller.k8s.io/finalizer"],
        },
        "spec": spec,
    }


def _server_defaults(child: JsonObject) -> JsonObject:
    """Fields the API server fills in, so observed objects are as large as real ones."""
    kind = child["kind"]
    spec = child.get("spec")
    if kind == "Service" and isinstance(spec, dict):
        if spec.get("clusterIP") != "None":
            spec["clusterIP"] = "10.96.14.27"
            spec["clusterIPs"] = ["10.96.14.27"]
        spec.setdefault("sessionAffinity", "None")
        spec.setdefault("internalTrafficPolicy", "Cluster")
        spec.setdefault("ipFamilies", ["IPv4"])
        spec.setdefault("ipFamilyPolicy", "SingleStack")
    if kind == "StatefulSet" and isinstance(spec, dict):
        spec.setdefault("revisionHistoryLimit", 10)
        pod = spec["template"]["spec"]
        pod.setdefault("dnsPolicy", "ClusterFirst")
        pod.setdefault("restartPolicy", "Always")
        pod.setdefault("schedulerName", "default-scheduler")
        for container in pod.get("containers", []):
            container.setdefault("terminationMessagePath", "/dev/termination-log")
            container.setdefault("terminationMessagePolicy", "File")
            container.setdefault("imagePullPolicy", "IfNotPresent")
            container.setdefault("resources", {})
    if kind == "PodDisruptionBudget":
        child["status"] = {
            "observedGeneration": 1,
            "currentHealthy": 1,
            "desiredHealthy": 0,
            "disruptionsAllowed": 1,
            "expectedPods": 1,
        }
    return child


def store(child: JsonObject, owner: JsonObject) -> JsonObject:
    """A desired child as Kubernetes stores it after Metacontroller applied it and it settled."""
    stored = _copied(child)
    meta = stored["metadata"]
    name = meta["name"]
    annotations = dict(meta.get("annotations") or {})
    annotations[LAST_APPLIED] = jsonio.dumps(child).decode()
    meta.update(
        {
            "namespace": NAMESPACE,
            "uid": _uid(f"{child['kind']}/{name}"),
            "resourceVersion": "481517",
            "generation": 1,
            "creationTimestamp": "2026-11-25T11:00:05Z",
            "annotations": annotations,
            "ownerReferences": [
                {
                    "apiVersion": owner["apiVersion"],
                    "kind": owner["kind"],
                    "name": owner["metadata"]["name"],
                    "uid": owner["metadata"]["uid"],
                    "controller": True,
                    "blockOwnerDeletion": True,
                }
            ],
            "managedFields": [
                {
                    "manager": "metacontroller",
                    "operation": "Update",
                    "apiVersion": child["apiVersion"],
                    "time": "2026-11-25T11:00:05Z",
                    "fieldsType": "FieldsV1",
                    "fieldsV1": {"f:metadata": {"f:annotations": {".": {}, f"f:{LAST_APPLIED}": {}}}},
                }
            ],
        }
    )
    if child["kind"] == "Job":
        stored["status"] = completed_job_status()
    if child["kind"] == "StatefulSet":
        replicas = child["spec"]["replicas"]
        revision = f"{name}-{child['metadata']['annotations']['pinot.controlplane.dev/template-hash']}"
        stored["status"] = {
            "observedGeneration": 1,
            "replicas": replicas,
            "readyReplicas": replicas,
            "availableReplicas": replicas,
            "currentReplicas": replicas,
            "updatedReplicas": replicas,
            "currentRevision": revision,
            "updateRevision": revision,
            "collisionCount": 0,
        }
    return _server_defaults(stored)


def route_for(path: str) -> Route:
    for route in default_routes():
        if route.path == path:
            return route
    raise LookupError(f"no hook is served at {path}")


def answer(path: str, body: JsonObject, now: datetime) -> JsonObject:
    """The hook's answer, computed in-process exactly as the server computes it."""
    route = route_for(path)
    decision = route.handle(route.model.model_validate(body), now)
    return decision.body


def settle(
    path: str,
    build: Callable[[list[JsonObject], JsonObject | None], JsonObject],
    done: Callable[[JsonObject], bool],
) -> JsonObject:
    """Run rounds until the answer is steady: children stored as returned, status written back.

    `build(children, status)` makes the request of a round; `done(answer)` says the state is final.
    """
    children: list[JsonObject] = []
    status: JsonObject | None = None
    now = SETTLED_AT
    for _ in range(MAX_ROUNDS):
        body = build(children, status)
        reply = answer(path, body, now)
        previous_names = sorted((type_key(c), c["metadata"]["name"]) for c in children)
        names = sorted((type_key(c), c["metadata"]["name"]) for c in reply["children"])
        status = {**reply["status"], "observedGeneration": body["parent"]["metadata"]["generation"]}
        if names == previous_names and done(reply):
            return build(children, status)
        children = [store(child, body["parent"]) for child in reply["children"]]
        now += timedelta(seconds=30)
    raise RuntimeError(f"{path}: no steady state after {MAX_ROUNDS} rounds")


def _mark(body: JsonObject, locate: Callable[[JsonObject], tuple[JsonObject, str]]) -> bytes:
    marked = _copied(body)
    holder, key = locate(marked)
    holder[key] = VARY_MARKER
    template = jsonio.dumps(marked)
    if template.count(VARY_MARKER.encode()) != 1:
        raise AssertionError("the change marker must occur exactly once")
    return template


# PinotCluster ---------------------------------------------------------------------------------

CLUSTER_CHILD_TYPES = [
    "ConfigMap.v1",
    "PodDisruptionBudget.policy/v1",
    "Service.v1",
    "StatefulSet.apps/v1",
    "Job.batch/v1",
]
VARIED_PROPERTY = "pinot.server.query.executor.timeout"


def _resources(cpu: str, memory: str) -> JsonObject:
    return {"requests": {"cpu": cpu, "memory": memory}, "limits": {"memory": memory}}


def cluster_spec(servers: int, brokers: int, minions: int, controllers: int) -> JsonObject:
    """A production-shaped spec: layered defaults, per-pool storage, tuning and placement."""
    pools: list[JsonObject] = []
    for i in range(controllers):
        pools.append({"name": f"controller-{i}", "role": "controller", "replicas": 1})
    for i in range(brokers):
        pools.append(
            {
                "name": f"broker-{i}",
                "role": "broker",
                "replicas": 2,
                "kubernetes": {"service": {"type": "ClusterIP", "annotations": {"team": "analytics"}}},
            }
        )
    for i in range(servers):
        tier = "ssd" if i % 2 == 0 else "hdd"
        pools.append(
            {
                "name": f"server-{i}",
                "role": "server",
                "replicas": 3,
                "pinot": {
                    "properties": {
                        VARIED_PROPERTY: "30000",
                        "pinot.server.query.executor.max.execution.threads": str(8 + i),
                    }
                },
                "kubernetes": {
                    "storage": {"size": "500Gi", "storageClassName": tier},
                    "nodeSelector": {"disktype": tier},
                },
            }
        )
    for i in range(minions):
        pools.append({"name": f"minion-{i}", "role": "minion", "kubernetes": {"storage": {"size": "50Gi"}}})
    return {
        "image": "apachepinot/pinot:1.3.0",
        "imagePullPolicy": "IfNotPresent",
        "clusterName": "pinot",
        "zookeeper": {"address": "zookeeper.zookeeper.svc.cluster.local:2181/pinot"},
        "rollout": {"progressDeadlineSeconds": 1200},
        "defaults": {
            "common": {
                "kubernetes": {
                    "podLabels": {"team": "analytics"},
                    "topologySpreadConstraints": [
                        {
                            "maxSkew": 1,
                            "topologyKey": "topology.kubernetes.io/zone",
                            "whenUnsatisfiable": "ScheduleAnyway",
                        }
                    ],
                }
            },
            "controller": {"kubernetes": {"resources": _resources("500m", "1536Mi")}},
            "broker": {"kubernetes": {"resources": _resources("1", "3Gi")}},
            "server": {
                "pinot": {
                    "jvmOpts": "-Xms4G -Xmx4G -XX:+UseG1GC -XX:MaxGCPauseMillis=200",
                    "properties": {"pinot.server.shutdown.timeoutMs": "180000"},
                },
                "kubernetes": {
                    "resources": _resources("2", "8Gi"),
                    "tolerations": [
                        {
                            "key": "dedicated",
                            "operator": "Equal",
                            "value": "pinot-server",
                            "effect": "NoSchedule",
                        }
                    ],
                },
            },
            "minion": {"pinot": {"jvmOpts": "-Xms1G -Xmx1G"}},
        },
        "pools": pools,
    }


CLUSTER_PATH = "/sync/pinotcluster"
TABLE_PATH = "/sync/pinottable"


def settled_cluster(spec: JsonObject, name: str = "pinot") -> JsonObject:
    """The resync request of PinotCluster `name` once every pool is ready."""

    def build(children: list[JsonObject], status: JsonObject | None) -> JsonObject:
        parent = stored_parent(CLUSTER_API, "PinotCluster", name, _copied(spec))
        if status is not None:
            parent["status"] = status
        return request_body("pinotclusters", parent, children, CLUSTER_CHILD_TYPES)

    def ready(reply: JsonObject) -> bool:
        return all(pool.get("state") == "Ready" for pool in reply["status"].get("pools", []))

    return settle(CLUSTER_PATH, build, ready)


def _child_version(
    type_key: str, chosen: Callable[[str], bool]
) -> Callable[[JsonObject], tuple[JsonObject, str]]:
    """Where the resourceVersion of the first child of `type_key` whose name is `chosen` lies."""

    def locate(marked: JsonObject) -> tuple[JsonObject, str]:
        children = marked["children"][type_key]
        name = next(n for n in children if chosen(n))
        return children[name]["metadata"], "resourceVersion"

    return locate


def cluster_workload(name: str, title: str, spec: JsonObject) -> Workload:
    path = CLUSTER_PATH
    body = settled_cluster(spec)

    def varied(marked: JsonObject) -> tuple[JsonObject, str]:
        pool = next(p for p in marked["parent"]["spec"]["pools"] if p["role"] == "server")
        return pool["pinot"]["properties"], VARIED_PROPERTY

    server = next(p["name"] for p in spec["pools"] if p["role"] == "server")
    child = _child_version("StatefulSet.apps/v1", lambda n: n.endswith(f"-{server}"))
    return Workload(name, title, path, body, _mark(body, varied), _mark(body, child))


def cluster_4() -> Workload:
    return cluster_workload(
        "cluster-4",
        "PinotCluster, 4 pools, every child observed",
        cluster_spec(servers=1, brokers=1, minions=1, controllers=1),
    )


def cluster_12() -> Workload:
    return cluster_workload(
        "cluster-12",
        "PinotCluster, 12 pools, every child observed",
        cluster_spec(servers=7, brokers=2, minions=2, controllers=1),
    )


# PinotTable ------------------------------------------------------------------------------------

TABLE_CHILD_TYPES = ["ConfigMap.v1", "Job.batch/v1"]
CLUSTER_KEY = f"PinotCluster.{CLUSTER_API}"
SCHEMA_KEY = f"PinotSchema.{CLUSTER_API}"
COLUMNS = 40


def schema_object(cluster: str = "pinot", columns: int = COLUMNS, name: str = "events") -> JsonObject:
    """PinotSchema `name` (a Pinot schema of that name with `_` for `-`) as stored, applied."""
    pinot_name = name.replace("-", "_")
    dimensions = [{"name": f"dim_{i}", "dataType": "STRING"} for i in range(columns)]
    metrics = [{"name": f"metric_{i}", "dataType": "LONG"} for i in range(8)]
    parent = stored_parent(
        CLUSTER_API,
        "PinotSchema",
        name,
        {
            "clusterRef": {"name": cluster},
            "deletionPolicy": "Retain",
            "schema": {
                "schemaName": pinot_name,
                "dimensionFieldSpecs": dimensions,
                "metricFieldSpecs": metrics,
                "dateTimeFieldSpecs": [
                    {
                        "name": "ts",
                        "dataType": "LONG",
                        "format": "1:MILLISECONDS:EPOCH",
                        "granularity": "1:MILLISECONDS",
                    }
                ],
            },
        },
    )
    condition = {
        "lastTransitionTime": "2026-11-25T11:00:30Z",
        "observedGeneration": 1,
        "reason": "Created",
        "message": f"schema {pinot_name} created",
        "status": "True",
    }
    parent["status"] = {
        "observedGeneration": 1,
        "pinotName": pinot_name,
        "conditions": [{**condition, "type": "Ready"}, {**condition, "type": "Synced"}],
    }
    return parent


def table_spec(cluster: str = "pinot", table: str = "events", count: int = COLUMNS) -> JsonObject:
    """The spec of a PinotTable for Pinot table `table`, whose PinotSchema is `table` with `-`."""
    columns = [f"dim_{i}" for i in range(count)]
    return {
        "clusterRef": {"name": cluster},
        "schemaRef": {"name": table.replace("_", "-")},
        "deletionPolicy": "Retain",
        "table": {
            "tableName": table,
            "tableType": "REALTIME",
            "segmentsConfig": {
                "replication": "3",
                "replicasPerPartition": "3",
                "timeColumnName": "ts",
                "retentionTimeUnit": "DAYS",
                "retentionTimeValue": "30",
                "segmentPushType": "APPEND",
            },
            "tenants": {"broker": "DefaultTenant", "server": "DefaultTenant"},
            "tableIndexConfig": {
                "loadMode": "MMAP",
                "invertedIndexColumns": columns[:20],
                "rangeIndexColumns": ["ts"],
                "bloomFilterColumns": columns[:4],
                "noDictionaryColumns": [f"metric_{i}" for i in range(8)],
                "sortedColumn": ["dim_0"],
            },
            "fieldConfigList": [
                {"name": name, "encodingType": "DICTIONARY", "indexTypes": ["INVERTED"]}
                for name in columns[:20]
            ],
            "ingestionConfig": {
                "streamIngestionConfig": {
                    "streamConfigMaps": [
                        {
                            "streamType": "kafka",
                            "stream.kafka.topic.name": "events",
                            "stream.kafka.broker.list": "kafka.kafka.svc:9092",
                            "stream.kafka.consumer.type": "lowlevel",
                            "stream.kafka.consumer.factory.class.name": (
                                "org.apache.pinot.plugin.stream.kafka30.KafkaConsumerFactory"
                            ),
                            "stream.kafka.decoder.class.name": (
                                "org.apache.pinot.plugin.stream.kafka.KafkaJSONMessageDecoder"
                            ),
                            "stream.kafka.consumer.prop.auto.offset.reset": "smallest",
                            "realtime.segment.flush.threshold.rows": "0",
                            "realtime.segment.flush.threshold.time": "6h",
                            "realtime.segment.flush.threshold.segment.size": "200M",
                        }
                    ]
                },
                "transformConfigs": [
                    {"columnName": f"dim_{i}", "transformFunction": f"jsonPathString(payload, '$.d{i}')"}
                    for i in range(count)
                ],
            },
            "metadata": {"customConfigs": {"owner": "analytics"}},
        },
    }


def _finished_job(job: JsonObject) -> None:
    """A Job as Kubernetes reports it once its Pod exited 0."""
    job["spec"].setdefault("completions", 1)
    job["spec"].setdefault("parallelism", 1)
    job["spec"].setdefault("completionMode", "NonIndexed")
    job["spec"].setdefault("suspend", False)
    job["spec"]["selector"] = {"matchLabels": {"batch.kubernetes.io/controller-uid": job["metadata"]["uid"]}}
    job["status"] = {
        "startTime": "2026-11-25T11:00:06Z",
        "completionTime": "2026-11-25T11:00:21Z",
        "succeeded": 1,
        "ready": 0,
        "terminating": 0,
        "uncountedTerminatedPods": {},
        "conditions": [
            {
                "type": type_,
                "status": "True",
                "lastProbeTime": "2026-11-25T11:00:21Z",
                "lastTransitionTime": "2026-11-25T11:00:21Z",
                "reason": reason,
                "message": message,
            }
            for type_, reason, message in (
                ("SuccessCriteriaMet", "CompletionsReached", "Reached expected number of succeeded pods"),
                ("Complete", "CompletionsReached", "Reached expected number of succeeded pods"),
            )
        ],
    }


def _job_pod(job: JsonObject, pinot_name: str) -> JsonObject:
    """The finished Pod of a Job, with the outcome line the Job CLI wrote to its termination log."""
    meta = job["metadata"]
    container = job["spec"]["template"]["spec"]["containers"][0]
    outcome = {
        "result": "Succeeded",
        "reason": "Created",
        "message": f"Table {pinot_name} successfully added",
        "httpStatus": 200,
        "pinotName": pinot_name,
    }
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": f"{meta['name']}-x7k2p",
            "namespace": NAMESPACE,
            "uid": _uid(f"Pod/{meta['name']}"),
            "resourceVersion": "481530",
            "creationTimestamp": "2026-11-25T11:00:06Z",
            "labels": {
                **job["spec"]["template"]["metadata"]["labels"],
                "batch.kubernetes.io/controller-uid": meta["uid"],
                "batch.kubernetes.io/job-name": meta["name"],
            },
            "ownerReferences": [
                {
                    "apiVersion": "batch/v1",
                    "kind": "Job",
                    "name": meta["name"],
                    "uid": meta["uid"],
                    "controller": True,
                    "blockOwnerDeletion": True,
                }
            ],
        },
        "spec": {**job["spec"]["template"]["spec"], "nodeName": "worker-3"},
        "status": {
            "phase": "Succeeded",
            "hostIP": "10.0.3.17",
            "podIP": "10.244.3.41",
            "startTime": "2026-11-25T11:00:06Z",
            "containerStatuses": [
                {
                    "name": container["name"],
                    "image": container["image"],
                    "imageID": "sha256:" + "0" * 64,
                    "ready": False,
                    "restartCount": 0,
                    "started": False,
                    "state": {
                        "terminated": {
                            "exitCode": 0,
                            "reason": "Completed",
                            "message": jsonio.dumps(outcome).decode() + "\n",
                            "startedAt": "2026-11-25T11:00:08Z",
                            "finishedAt": "2026-11-25T11:00:20Z",
                            "containerID": "containerd://" + "1" * 64,
                        }
                    },
                }
            ],
        },
    }


def settled_table(
    cluster: JsonObject, name: str = "events-realtime", table: str = "events", columns: int = COLUMNS
) -> JsonObject:
    """The resync request of PinotTable `name` (Pinot table `table`) once its apply Job succeeded;
    `cluster` is the related PinotCluster as stored."""
    cluster_name = cluster["metadata"]["name"]
    spec = table_spec(cluster_name, table, columns)
    schema = schema_object(cluster_name, columns, table.replace("_", "-"))

    def build(children: list[JsonObject], status: JsonObject | None) -> JsonObject:
        parent = stored_parent(CLUSTER_API, "PinotTable", name, _copied(spec))
        if status is not None:
            parent["status"] = status
        for child in children:
            if child["kind"] == "Job" and "status" not in child:
                _finished_job(child)
        pods = [_job_pod(child, f"{table}_REALTIME") for child in children if child["kind"] == "Job"]
        related = {
            CLUSTER_KEY: {f"{NAMESPACE}/{cluster_name}": cluster},
            SCHEMA_KEY: {f"{NAMESPACE}/{schema['metadata']['name']}": schema},
            "Pod.v1": {f"{NAMESPACE}/{pod['metadata']['name']}": pod for pod in pods},
        }
        return request_body("pinottables", parent, children, TABLE_CHILD_TYPES, related)

    def synced(reply: JsonObject) -> bool:
        conditions = reply["status"].get("conditions", [])
        return any(c["type"] == "Synced" and c["status"] == "True" for c in conditions)

    return settle(TABLE_PATH, build, synced)


def table(cluster: JsonObject | None = None) -> Workload:
    """A REALTIME table whose apply Job succeeded; `cluster` is the related PinotCluster as stored."""
    path = TABLE_PATH
    body = settled_table(cluster if cluster is not None else cluster_12().body["parent"])

    def varied(marked: JsonObject) -> tuple[JsonObject, str]:
        return marked["parent"]["spec"]["table"]["segmentsConfig"], "retentionTimeValue"

    job = _child_version("Job.batch/v1", lambda _: True)
    return Workload(
        "table",
        "PinotTable with its cluster, schema and Job Pod",
        path,
        body,
        _mark(body, varied),
        _mark(body, job),
    )


def all_workloads() -> list[Workload]:
    """The three sizes, smallest cluster first; the table refers to the 12-pool cluster."""
    large = cluster_12()
    return [cluster_4(), large, table(large.body["parent"])]


PADDING_ANNOTATION = "kubectl.kubernetes.io/last-applied-configuration"


def padded_change(workload: Workload, size: int) -> bytes:
    """The change template grown to about `size` bytes by a large parent annotation (as `kubectl
    apply` leaves one), for the load test's large requests."""
    body = jsonio.loads(workload.change_template)
    annotations = body["parent"]["metadata"].setdefault("annotations", {})
    annotations[PADDING_ANNOTATION] = "p" * max(0, size - len(workload.change_template) - 100)
    return jsonio.dumps(body)
