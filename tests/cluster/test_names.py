"""Names, labels, images and numbers a PinotCluster spec carries: whatever the API server or Pinot
would refuse in a child gets InvalidSpec naming the field, and keeps the children as they are.

Each case also goes through the CRD (tests/crds/crdcheck.py): the API server refuses the same
value at admission, except where noted (a label key prefix longer than 253 characters, which the
CRD can bound only through the key's whole length).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

import pytest

from hooks.children import as_observed, sort_children
from hooks.cluster.sync import sync_cluster
from hooks.cluster.validation import parse_spec
from hooks.cluster.workload import spread_constraints
from tests.cluster.builders import BASE_SPEC, NOW, example, parent, request
from tests.cluster.rounds import Rounds
from tests.crds.crdcheck import validate_custom_resource

Path = tuple[str | int, ...]


@dataclass(frozen=True)
class Case:
    id: str
    path: Path  # where in the spec the value goes
    value: Any
    field: str  # what the message names
    crd_refuses: bool = True


def cases(path: Path, field: str, *values: Any) -> list[Case]:
    return [Case(f"{field}={value!r}", path, value, field) for value in values]


POOL = ("pools", 2)
KUBE = (*POOL, "kubernetes")
INVALID = [
    *cases(
        ("clusterName",),
        "spec.clusterName",
        "pinot prod",
        "a/b",
        ".",
        "..",
        "pinot\ncontroller.zk.str=evil:2181",
        "pinot\\",
        "-pinot",
        "pinot:1",
        "",
    ),
    *cases(
        ("zookeeper", "address"),
        "spec.zookeeper.address",
        "zk:2181\ncontroller.port=1",
        "zk",
        "zk:0",
        "zk:65536",
        "zk:2181,",
        "zk:2181/",
        "zk:2181/pinot/../x",
        "zk:2181/.hidden",
        "zk:2181 ",
        "zk :2181",
        "zk:2181/a b",
        "zk:2181\\",
    ),
    *cases((*KUBE, "podLabels"), "spec.pools[2].kubernetes.podLabels['bad key!']", {"bad key!": "x"}),
    *cases((*KUBE, "podLabels"), "spec.pools[2].kubernetes.podLabels['a/b/c']", {"a/b/c": "x"}),
    *cases(
        (*KUBE, "podLabels"), "spec.pools[2].kubernetes.podLabels['Example.com/x']", {"Example.com/x": "x"}
    ),
    *cases((*KUBE, "podLabels"), f"spec.pools[2].kubernetes.podLabels['{'k' * 64}']", {"k" * 64: "x"}),
    *cases((*KUBE, "podLabels"), "spec.pools[2].kubernetes.podLabels['team']", {"team": "bad value!"}),
    *cases((*KUBE, "podLabels"), "spec.pools[2].kubernetes.podLabels['team']", {"team": "v" * 64}),
    *cases((*KUBE, "podLabels"), "spec.pools[2].kubernetes.podLabels['team']", {"team": "-v"}),
    *cases(
        (*KUBE, "nodeSelector"), "spec.pools[2].kubernetes.nodeSelector['disk type']", {"disk type": "ssd"}
    ),
    *cases(
        (*KUBE, "nodeSelector"), "spec.pools[2].kubernetes.nodeSelector['disktype']", {"disktype": "ssd/hdd"}
    ),
    *cases(
        (*KUBE, "podAnnotations"), "spec.pools[2].kubernetes.podAnnotations['bad key!']", {"bad key!": "x"}
    ),
    *cases(
        ("defaults", "broker", "kubernetes", "service", "annotations"),
        "spec.defaults.broker.kubernetes.service.annotations['a b']",
        {"a b": "x"},
    ),
    Case(
        "a label key prefix over 253 characters",
        (*KUBE, "podLabels"),
        {"a" * 254 + "/x": "v"},
        f"spec.pools[2].kubernetes.podLabels['{'a' * 254}/x']",
        crd_refuses=False,
    ),
    *cases(
        (*KUBE, "storage", "storageClassName"),
        "spec.pools[2].kubernetes.storage.storageClassName",
        "Foo Bar/..",
        "fast_ssd",
        "-ssd",
    ),
    *cases((*KUBE, "serviceAccountName"), "spec.pools[2].kubernetes.serviceAccountName", "Pinot Server"),
    *cases((*KUBE, "priorityClassName"), "spec.pools[2].kubernetes.priorityClassName", "HIGH"),
    *cases(("imagePullSecrets",), "spec.imagePullSecrets[0].name", [{"name": "Registry Key"}]),
    *cases(("auth",), "spec.auth.secretRef.name", {"secretRef": {"name": "admin/password"}}),
    *cases(
        ("image",),
        "spec.image",
        "apachepinot/pinot:1.3.0\n",
        "apachepinot/pinot:1.3.0 ",
        " apachepinot/pinot",
        "Apache/Pinot:1.3.0",
        "apachepinot/pinot:",
        "apachepinot/pinot:1.3.0@sha256:short",
        "apachepinot//pinot",
    ),
    *cases((*POOL, "image"), "spec.pools[2].image", "pinot\nserver", "pinot server:1"),
    *cases((*POOL, "replicas"), "spec.pools[2].replicas", 2**31, 2**40, -1),
    *cases(("rollout", "progressDeadlineSeconds"), "spec.rollout.progressDeadlineSeconds", 2**31),
    *cases(
        (*KUBE, "terminationGracePeriodSeconds"),
        "spec.pools[2].kubernetes.terminationGracePeriodSeconds",
        2**63,
    ),
]

VALID = [
    (("clusterName",), "Pinot_Cluster-1.prod"),
    (("zookeeper", "address"), "zk-0.zk.svc:2181,zk-1.zk.svc:2181,10.0.0.3:2181,[::1]:2181/pinot/prod_1"),
    (("image",), "registry.example.com:5000/data/apache-pinot/pinot:1.3.0-jdk17"),
    (("image",), "apachepinot/pinot@sha256:" + "0123456789abcdef" * 4),
    (("image",), "localhost/pinot:latest@sha256:" + "a" * 64),
    ((*KUBE, "podLabels"), {"app.kubernetes.io/part-of": "pinot", "tier": "", "x": "a.b_c-d"}),
    ((*KUBE, "nodeSelector"), {"kubernetes.io/arch": "amd64", "node.example.com/disk": "ssd"}),
    ((*KUBE, "podAnnotations"), {"prometheus.io/scrape": "true", "note": "anything goes: here\n"}),
    ((*KUBE, "storage"), {"storageClassName": "ssd.example.com"}),
    ((*POOL, "replicas"), 2**31 - 1),
]


def spec_with(path: Path, value: Any) -> dict[str, Any]:
    spec = copy.deepcopy(BASE_SPEC)
    target: Any = spec
    for part in path[:-1]:
        target = target[part] if isinstance(part, int) else target.setdefault(part, {})
    target[path[-1]] = value
    return spec


@pytest.mark.parametrize("case", INVALID, ids=[c.id for c in INVALID])
def test_the_hook_refuses_naming_the_field(case: Case) -> None:
    parsed, errors = parse_spec(spec_with(case.path, case.value), "demo")
    assert parsed is None
    assert [e.field for e in errors] == [case.field], [str(e) for e in errors]


@pytest.mark.parametrize("case", INVALID, ids=[c.id for c in INVALID])
def test_the_crd_refuses_it_at_admission(case: Case) -> None:
    obj = parent(spec_with(case.path, case.value))
    del obj["metadata"]["uid"], obj["metadata"]["generation"]
    errors = validate_custom_resource(obj)
    assert bool(errors) is case.crd_refuses, errors


@pytest.mark.parametrize(("path", "value"), VALID, ids=[repr(v)[:60] for _, v in VALID])
def test_valid_names_pass_both(path: Path, value: Any) -> None:
    spec = spec_with(path, value)
    assert parse_spec(spec, "demo")[1] == []
    obj = parent(spec)
    del obj["metadata"]["uid"], obj["metadata"]["generation"]
    assert validate_custom_resource(obj) == []


@pytest.fixture(scope="module")
def settled() -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A cluster whose every pool is up, and its children as stored."""
    rounds = Rounds(parent())
    for _ in range(20):
        rounds.step()
    return rounds.parent, list(rounds.children.values())


@pytest.mark.parametrize("case", INVALID, ids=[c.id for c in INVALID])
def test_an_invalid_value_keeps_every_child_as_it_is(
    case: Case, settled: tuple[dict[str, Any], list[dict[str, Any]]]
) -> None:
    cluster, children = settled
    changed = copy.deepcopy(cluster)
    changed["spec"] = spec_with(case.path, case.value)
    body = sync_cluster(request(changed, children), NOW).body
    ready = next(c for c in body["status"]["conditions"] if c["type"] == "Ready")
    assert (ready["status"], ready["reason"]) == ("False", "InvalidSpec")
    assert case.field in ready["message"]
    assert body["children"] == sort_children([as_observed(c) for c in children])


def test_a_label_key_ending_in_a_line_break_is_refused() -> None:
    """Python's `$` matches before a final newline; the API server's does not, and neither does the hook."""
    _, errors = parse_spec(spec_with((*KUBE, "podLabels"), {"team\n": "x"}), "demo")
    assert [e.field for e in errors] == ["spec.pools[2].kubernetes.podLabels['team\\n']"]


def test_a_spread_constraint_without_a_selector_spreads_the_pools_own_pods() -> None:
    constraints = example("cluster-heterogeneous.yaml")["spec"]["defaults"]["common"]["kubernetes"][
        "topologySpreadConstraints"
    ]
    assert "labelSelector" not in constraints[0]
    [defaulted] = spread_constraints(constraints, "pinot", "servers-hot")
    assert defaulted == {
        **constraints[0],
        "labelSelector": {
            "matchLabels": {
                "pinot.controlplane.dev/cluster": "pinot",
                "pinot.controlplane.dev/pool": "servers-hot",
            }
        },
    }


def test_a_spread_constraint_with_its_own_selector_is_kept() -> None:
    own = {"maxSkew": 1, "topologyKey": "zone", "whenUnsatisfiable": "DoNotSchedule"}
    own["labelSelector"] = {"matchLabels": {"app": "x"}}
    assert spread_constraints([own], "pinot", "hot") == [own]
    assert spread_constraints(None, "pinot", "hot") is None


def test_the_rendered_example_spreads_every_pool_by_its_own_pods() -> None:
    cluster = example("cluster-heterogeneous.yaml")
    rounds = Rounds(cluster)
    for _ in range(20):
        body = rounds.step()
    statefulsets = [c for c in body["children"] if c["kind"] == "StatefulSet"]
    assert len(statefulsets) == 5
    for sts in statefulsets:
        [constraint] = sts["spec"]["template"]["spec"]["topologySpreadConstraints"]
        assert constraint["labelSelector"] == sts["spec"]["selector"]
