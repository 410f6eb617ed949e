"""Every CEL rule in the CRDs, with at least one object it accepts and one it refuses.

Each case is a whole object run through defaulting, the OpenAPI schema and every rule, so a
passing case proves the object is fully valid and a failing case proves that exactly the named
rule (and nothing else) refuses it.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

import pytest

from hooks.syntax import QUALIFIED_KEYS

from .crdcheck import all_rules, check_custom_resource, validate_custom_resource

JsonObject = dict[str, Any]

# Short ids for the rules; test_every_rule_has_an_id keeps this in step with crds/.
RULES = {
    "cluster/name-length": "size(self.metadata.name) <= 40",
    "cluster/name-dns-label": "self.metadata.name.matches('^[a-z]([-a-z0-9]*[a-z0-9])?$')",
    "cluster/child-name-length": "self.spec.pools.all(p, size(self.metadata.name) + size(p.name) <= 50)",
    "cluster/cluster-name-immutable": (
        "(has(self.spec.clusterName) ? self.spec.clusterName : self.metadata.name) == "
        "(has(oldSelf.spec.clusterName) ? oldSelf.spec.clusterName : oldSelf.metadata.name)"
    ),
    "cluster/deployment-order": (
        "size(self) == 4 && ['controller', 'broker', 'server', 'minion'].all(r, r in self)"
    ),
    "cluster/pool-names-unique": "self.all(p, self.exists_one(q, q.name == p.name))",
    "cluster/zookeeper-one-of": "has(self.address) != has(self.managed)",
    "cluster/zookeeper-odd-replicas": "self % 2 == 1",
    "cluster/has-controller": "self.exists(p, p.role == 'controller')",
    "cluster/has-broker": "self.exists(p, p.role == 'broker')",
    "cluster/has-server": "self.exists(p, p.role == 'server')",
    "cluster/qualified-keys": QUALIFIED_KEYS["x-kubernetes-validations"][0]["rule"],
    "cluster/peer-kind": (
        "has(self.ipBlock) ? !has(self.podSelector) && !has(self.namespaceSelector) "
        ": has(self.podSelector) || has(self.namespaceSelector)"
    ),
    "cluster/selector-values": (
        "(self.operator in ['In', 'NotIn']) == (has(self.values) && size(self.values) > 0)"
    ),
    "schema/no-double-underscore": "!self.contains('__')",
    "table/no-double-underscore": "!self.contains('__')",
    "cluster/pool-version-needs-image": "self.all(p, !has(p.pinotVersion) || has(p.image))",
    "tenant/server-counts": (
        "self.tenantRole != 'SERVER' || "
        "((has(self.numberOfInstances) ? self.numberOfInstances : 0) >= "
        "(has(self.offlineInstances) ? self.offlineInstances : 0) && "
        "(has(self.numberOfInstances) ? self.numberOfInstances : 0) >= "
        "(has(self.realtimeInstances) ? self.realtimeInstances : 0))"
    ),
    "tenant/server-tags-some": (
        "self.tenantRole != 'SERVER' || "
        "(has(self.offlineInstances) ? self.offlineInstances : 0) + "
        "(has(self.realtimeInstances) ? self.realtimeInstances : 0) > 0"
    ),
    "tenant/broker-not-empty": (
        "self.tenantRole != 'BROKER' || (has(self.numberOfInstances) && self.numberOfInstances > 0)"
    ),
}

API = "pinot.controlplane.dev/v1alpha1"


def pool(name: str, role: str, **extra: Any) -> JsonObject:
    return {"name": name, "role": role, **extra}


STANDARD_POOLS = [pool("controller", "controller"), pool("broker", "broker"), pool("server", "server")]


def cluster(name: str = "pinot", pools: list[JsonObject] | None = None, **spec: Any) -> JsonObject:
    return {
        "apiVersion": API,
        "kind": "PinotCluster",
        "metadata": {"name": name, "namespace": "data"},
        "spec": {
            "image": "apachepinot/pinot:1.3.0",
            "zookeeper": {"address": "zookeeper.zookeeper.svc.cluster.local:2181/pinot"},
            "pools": copy.deepcopy(STANDARD_POOLS if pools is None else pools),
            **spec,
        },
    }


SHORT_POOLS = [pool("c", "controller"), pool("b", "broker"), pool("s", "server")]


def peers(*clients: JsonObject) -> JsonObject:
    return cluster(networkPolicy={"brokerClients": list(clients)})


def requirement(operator: str, values: list[str] | None = None) -> JsonObject:
    found: JsonObject = {"key": "team", "operator": operator}
    if values is not None:
        found["values"] = values
    return {"namespaceSelector": {"matchExpressions": [found]}}


def schema(**body: Any) -> JsonObject:
    return {
        "apiVersion": API,
        "kind": "PinotSchema",
        "metadata": {"name": "events"},
        "spec": {"clusterRef": {"name": "pinot"}, "schema": {"dimensionFieldSpecs": [], **body}},
    }


def table(**body: Any) -> JsonObject:
    return {
        "apiVersion": API,
        "kind": "PinotTable",
        "metadata": {"name": "events-offline"},
        "spec": {
            "clusterRef": {"name": "pinot"},
            "schemaRef": {"name": "events"},
            "table": {"segmentsConfig": {"replication": "1"}, "tenants": {}, "tableIndexConfig": {}, **body},
        },
    }


def tenant(role: str = "SERVER", **counts: int) -> JsonObject:
    return {
        "apiVersion": API,
        "kind": "PinotTenant",
        "metadata": {"name": "analytics"},
        "spec": {
            "clusterRef": {"name": "pinot"},
            "tenant": {"tenantRole": role, "tenantName": "t1", **counts},
        },
    }


@dataclass(frozen=True)
class Case:
    id: str
    rule: str  # a key of RULES
    obj: JsonObject
    passes: bool
    old: JsonObject | None = None
    # Schema errors that the same mistake also causes (e.g. list-type map duplicates).
    also: tuple[str, ...] = field(default=())


def accepts(id: str, rule: str, obj: JsonObject, old: JsonObject | None = None) -> Case:
    return Case(f"{rule}: accepts {id}", rule, obj, True, old)


def refuses(
    id: str, rule: str, obj: JsonObject, old: JsonObject | None = None, also: tuple[str, ...] = ()
) -> Case:
    return Case(f"{rule}: refuses {id}", rule, obj, False, old, also)


IMMUTABLE = "cluster/cluster-name-immutable"

CASES = [
    # -- PinotCluster: names of the children must fit a DNS label.
    accepts("a 40-character name", "cluster/name-length", cluster("p" * 40, SHORT_POOLS)),
    refuses("a 41-character name", "cluster/name-length", cluster("p" * 41, SHORT_POOLS)),
    accepts("a DNS label", "cluster/name-dns-label", cluster("pinot-2")),
    refuses("a name starting with a digit", "cluster/name-dns-label", cluster("2pinot")),
    refuses("a name with a dot", "cluster/name-dns-label", cluster("pinot.prod")),
    accepts(
        "name + pool = 50",
        "cluster/child-name-length",
        cluster("c" * 30, [*SHORT_POOLS, pool("s" * 20, "server")]),
    ),
    refuses(
        "name + pool = 51",
        "cluster/child-name-length",
        cluster("c" * 30, [*SHORT_POOLS, pool("s" * 21, "server")]),
    ),
    # -- PinotCluster: ZooKeeper.
    accepts("an external ensemble", "cluster/zookeeper-one-of", cluster()),
    accepts("a managed ensemble", "cluster/zookeeper-one-of", cluster(zookeeper={"managed": {}})),
    refuses("no ZooKeeper", "cluster/zookeeper-one-of", cluster(zookeeper={})),
    refuses(
        "both an address and a managed ensemble",
        "cluster/zookeeper-one-of",
        cluster(zookeeper={"address": "zk:2181", "managed": {"replicas": 3}}),
    ),
    accepts("one server", "cluster/zookeeper-odd-replicas", cluster(zookeeper={"managed": {"replicas": 1}})),
    accepts(
        "five servers", "cluster/zookeeper-odd-replicas", cluster(zookeeper={"managed": {"replicas": 5}})
    ),
    refuses("two servers", "cluster/zookeeper-odd-replicas", cluster(zookeeper={"managed": {"replicas": 2}})),
    # -- PinotCluster: pools.
    accepts("distinct pool names", "cluster/pool-names-unique", cluster()),
    refuses(
        "two pools named server",
        "cluster/pool-names-unique",
        cluster(pools=[*STANDARD_POOLS, pool("server", "server")]),
        also=("Duplicate value",),
    ),
    accepts("a controller pool", "cluster/has-controller", cluster()),
    refuses("no controller pool", "cluster/has-controller", cluster(pools=STANDARD_POOLS[1:])),
    accepts("a broker pool", "cluster/has-broker", cluster()),
    refuses(
        "no broker pool",
        "cluster/has-broker",
        cluster(pools=[STANDARD_POOLS[0], STANDARD_POOLS[2], pool("minion", "minion")]),
    ),
    accepts(
        "two server pools", "cluster/has-server", cluster(pools=[*STANDARD_POOLS, pool("cold", "server")])
    ),
    refuses("no server pool", "cluster/has-server", cluster(pools=STANDARD_POOLS[:2])),
    accepts(
        "a pool version with the pool's image",
        "cluster/pool-version-needs-image",
        cluster(
            pools=[
                *STANDARD_POOLS,
                pool("cold", "server", image="registry/pinot:custom", pinotVersion="1.3.0"),
            ]
        ),
    ),
    refuses(
        "a pool version without an image of the pool",
        "cluster/pool-version-needs-image",
        cluster(pools=[*STANDARD_POOLS, pool("cold", "server", pinotVersion="1.3.0")]),
    ),
    # -- PinotCluster: deploymentOrder is a permutation of the four roles.
    accepts("the default order", "cluster/deployment-order", cluster()),
    accepts(
        "another permutation",
        "cluster/deployment-order",
        cluster(deploymentOrder=["server", "broker", "controller", "minion"]),
    ),
    refuses(
        "a missing role",
        "cluster/deployment-order",
        cluster(deploymentOrder=["controller", "broker", "server"]),
    ),
    refuses(
        "a repeated role",
        "cluster/deployment-order",
        cluster(deploymentOrder=["controller", "broker", "server", "server"]),
    ),
    refuses("an empty order", "cluster/deployment-order", cluster(deploymentOrder=[])),
    # -- PinotCluster: clusterName is immutable, its metadata.name default included.
    accepts("a create with clusterName", IMMUTABLE, cluster(clusterName="helix")),
    accepts("unset before and after", IMMUTABLE, cluster(), old=cluster()),
    accepts(
        "an unchanged explicit name",
        IMMUTABLE,
        cluster(clusterName="helix"),
        old=cluster(clusterName="helix"),
    ),
    accepts(
        "setting it explicitly to the default",
        IMMUTABLE,
        cluster(clusterName="pinot"),
        old=cluster(),
    ),
    accepts("unsetting a name equal to the default", IMMUTABLE, cluster(), old=cluster(clusterName="pinot")),
    accepts(
        "other changes (replicas, image) with the name kept",
        IMMUTABLE,
        cluster(image="apachepinot/pinot:1.4.0", pools=[*STANDARD_POOLS, pool("more", "server", replicas=3)]),
        old=cluster(),
    ),
    refuses(
        "a changed explicit name",
        IMMUTABLE,
        cluster(clusterName="helix-2"),
        old=cluster(clusterName="helix"),
    ),
    refuses("setting a name other than the default", IMMUTABLE, cluster(clusterName="helix"), old=cluster()),
    refuses(
        "unsetting a name other than the default",
        IMMUTABLE,
        cluster(),
        old=cluster(clusterName="helix"),
    ),
    # -- PinotCluster: label and annotation keys are qualified names (every map of every layer).
    accepts(
        "prefixed and plain keys",
        "cluster/qualified-keys",
        cluster(
            pools=[
                *STANDARD_POOLS[:2],
                pool("server", "server", kubernetes={"podLabels": {"a.b/c": "x", "d": "y"}}),
            ]
        ),
    ),
    refuses(
        "a key with a space",
        "cluster/qualified-keys",
        cluster(
            pools=[
                *STANDARD_POOLS[:2],
                pool("server", "server", kubernetes={"nodeSelector": {"disk type": "x"}}),
            ]
        ),
    ),
    refuses(
        "two slashes in an annotation key",
        "cluster/qualified-keys",
        cluster(defaults={"common": {"kubernetes": {"podAnnotations": {"a/b/c": "x"}}}}),
    ),
    # -- PinotCluster: NetworkPolicyPeers, as the API server takes them in a NetworkPolicy.
    accepts("selectors together", "cluster/peer-kind", peers({"podSelector": {}, "namespaceSelector": {}})),
    accepts("an ipBlock alone", "cluster/peer-kind", peers({"ipBlock": {"cidr": "10.0.0.0/8"}})),
    refuses("an empty peer", "cluster/peer-kind", peers({})),
    refuses(
        "an ipBlock with a selector",
        "cluster/peer-kind",
        peers({"ipBlock": {"cidr": "10.0.0.0/8"}, "podSelector": {}}),
    ),
    accepts("In with values", "cluster/selector-values", peers(requirement("In", ["a", "b"]))),
    accepts("Exists without values", "cluster/selector-values", peers(requirement("Exists"))),
    refuses("NotIn without values", "cluster/selector-values", peers(requirement("NotIn", []))),
    refuses("DoesNotExist with values", "cluster/selector-values", peers(requirement("DoesNotExist", ["a"]))),
    # -- PinotSchema and PinotTable: Pinot refuses '__' in their names.
    accepts("one underscore", "schema/no-double-underscore", schema(schemaName="web_events")),
    refuses("two underscores", "schema/no-double-underscore", schema(schemaName="web__events")),
    accepts(
        "a type suffix", "table/no-double-underscore", table(tableName="events_OFFLINE", tableType="OFFLINE")
    ),
    refuses(
        "two underscores", "table/no-double-underscore", table(tableName="web__events", tableType="OFFLINE")
    ),
    # -- PinotTenant.
    accepts(
        "separate offline and realtime instances",
        "tenant/server-counts",
        tenant(numberOfInstances=2, offlineInstances=1, realtimeInstances=1),
    ),
    accepts(
        "co-located instances (O + R > N)",
        "tenant/server-counts",
        tenant(numberOfInstances=2, offlineInstances=2, realtimeInstances=2),
    ),
    accepts(
        "realtime unset (counts as 0)",
        "tenant/server-counts",
        tenant(numberOfInstances=1, offlineInstances=1),
    ),
    accepts(
        "a broker tenant (counts not compared)",
        "tenant/server-counts",
        tenant("BROKER", numberOfInstances=1, offlineInstances=3),
    ),
    refuses(
        "more offline than total",
        "tenant/server-counts",
        tenant(numberOfInstances=1, offlineInstances=2, realtimeInstances=1),
    ),
    refuses(
        "more realtime than total",
        "tenant/server-counts",
        tenant(numberOfInstances=1, offlineInstances=1, realtimeInstances=2),
    ),
    refuses(
        "counts without numberOfInstances",
        "tenant/server-counts",
        tenant(offlineInstances=1),
        also=("'numberOfInstances' is a required property",),
    ),
    accepts(
        "only realtime instances", "tenant/server-tags-some", tenant(numberOfInstances=1, realtimeInstances=1)
    ),
    refuses("no offline or realtime instances", "tenant/server-tags-some", tenant(numberOfInstances=2)),
    refuses(
        "zero offline and realtime instances",
        "tenant/server-tags-some",
        tenant(numberOfInstances=2, offlineInstances=0, realtimeInstances=0),
    ),
    accepts(
        "a broker tenant (not checked by the server rule)",
        "tenant/server-tags-some",
        tenant("BROKER", numberOfInstances=1),
    ),
    accepts("a broker tenant of one", "tenant/broker-not-empty", tenant("BROKER", numberOfInstances=1)),
    refuses("a broker tenant of none", "tenant/broker-not-empty", tenant("BROKER", numberOfInstances=0)),
    accepts(
        "a server tenant (not checked by the broker rule)",
        "tenant/broker-not-empty",
        tenant(numberOfInstances=1, offlineInstances=1),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_rule(case: Case) -> None:
    report = check_custom_resource(case.obj, case.old)
    if case.passes:
        assert report.errors == []
        return
    assert {failure.rule.rule for failure in report.rules} == {RULES[case.rule]}, report.errors
    unexpected = [e for e in report.schema if not any(text in e for text in case.also)]
    assert unexpected == []
    assert all(any(text in e for e in report.schema) for text in case.also)
    [failure] = report.rules
    assert str(failure) in validate_custom_resource(case.obj, case.old)
    assert failure.rule.message in str(failure)


# Required names and the table type are the schema's (required, minLength, enum), not rules'.
SCHEMA_REFUSALS = [
    ("no schemaName", schema(), "spec.schema: 'schemaName' is a required property"),
    ("an empty schemaName", schema(schemaName=""), "spec.schema.schemaName: '' should be non-empty"),
    ("no tableName", table(tableType="OFFLINE"), "spec.table: 'tableName' is a required property"),
    ("an empty tableName", table(tableName="", tableType="OFFLINE"), "spec.table.tableName: ''"),
    ("no tableType", table(tableName="events"), "spec.table: 'tableType' is a required property"),
    ("a lower-case tableType", table(tableName="events", tableType="offline"), "spec.table.tableType"),
    ("HYBRID", table(tableName="events", tableType="HYBRID"), "spec.table.tableType: 'HYBRID' is not one of"),
]


@pytest.mark.parametrize(
    ("obj", "error"), [c[1:] for c in SCHEMA_REFUSALS], ids=[c[0] for c in SCHEMA_REFUSALS]
)
def test_pinot_names_and_table_types_are_refused_by_the_schema(obj: JsonObject, error: str) -> None:
    report = check_custom_resource(obj)
    assert report.rules == []
    assert any(found.startswith(error) for found in report.schema), report.schema
    field = error.split(":")[0]
    assert all(found.startswith(field) for found in report.schema), report.schema


@pytest.mark.parametrize(
    "obj",
    [
        schema(schemaName="events"),
        table(tableName="events", tableType="OFFLINE"),
        table(tableName="e", tableType="REALTIME"),
    ],
)
def test_named_pinot_documents_are_accepted(obj: JsonObject) -> None:
    assert validate_custom_resource(obj) == []


def test_every_rule_has_an_id() -> None:
    assert set(RULES.values()) == {rule.rule for rule in all_rules()}  # a rule may sit on many fields


@pytest.mark.parametrize("rule_id", sorted(RULES))
def test_every_rule_has_a_passing_and_a_failing_case(rule_id: str) -> None:
    outcomes = {case.passes for case in CASES if case.rule == rule_id}
    assert outcomes == {True, False}


def test_transition_rule_is_skipped_on_create() -> None:
    """Without an old object the immutability rule cannot fire, whatever clusterName says."""
    assert validate_custom_resource(cluster(clusterName="anything")) == []


def test_immutability_error_points_at_cluster_name() -> None:
    errors = validate_custom_resource(cluster(clusterName="b"), old=cluster(clusterName="a"))
    assert len(errors) == 1
    assert errors[0].startswith("spec.clusterName: spec.clusterName is immutable")


def test_child_name_error_points_at_pools() -> None:
    errors = validate_custom_resource(cluster("c" * 40, [*SHORT_POOLS, pool("s" * 11, "server")]))
    assert [e.split(":")[0] for e in errors] == ["spec.pools"]
