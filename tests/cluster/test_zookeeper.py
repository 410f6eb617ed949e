"""A managed ZooKeeper ensemble: what it renders, where it sits in the rollout, what is refused."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from hooks.cluster.sync import sync_cluster
from hooks.cluster.zookeeper import connect_string, render_zoo_cfg
from hooks.jsonio import dumps
from tests.cluster.builders import BASE_SPEC, NOW, parent, request, settle
from tests.cluster.rounds import Rounds
from tests.support.kube_schemas import strict_errors

JsonObject = dict[str, Any]
ZK = "demo-zookeeper"


def managed_spec(**managed: Any) -> JsonObject:
    spec = copy.deepcopy(BASE_SPEC)
    spec["zookeeper"] = {"managed": managed}
    return spec


def sync(obj: JsonObject, children: list[JsonObject] | None = None) -> JsonObject:
    body: JsonObject = sync_cluster(request(obj, children), NOW).body
    return body


def by_name(body: JsonObject, kind: str) -> dict[str, JsonObject]:
    return {c["metadata"]["name"]: c for c in body["children"] if c["kind"] == kind}


def condition(body: JsonObject, kind: str) -> JsonObject:
    return next(c for c in body["status"]["conditions"] if c["type"] == kind)


def converged(body: JsonObject) -> list[JsonObject]:
    return [settle(child) for child in body["children"]]


def installed(spec: JsonObject) -> tuple[JsonObject, list[JsonObject]]:
    rounds = Rounds(parent(spec))
    for _ in range(20):
        rounds.step()
    return rounds.parent, list(rounds.children.values())


def test_fresh_install_creates_the_ensemble_and_nothing_of_pinot() -> None:
    body = sync(parent(managed_spec()))
    assert sorted((c["kind"], c["metadata"]["name"]) for c in body["children"]) == [
        ("ConfigMap", next(n for n in by_name(body, "ConfigMap"))),
        ("NetworkPolicy", "demo-pinot"),  # from the start, like the role Services
        ("PodDisruptionBudget", ZK),
        ("Service", "demo-broker"),
        ("Service", "demo-controller"),
        ("Service", ZK),
        ("Service", f"{ZK}-headless"),
        ("StatefulSet", ZK),
    ]
    pools = body["status"]["pools"]
    assert [(p["name"], p["role"], p["state"]) for p in pools[:2]] == [
        ("zookeeper", "zookeeper", "RollingOut"),
        ("controllers", "controller", "Pending"),
    ]
    assert pools[1]["message"] == "waiting for pool zookeeper to be ready before creating"


def test_the_controller_pool_is_created_once_every_server_is_ready() -> None:
    obj = parent(managed_spec())
    first = sync(obj)
    not_ready = sync(obj, [settle(c, ready=False) for c in first["children"]])
    assert "demo-controllers" not in by_name(not_ready, "StatefulSet")
    ready = sync(obj, converged(first))
    assert set(by_name(ready, "StatefulSet")) == {ZK, "demo-controllers"}
    assert ready["status"]["pools"][0]["state"] == "Ready"


def test_pinot_is_given_every_server_and_no_chroot() -> None:
    rounds = Rounds(parent(managed_spec(replicas=3)))
    for _ in range(20):
        body = rounds.step()
    hosts = [f"{ZK}-{n}.{ZK}-headless.analytics.svc:2181" for n in range(3)]
    assert connect_string("demo", "analytics", 3) == ",".join(hosts)
    broker = by_name(body, "StatefulSet")["demo-brokers"]
    args = broker["spec"]["template"]["spec"]["containers"][0]["args"]
    assert args[args.index("-zkAddress") + 1] == ",".join(hosts)
    controller_conf = next(
        c["data"]["pinot-controller.conf"]
        for c in body["children"]
        if "pinot-controller.conf" in c.get("data", {})
    )
    assert f"controller.zk.str={','.join(hosts)}\n" in controller_conf
    assert broker["metadata"]["annotations"]["pinot.controlplane.dev/zookeeper"] == "managed"
    assert condition(body, "Ready")["status"] == "True"


def test_zoo_cfg_lists_each_server_by_its_stable_id() -> None:
    text = render_zoo_cfg("demo", "analytics", 3)
    servers = [line for line in text.splitlines() if line.startswith("server.")]
    assert servers == [
        f"server.{n + 1}={ZK}-{n}.{ZK}-headless.analytics.svc:2888:3888;2181" for n in range(3)
    ]
    assert "reconfigEnabled=false" in text.splitlines()
    assert "dataDir=/data" in text.splitlines()


def test_the_statefulset_writes_myid_from_the_ordinal_and_mounts_zoo_cfg() -> None:
    body = sync(parent(managed_spec()))
    sts = by_name(body, "StatefulSet")[ZK]
    pod = sts["spec"]["template"]["spec"]
    [container] = pod["containers"]
    assert container["command"][:2] == ["bash", "-ec"]
    assert 'expr "${HOSTNAME##*-}" + 1 > /data/myid' in container["command"][2]
    assert "$(" not in container["command"][2]  # Kubernetes would expand it
    mount = next(m for m in container["volumeMounts"] if m["name"] == "config")
    assert mount == {"name": "config", "mountPath": "/conf/zoo.cfg", "subPath": "zoo.cfg", "readOnly": True}
    config = pod["volumes"][0]["configMap"]["name"]
    assert config in by_name(body, "ConfigMap")
    assert sts["spec"]["podManagementPolicy"] == "Parallel"
    assert sts["spec"]["replicas"] == 3
    assert container["image"] == "zookeeper:3.9.3"


def test_every_child_passes_the_kubernetes_schemas() -> None:
    spec = managed_spec(
        replicas=5,
        image="zookeeper:3.9.5",
        storage={"size": "10Gi", "storageClassName": "fast"},
        resources={"requests": {"cpu": "0.25", "memory": "512Mi"}, "limits": {"memory": "1Gi"}},
        jvmOpts="-Xmx768M",
        nodeSelector={"pool": "zk"},
        tolerations=[{"key": "zk", "operator": "Exists", "effect": "NoSchedule"}],
        topologySpreadConstraints=[
            {"maxSkew": 1, "topologyKey": "topology.kubernetes.io/zone", "whenUnsatisfiable": "DoNotSchedule"}
        ],
        priorityClassName="critical",
        podLabels={"team": "data"},
        podAnnotations={"prometheus.io/scrape": "false"},
    )
    spec["imagePullSecrets"] = [{"name": "registry"}]
    spec["imagePullPolicy"] = "IfNotPresent"
    rounds = Rounds(parent(spec))
    for _ in range(20):
        body = rounds.step()
    assert condition(body, "Ready")["status"] == "True"
    assert [p for child in body["children"] for p in strict_errors(child)] == []
    resources = by_name(body, "StatefulSet")[ZK]["spec"]["template"]["spec"]["containers"][0]["resources"]
    assert resources["requests"]["cpu"] == "250m"  # as the API server stores it


def test_an_answer_fed_back_is_a_fixed_point() -> None:
    obj, children = installed(managed_spec())
    answer = sync(obj, children)
    obj["status"] = answer["status"]
    assert dumps(sync(obj, converged(answer))) == dumps(answer)


def test_an_image_change_rolls_the_ensemble_before_any_pool() -> None:
    obj = parent(managed_spec())
    rounds = Rounds(obj)
    for _ in range(20):
        rounds.step()
    rounds.parent["spec"]["zookeeper"]["managed"]["image"] = "zookeeper:3.9.4"
    rounds.parent["spec"]["image"] = "apachepinot/pinot:1.4.0"
    body = rounds.step()
    states = {p["name"]: p["state"] for p in body["status"]["pools"]}
    assert states["zookeeper"] == "RollingOut"
    assert {states[name] for name in ("controllers", "brokers", "hot", "cold", "minions")} == {"Waiting"}
    statefulsets = by_name(body, "StatefulSet")
    assert statefulsets[ZK]["spec"]["updateStrategy"]["rollingUpdate"]["partition"] == 0
    for name, sts in statefulsets.items():
        if name != ZK:
            assert sts["spec"]["updateStrategy"]["rollingUpdate"]["partition"] == sts["spec"]["replicas"]


@pytest.mark.parametrize(
    ("managed", "field", "words"),
    [
        ({"replicas": 4}, "spec.zookeeper.managed.replicas", "odd"),
        ({"storage": {"size": "lots"}}, "spec.zookeeper.managed.storage.size", "quantity"),
        ({"resources": {"limits": {"memory": "x"}}}, "spec.zookeeper.managed.resources.limits.memory", ""),
        ({"jvmOpts": "-Xmx1G\n-Xms1G"}, "spec.zookeeper.managed.jvmOpts", "single line"),
    ],
)
def test_a_bad_managed_spec_is_invalid(managed: JsonObject, field: str, words: str) -> None:
    body = sync(parent(managed_spec(**managed)))
    ready = condition(body, "Ready")
    assert ready["reason"] == "InvalidSpec"
    assert field in ready["message"] and words in ready["message"]
    assert body["children"] == []


@pytest.mark.parametrize("zookeeper", [{}, {"address": "zk:2181", "managed": {}}], ids=["neither", "both"])
def test_exactly_one_of_address_and_managed(zookeeper: JsonObject) -> None:
    spec = copy.deepcopy(BASE_SPEC)
    spec["zookeeper"] = zookeeper
    ready = condition(sync(parent(spec)), "Ready")
    assert ready["reason"] == "InvalidSpec"
    assert "spec.zookeeper: set exactly one of address" in ready["message"]


def test_names_taken_by_the_ensemble_are_refused() -> None:
    spec = managed_spec()
    spec["pools"].append({"name": "zookeeper", "role": "server"})
    spec["clusterName"] = "zookeeper"
    message = condition(sync(parent(spec)), "Ready")["message"]
    assert "spec.pools[5].name: 'zookeeper' is the name of the managed ensemble" in message
    assert "spec.clusterName: 'zookeeper' is ZooKeeper's own node" in message


def test_switching_an_external_cluster_to_managed_is_refused_and_keeps_everything() -> None:
    obj, children = installed(copy.deepcopy(BASE_SPEC))
    obj["spec"]["zookeeper"] = {"managed": {}}
    body = sync(obj, children)
    ready = condition(body, "Ready")
    assert ready["reason"] == "InvalidSpec"
    assert "spec.zookeeper.managed: this cluster's pools run on the external ZooKeeper" in ready["message"]
    assert len(body["children"]) == len(children)
    assert ZK not in by_name(body, "StatefulSet")


def test_switching_a_managed_cluster_to_external_is_refused_and_keeps_everything() -> None:
    obj, children = installed(managed_spec())
    obj["spec"]["zookeeper"] = {"address": "zk.zookeeper.svc:2181"}
    body = sync(obj, children)
    ready = condition(body, "Ready")
    assert ready["reason"] == "InvalidSpec"
    assert "spec.zookeeper.address: this cluster's pools run on its managed ensemble" in ready["message"]
    assert ZK in by_name(body, "StatefulSet") and len(body["children"]) == len(children)


def test_before_any_pool_exists_the_choice_may_still_change() -> None:
    obj = parent(managed_spec())
    first = sync(obj)  # only the ensemble exists
    obj["spec"]["zookeeper"] = {"address": "zk.zookeeper.svc:2181"}
    body = sync(obj, converged(first))
    assert condition(body, "Ready")["reason"] != "InvalidSpec"
    assert set(by_name(body, "StatefulSet")) == {"demo-controllers"}


def test_a_deleted_ensemble_statefulset_is_created_again_for_its_pools() -> None:
    obj, children = installed(managed_spec())
    kept = [c for c in children if not (c["kind"] == "StatefulSet" and c["metadata"]["name"] == ZK)]
    body = sync(obj, kept)
    assert condition(body, "Ready")["reason"] != "InvalidSpec"
    assert ZK in by_name(body, "StatefulSet")
    assert body["status"]["pools"][0]["state"] == "RollingOut"


def test_a_changed_replicas_keeps_the_ensemble_and_says_why() -> None:
    obj, children = installed(managed_spec(replicas=3))
    before = by_name({"children": children}, "ConfigMap")
    obj["spec"]["zookeeper"]["managed"]["replicas"] = 5
    body = sync(obj, children)
    sts = by_name(body, "StatefulSet")[ZK]
    assert sts["spec"]["replicas"] == 3
    assert set(by_name(body, "ConfigMap")) == set(before)  # zoo.cfg unchanged
    degraded = condition(body, "Degraded")
    assert (degraded["status"], degraded["reason"]) == ("True", "ImmutableFieldChanged")
    assert "spec.zookeeper.managed.replicas 3 -> 5" in degraded["message"]


def test_a_scaled_statefulset_is_put_back_to_the_ensemble_size() -> None:
    obj, children = installed(managed_spec(replicas=3))
    for child in children:
        if child["kind"] == "StatefulSet" and child["metadata"]["name"] == ZK:
            child["spec"]["replicas"] = 5  # kubectl scale
    body = sync(obj, children)
    assert by_name(body, "StatefulSet")[ZK]["spec"]["replicas"] == 3


def test_a_storage_change_keeps_the_claim_templates_and_says_why() -> None:
    obj, children = installed(managed_spec())
    obj["spec"]["zookeeper"]["managed"]["storage"] = {"size": "20Gi"}
    body = sync(obj, children)
    claims = by_name(body, "StatefulSet")[ZK]["spec"]["volumeClaimTemplates"]
    assert claims[0]["spec"]["resources"]["requests"]["storage"] == "5Gi"
    assert "zookeeper: storage changed" in condition(body, "Degraded")["message"]
