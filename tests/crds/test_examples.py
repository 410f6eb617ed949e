"""The manifests in examples/ are valid, consistent with each other and show what they claim to."""

from __future__ import annotations

from typing import Any

import kubernetes_validate
import pytest
import yaml

from tests.support.tools import kustomize

from .crdcheck import REPO_ROOT, default_custom_resource, load_crds, validate_custom_resource

EXAMPLES = REPO_ROOT / "examples"
QUICKSTART = EXAMPLES / "quickstart"
IMAGE = "apachepinot/pinot:1.3.0"
ZOOKEEPER = "zookeeper.zookeeper.svc.cluster.local:2181/pinot"
KUBERNETES_VERSIONS = ["1.30", kubernetes_validate.latest_version()]

EXPECTED = {
    "auth-secret.yaml": "Secret",
    "cluster-heterogeneous.yaml": "PinotCluster",
    "cluster-minimal.yaml": "PinotCluster",
    "schema.yaml": "PinotSchema",
    "table-offline.yaml": "PinotTable",
    "table-realtime.yaml": "PinotTable",
    "tenant.yaml": "PinotTenant",
    "schema-metrics.yaml": "PinotSchema",
    "table-metrics-tiered.yaml": "PinotTable",
}


def load_all(name: str) -> list[dict[str, Any]]:
    """The objects of a file under examples/ (a relative path, such as "quickstart/cluster.yaml")."""
    return [d for d in yaml.safe_load_all((EXAMPLES / name).read_text()) if d is not None]


def load(name: str) -> dict[str, Any]:
    """The single object of one of the EXPECTED examples."""
    documents = load_all(name)
    assert len(documents) == 1, f"{name} must hold exactly one object"
    return documents[0]


# Every object of every example, including ones other parts of the project add (e.g. helpers
# like a development ZooKeeper), must be valid.
OBJECTS = [
    (f"{name}#{index}", document)
    for name in sorted(str(p.relative_to(EXAMPLES)) for p in EXAMPLES.rglob("*.yaml"))
    if not name.endswith("kustomization.yaml")
    for index, document in enumerate(load_all(name))
]
CUSTOM = [(label, doc) for label, doc in OBJECTS if doc.get("kind") in load_crds()]
BUILTIN = [(label, doc) for label, doc in OBJECTS if doc.get("kind") not in load_crds()]


def test_the_expected_examples_exist() -> None:
    assert {name: load(name)["kind"] for name in EXPECTED} == EXPECTED


@pytest.mark.parametrize("obj", [doc for _, doc in CUSTOM], ids=[label for label, _ in CUSTOM])
def test_custom_resource_example_is_valid(obj: dict[str, Any]) -> None:
    assert validate_custom_resource(obj) == []


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
@pytest.mark.parametrize("obj", [doc for _, doc in BUILTIN], ids=[label for label, _ in BUILTIN])
def test_builtin_example_is_valid(obj: dict[str, Any], version: str) -> None:
    kubernetes_validate.validate(obj, version, strict=True)


def test_cluster_examples_use_the_documented_image_and_a_zookeeper_that_exists() -> None:
    """The heterogeneous cluster uses the ZooKeeper of zookeeper-dev.yaml; the others run their own."""
    for name in ("cluster-minimal.yaml", "cluster-heterogeneous.yaml", "quickstart/cluster.yaml"):
        assert load(name)["spec"]["image"] == IMAGE, name
    assert load("cluster-heterogeneous.yaml")["spec"]["zookeeper"] == {"address": ZOOKEEPER}
    service = next(d for d in load_all("zookeeper-dev.yaml") if d["kind"] == "Service")
    name, namespace = service["metadata"]["name"], service["metadata"]["namespace"]
    assert ZOOKEEPER.startswith(
        f"{name}.{namespace}.svc.cluster.local:{service['spec']['ports'][0]['port']}/"
    )
    for name in ("cluster-minimal.yaml", "quickstart/cluster.yaml"):
        assert set(load(name)["spec"]["zookeeper"]) == {"managed"}, name


def test_minimal_cluster_has_one_small_pool_per_role() -> None:
    pools = default_custom_resource(load("cluster-minimal.yaml"))["spec"]["pools"]
    assert sorted(p["role"] for p in pools) == ["broker", "controller", "minion", "server"]
    assert all(p["replicas"] == 1 for p in pools)


def test_heterogeneous_cluster_shows_layering_and_two_kinds_of_servers() -> None:
    spec = load("cluster-heterogeneous.yaml")["spec"]
    pools = {p["name"]: p for p in spec["pools"]}
    assert {p["role"] for p in pools.values()} == {"controller", "broker", "server", "minion"}
    hot, cold = pools["servers-hot"], pools["servers-cold"]
    assert hot["role"] == cold["role"] == "server"
    hot_k8s, cold_k8s = hot["kubernetes"], cold["kubernetes"]
    assert (hot_k8s["storage"]["storageClassName"], cold_k8s["storage"]["storageClassName"]) == ("ssd", "hdd")
    assert hot_k8s["storage"]["size"] != cold_k8s["storage"]["size"]
    assert hot_k8s["nodeSelector"] != cold_k8s["nodeSelector"]
    assert hot["pinot"]["properties"] != cold["pinot"]["properties"]
    assert (hot["tenant"], cold["tenant"]) == ("hot", "cold")
    assert set(spec["defaults"]) >= {"common", "controller", "broker", "server", "minion"}
    assert spec["auth"]["secretRef"]["name"] == load("auth-secret.yaml")["metadata"]["name"]


def test_auth_secret_has_username_and_password() -> None:
    secret = load("auth-secret.yaml")
    data = secret.get("stringData") or secret.get("data") or {}
    assert set(data) >= {"username", "password"}


def test_pinot_objects_reference_the_example_cluster_and_schema() -> None:
    cluster = load("cluster-heterogeneous.yaml")["metadata"]["name"]
    schema = load("schema.yaml")
    for name in (
        "schema.yaml",
        "table-offline.yaml",
        "table-realtime.yaml",
        "tenant.yaml",
        "schema-metrics.yaml",
        "table-metrics-tiered.yaml",
    ):
        assert load(name)["spec"]["clusterRef"]["name"] == cluster, name
    for name in ("table-offline.yaml", "table-realtime.yaml"):
        assert load(name)["spec"]["schemaRef"]["name"] == schema["metadata"]["name"], name


def test_offline_and_realtime_tables_form_a_hybrid_table() -> None:
    offline = load("table-offline.yaml")["spec"]["table"]
    realtime = load("table-realtime.yaml")["spec"]["table"]
    schema_name = load("schema.yaml")["spec"]["schema"]["schemaName"]
    assert offline["tableName"] == realtime["tableName"] == schema_name
    assert (offline["tableType"], realtime["tableType"]) == ("OFFLINE", "REALTIME")
    for config in (offline, realtime):
        assert {"segmentsConfig", "tenants", "tableIndexConfig"} <= set(config)
        assert isinstance(config["segmentsConfig"]["replication"], str)
    [stream] = realtime["ingestionConfig"]["streamIngestionConfig"]["streamConfigMaps"]
    assert stream["streamType"] == "kafka"
    # Pinot 1.3 ships kafka20 and kafka30; only kafka30 survives the upgrade to 1.5.
    assert ".kafka30." in stream["stream.kafka.consumer.factory.class.name"]


def test_examples_are_namespace_agnostic() -> None:
    """Applied with `kubectl -n <ns> apply -f examples/`; references only work within one namespace."""
    for name in EXPECTED:
        assert "namespace" not in load(name)["metadata"], name


# -- The quick start: one `kubectl apply -k examples/quickstart`.


def quickstart_objects() -> list[dict[str, Any]]:
    """What `kubectl apply -k examples/quickstart` would send, rendered by the kustomize `make tools`
    builds (the kustomize inside kubectl is the same code)."""
    return kustomize(QUICKSTART)


def test_the_quickstart_kustomization_lists_every_file_once() -> None:
    kustomization = yaml.safe_load((QUICKSTART / "kustomization.yaml").read_text())
    files = sorted(p.name for p in QUICKSTART.glob("*.yaml") if p.name != "kustomization.yaml")
    assert sorted(kustomization["resources"]) == files
    assert len(set(kustomization["resources"])) == len(kustomization["resources"])
    assert kustomization["namespace"] == "pinot-quickstart"


def test_every_quickstart_object_is_valid_and_in_its_namespace() -> None:
    objects = quickstart_objects()
    assert sorted(o["kind"] for o in objects) == sorted(
        ["Namespace", "PinotCluster", "PinotSchema", "PinotTable", "PinotTenant", "PinotTenant"]
    )
    for obj in objects:
        if obj["kind"] == "Namespace":
            assert obj["metadata"]["name"] == "pinot-quickstart"
            kubernetes_validate.validate(obj, KUBERNETES_VERSIONS[-1], strict=True)
            continue
        assert obj["metadata"]["namespace"] == "pinot-quickstart"
        assert validate_custom_resource(obj) == [], obj["metadata"]["name"]


def test_the_quickstart_objects_reference_each_other() -> None:
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for obj in quickstart_objects():
        by_kind.setdefault(obj["kind"], []).append(obj)
    [cluster], [schema], [table] = by_kind["PinotCluster"], by_kind["PinotSchema"], by_kind["PinotTable"]
    spec = default_custom_resource(cluster)["spec"]
    name = cluster["metadata"]["name"]
    for obj in (schema, table, *by_kind["PinotTenant"]):
        assert obj["spec"]["clusterRef"]["name"] == name
    assert table["spec"]["schemaRef"]["name"] == schema["metadata"]["name"]
    config = table["spec"]["table"]
    assert (config["tableName"], config["tableType"]) == (schema["spec"]["schema"]["schemaName"], "OFFLINE")
    # Pinot builds tenants from untagged instances: isolation off, and enough of them in the pools.
    controller = next(p for p in spec["pools"] if p["role"] == "controller")
    properties = {**spec["defaults"]["controller"]["pinot"]["properties"], **controller.get("pinot", {})}
    assert properties.get("cluster.tenant.isolation.enable") == "false"
    tenants = {t["spec"]["tenant"]["tenantRole"]: t["spec"]["tenant"] for t in by_kind["PinotTenant"]}
    assert tenants["BROKER"]["tenantName"] == config["tenants"]["broker"]
    assert tenants["SERVER"]["tenantName"] == config["tenants"]["server"]
    replicas = {
        role: sum(p["replicas"] for p in spec["pools"] if p["role"] == role) for role in ("broker", "server")
    }
    assert tenants["BROKER"]["numberOfInstances"] <= replicas["broker"]
    assert tenants["SERVER"]["numberOfInstances"] <= replicas["server"]
    assert tenants["SERVER"]["offlineInstances"] >= 1


def test_the_quickstart_is_small() -> None:
    spec = load("quickstart/cluster.yaml")["spec"]
    assert spec["zookeeper"]["managed"]["replicas"] == 1
    assert all(p.get("replicas", 1) == 1 for p in spec["pools"])
    limits = spec["defaults"]["common"]["kubernetes"]["resources"]["limits"]["memory"]
    assert limits == "1Gi"
    assert "limits" in spec["zookeeper"]["managed"]["resources"]


def test_the_tiered_table_lives_on_the_pools_tenants() -> None:
    """Its tenant and its tier's tag are those of the two server pools of the heterogeneous cluster."""
    pools = {p["name"]: p for p in load("cluster-heterogeneous.yaml")["spec"]["pools"]}
    table = load("table-metrics-tiered.yaml")["spec"]["table"]
    assert table["tenants"]["server"] == pools["servers-hot"]["tenant"]
    [tier] = table["tierConfigs"]
    assert tier["serverTag"] == f"{pools['servers-cold']['tenant']}_OFFLINE"
    assert table["tableName"] == load("schema-metrics.yaml")["spec"]["schema"]["schemaName"]
    assert int(table["segmentsConfig"]["replication"]) <= min(
        pools["servers-hot"]["replicas"], pools["servers-cold"]["replicas"]
    )
