"""Inputs the fuzzers found answered with a 5xx (or a silently altered 200), kept as plain tests."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from hooks.app import create_app
from hooks.children import LAST_APPLIED
from tests.cluster import builders as cluster
from tests.fuzz.asgi import AsgiClient
from tests.fuzz.checks import check_answer
from tests.resources import builders as resources

JsonObject = dict[str, Any]


@pytest.fixture(scope="module")
def client() -> Iterator[AsgiClient]:
    app_client = AsgiClient(create_app(clock=lambda: cluster.NOW))
    yield app_client
    app_client.close()


def table(change: Callable[[JsonObject], None]) -> bytes:
    obj = resources.parent("PinotTable")
    change(obj)
    return json.dumps(resources.request_body(obj)).encode()


def post(client: AsgiClient, path: str, body: bytes, finalizing: bool = False) -> tuple[int, Any]:
    reply = client.post(path, body)
    assert reply.escaped is None, reply.escaped
    hook = path.split("/")[1]
    return reply.status, check_answer(hook, reply.status, reply.headers, reply.body, finalizing=finalizing)


def test_a_generation_beyond_int64_is_no_metacontroller_request(client: AsgiClient) -> None:
    # Was a text/plain 500: observedGeneration failed to encode, and the log line again.
    status, answer = post(client, "/sync/pinottable", table(lambda p: p["metadata"].update(generation=2**64)))
    assert status == 422
    assert answer["details"][0]["loc"] == "parent.metadata.generation"


def test_an_integer_beyond_64_bits_in_a_document_is_read_as_kubernetes_stores_it(client: AsgiClient) -> None:
    # Was a 500: the integer reached the Job's document, and orjson refused to encode it.
    big = 123456789012345678901234567890
    status, answer = post(client, "/sync/pinottable", table(lambda p: p["spec"]["table"].update(x=big)))
    assert status == 200
    config = next(c for c in answer["children"] if c["kind"] == "ConfigMap")
    assert json.loads(config["data"]["table.json"])["x"] == float(big)


@pytest.mark.parametrize("token", [b"NaN", b"-Infinity", b"1e400"])
def test_a_number_json_has_not_is_refused_not_turned_into_null(client: AsgiClient, token: bytes) -> None:
    # Was a 200 whose Job told Pinot `"x": null`: the parser took NaN and 1e400, the encoder wrote null.
    body = table(lambda p: p["spec"]["table"].update(x="TOKEN")).replace(b'"TOKEN"', token)
    status, _ = post(client, "/sync/pinottable", body)
    assert status == 422


@pytest.mark.parametrize(("depth", "expected"), [(244, 200), (245, 422), (300, 422), (1100, 422)])
def test_nesting_is_refused_before_it_could_not_be_encoded(
    client: AsgiClient, depth: int, expected: int
) -> None:
    # A pool's env lands two levels deeper in the StatefulSet than in the spec; orjson stops at 254.
    obj = cluster.parent()
    obj["spec"]["pools"][0]["kubernetes"] = {"env": [{"name": "A", "valueFrom": "DEEP"}]}
    body = json.dumps(cluster.request_body(obj)).encode()
    body = body.replace(b'"DEEP"', b"[" * depth + b"1" + b"]" * depth)
    status, answer = post(client, "/sync/pinotcluster", body)
    assert status == expected
    if depth in (245, 300):
        assert answer["error"] == "a value in the request is nested deeper than 252 levels"


@pytest.mark.parametrize("depth", [245, 1000])
def test_deep_values_the_hook_never_returns_do_not_refuse_the_request(client: AsgiClient, depth: int) -> None:
    # The status of an observed StatefulSet is read for a few numbers, never returned.
    def deepen(_: JsonObject, children: dict[str, JsonObject]) -> None:
        children["StatefulSet/demo-hot"]["status"]["conditions"] = "DEEP"

    body = _cluster_with_junk(deepen).replace(b'"DEEP"', b"[" * depth + b"]" * depth)
    status, answer = post(client, "/sync/pinotcluster", body)
    assert status == 200
    assert any(c["metadata"]["name"] == "demo-hot" and c["kind"] == "StatefulSet" for c in answer["children"])


@pytest.mark.parametrize(
    "damaged",
    [
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": [1]},
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x", "labels": ["a"]}},
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x", "annotations": {"a": 1}}},
        {"metadata": {"name": "x"}},
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": 5}},
    ],
    ids=["metadata-list", "labels-list", "annotation-number", "no-apiversion", "name-number"],
)
@pytest.mark.parametrize("field", ["children", "related"])
def test_an_observed_object_that_is_no_kubernetes_object_gets_422(
    client: AsgiClient, damaged: JsonObject, field: str
) -> None:
    # Were 500s (AttributeError in Observed.index, KeyError in sort_children when an invalid spec
    # keeps every observed child), or were passed on as children without apiVersion or name.
    for path, obj in (
        ("/sync/pinotcluster", cluster.parent()),
        ("/sync/pinotcluster", cluster.parent(spec={})),
        ("/sync/pinottable", resources.parent("PinotTable")),
        ("/sync/pinottable", resources.parent("PinotTable", spec={})),
    ):
        request = cluster.request_body(obj) if obj["kind"] == "PinotCluster" else resources.request_body(obj)
        request[field]["ConfigMap.v1"] = {"analytics/x": damaged}
        status, answer = post(client, path, json.dumps(request).encode())
        assert status == 422, answer
        assert answer["details"][0]["loc"].startswith(f"{field}.ConfigMap.v1.analytics/x")


def _with_junk(
    kind: str, state: str, damage: Callable[[JsonObject, JsonObject, JsonObject], None], finalizing: bool
) -> bytes:
    """A resource whose Job (in `state`), Pod or related PinotCluster/PinotSchema is damaged."""
    obj = resources.parent(kind)
    if finalizing:
        obj["spec"]["deletionPolicy"] = "Delete"
    job = resources.the_job(resources.finalize(obj, finalizing=finalizing))
    stored = resources.job_in(job, state)
    pod = resources.pod_of(stored, '{"result": "Succeeded", "reason": "Created", "message": "ok"}')
    related = resources.default_related(kind)
    damage(stored, pod, related[0] if kind != "PinotTable" else related[1])
    return json.dumps(resources.request_body(obj, [stored], [*related, pod], finalizing=finalizing)).encode()


def _set(path: str, value: Any) -> Callable[[JsonObject], None]:
    def apply(obj: JsonObject) -> None:
        *parents, last = path.split(".")
        for part in parents:
            obj = obj[int(part)] if isinstance(obj, list) else obj.setdefault(part, {})
        if isinstance(obj, list):
            obj[int(last)] = value
        else:
            obj[last] = value

    return apply


@pytest.mark.parametrize(
    ("kind", "state", "which", "path", "value"),
    [
        ("PinotSchema", "running", "job", "status", "x"),
        ("PinotSchema", "complete", "job", "status.conditions", 5),
        ("PinotSchema", "complete", "pod", "status.containerStatuses.0.state", "x"),
        ("PinotSchema", "running", "pod", "status.containerStatuses.0", ["x"]),
        ("PinotTenant", "failed", "pod", "status", [1]),
        ("PinotTenant", "running", "pod", "metadata.ownerReferences", [1]),
        ("PinotTenant", "running", "pod", "metadata.ownerReferences", 7),
        ("PinotSchema", "running", "related", "status", "x"),
        ("PinotTenant", "running", "related", "spec.auth", [1]),
        ("PinotTable", "running", "related", "spec.schema", 3),
        ("PinotTable", "running", "related", "status.conditions", 1),
    ],
)
def test_junk_below_an_observed_objects_metadata_reads_as_absent(
    client: AsgiClient, kind: str, state: str, which: str, path: str, value: Any
) -> None:
    # Were 500s: AttributeError or TypeError where a reader took `x.get(...) or {}` for an object.
    def damage(job: JsonObject, pod: JsonObject, related: JsonObject) -> None:
        _set(path, value)({"job": job, "pod": pod, "related": related}[which])

    for hook in ("sync", "finalize"):
        finalizing = hook == "finalize"
        body = _with_junk(kind, state, damage, finalizing)
        status, _ = post(client, f"/{hook}/{kind.lower()}", body, finalizing)
        assert status == 200


def _cluster_with_junk(damage: Callable[[JsonObject, dict[str, JsonObject]], None]) -> bytes:
    """A cluster whose every pool is up, but for `damage` done to its parent or observed children
    (keyed `Kind/name`); pool "cold" was removed from the spec, so its children are scaled down."""
    from tests.fuzz.strategies import BASES

    request = json.loads(json.dumps(BASES["/sync/pinotcluster"][3]))
    children = {
        f"{obj['kind']}/{obj['metadata']['name']}": obj
        for g in request["children"].values()
        for obj in g.values()
    }
    damage(request["parent"], children)
    return json.dumps(request).encode()


@pytest.mark.parametrize(
    ("child", "path", "value"),
    [
        ("StatefulSet/demo-hot", "status.readyReplicas", ""),
        ("StatefulSet/demo-hot", "status.replicas", [1]),
        ("StatefulSet/demo-hot", "status", "x"),
        ("StatefulSet/demo-hot", "spec", 1),
        ("StatefulSet/demo-hot", "spec.replicas", None),
        ("StatefulSet/demo-hot", "metadata.generation", "one"),
        ("StatefulSet/demo-hot", "spec.volumeClaimTemplates", "abc"),
        ("StatefulSet/demo-hot", "spec.volumeClaimTemplates.0", 7),
        (
            "StatefulSet/demo-hot",
            "spec.volumeClaimTemplates",
            [{"metadata": {"name": 5}}, {"metadata": {}}, {}],
        ),
        ("StatefulSet/demo-cold", "spec", [1]),
        ("StatefulSet/demo-cold", "spec.replicas", "two"),
    ],
)
def test_junk_in_an_observed_statefulset_reads_as_absent(
    client: AsgiClient, child: str, path: str, value: Any
) -> None:
    # Were 500s: int("") and int([1]) on status counts, AttributeError on a spec or status that is
    # no object, TypeError sorting claim names of two types.
    status, _ = post(
        client, "/sync/pinotcluster", _cluster_with_junk(lambda _, c: _set(path, value)(c[child]))
    )
    assert status == 200


@pytest.mark.parametrize("pools", [1.5, 7])
def test_junk_pools_in_the_previous_status_read_as_absent(client: AsgiClient, pools: Any) -> None:
    # Was a 500: TypeError iterating a float as status.pools.
    status, _ = post(
        client, "/sync/pinotcluster", _cluster_with_junk(lambda p, _: p["status"].update(pools=pools))
    )
    assert status == 200


@pytest.mark.parametrize(
    "record",
    [
        {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": [1]},
        {"kind": "StatefulSet", "metadata": {"name": "demo-cold"}},
        {"apiVersion": 1, "kind": "StatefulSet", "metadata": {"name": "demo-cold"}},
        {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "demo-cold", "labels": 3}},
        {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "demo-cold"}, "spec": "DEEP"},
    ],
    ids=["metadata-list", "no-apiversion", "apiversion-number", "labels-number", "deep"],
)
@pytest.mark.parametrize("parent", ["removed-pool", "paused", "invalid"])
def test_a_last_applied_record_that_is_no_child_we_sent_is_not_returned(
    client: AsgiClient, record: JsonObject, parent: str
) -> None:
    # Were 500s: AttributeError reading the record's name, KeyError 'apiVersion' in sort_children,
    # orjson's "Recursion limit reached" for a record nested deeper than an answer may be.
    text = json.dumps(record).replace('"DEEP"', "[" * 300 + "]" * 300)

    def damage(obj: JsonObject, children: dict[str, JsonObject]) -> None:
        children["StatefulSet/demo-cold"]["metadata"]["annotations"][LAST_APPLIED] = text
        if parent == "paused":
            obj["spec"]["paused"] = True
        elif parent == "invalid":
            obj["spec"]["pools"][0]["replicas"] = "three"

    status, answer = post(client, "/sync/pinotcluster", _cluster_with_junk(damage))
    assert status == 200
    cold = next(
        c for c in answer["children"] if c["metadata"]["name"] == "demo-cold" and c["kind"] == "StatefulSet"
    )
    assert cold["apiVersion"] == "apps/v1"
    assert cold["metadata"]["labels"]["app.kubernetes.io/instance"] == "demo"  # as observed, not the record


@pytest.mark.parametrize("reason", [1.0, "not a reason", "x" * 2000, ["Rolling"], {"a": 1}, "Rolling out"])
def test_an_invalid_spec_does_not_carry_over_a_condition_we_could_not_have_written(
    client: AsgiClient, reason: Any
) -> None:
    # Was a 500: Condition refused the previous Progressing reason (ValueError: invalid condition
    # reason '1.0') while an invalid spec kept the other conditions as they were.
    def damage(obj: JsonObject, _: dict[str, JsonObject]) -> None:
        obj["spec"]["pools"][0]["replicas"] = "three"
        for condition in obj["status"]["conditions"]:
            if condition["type"] == "Progressing":
                condition["reason"] = reason

    status, answer = post(client, "/sync/pinotcluster", _cluster_with_junk(damage))
    assert status == 200
    conditions = {c["type"]: c for c in answer["status"]["conditions"]}
    assert conditions["Ready"]["reason"] == "InvalidSpec"
    assert (conditions["Progressing"]["status"], conditions["Progressing"]["reason"]) == (
        "Unknown",
        "InvalidSpec",
    )


@pytest.mark.parametrize("at", ["9999-12-31T23:59:30Z", "9999-12-31T23:59:59+00:00"])
@pytest.mark.parametrize("hook", ["sync", "finalize"])
def test_a_job_failed_at_the_end_of_the_calendar_is_retried_as_if_its_time_were_unknown(
    client: AsgiClient, at: str, hook: str
) -> None:
    # Was a 500: OverflowError (date value out of range) adding the backoff to the failure time.
    finalizing = hook == "finalize"
    obj = resources.parent("PinotSchema")
    obj["spec"]["deletionPolicy"] = "Delete"
    job = resources.the_job(resources.finalize(obj, finalizing=finalizing))
    body = resources.request_body(obj, [resources.job_in(job, "failed", at=at)], finalizing=finalizing)
    status, answer = post(client, f"/{hook}/pinotschema", json.dumps(body).encode(), finalizing)
    assert status == 200
    assert answer["resyncAfterSeconds"] == 5  # retried now: the Job is left out, then recreated
    assert not any(c["kind"] == "Job" for c in answer["children"])


def test_a_rejection_does_not_repeat_a_huge_key_in_every_error(client: AsgiClient) -> None:
    # Was a 422 of 20 times the request: a 15 MB body answered with 300 MB in 9 s, as each of the
    # 20 errors named its location with the whole 15 MB children key.
    request = cluster.request_body(cluster.parent())
    request["children"] = {"k" * 2_000_000: {str(i): 1 for i in range(30)}}
    status, answer = post(client, "/sync/pinotcluster", json.dumps(request).encode())
    assert status == 422
    assert len(json.dumps(answer)) < 50_000
    assert len(answer["details"]) == 20
    assert answer["details"][0]["loc"] == "children." + "k" * 97 + "....0"


def test_more_pools_than_the_crd_allows_is_an_invalid_spec(client: AsgiClient) -> None:
    # Was a 200 after 12 s with 14 MB of status (one entry per pool) for 60,000 pools in 2 MB;
    # a 16 MB body of pools kept the hook busy for minutes, far past Metacontroller's timeout.
    obj = cluster.parent()
    obj["spec"]["pools"] += [{"name": f"s{i}", "role": "server"} for i in range(60_000)]
    status, answer = post(client, "/sync/pinotcluster", json.dumps(cluster.request_body(obj)).encode())
    assert status == 200
    ready = next(c for c in answer["status"]["conditions"] if c["type"] == "Ready")
    assert ready["reason"] == "InvalidSpec"
    assert "spec.pools: List should have at most 32 items" in ready["message"]
    assert len(json.dumps(answer)) < 10_000


def test_a_termination_message_of_millions_of_lines_is_read_from_its_tail(client: AsgiClient) -> None:
    # Was 14 s for 5,000,000 lines (10 MB) without an outcome line: each was tried as one.
    obj = resources.parent("PinotSchema")
    stored = resources.job_in(resources.the_job(resources.sync(obj)), "failed")
    pod = resources.pod_of(stored, "x\n" * 5_000_000, exit_code=1)
    body = json.dumps(resources.request_body(obj, [stored], [*resources.default_related("PinotSchema"), pod]))
    started = time.monotonic()
    status, answer = post(client, "/sync/pinotschema", body.encode())
    assert time.monotonic() - started < 5
    assert status == 200
    assert answer["status"]["lastOutcome"]["reason"] == "JobFailed"
