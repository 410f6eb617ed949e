"""The simulator itself behaves as the contract and Kubernetes say, so scenarios can trust it.

Metacontroller behaviour is exercised with small stand-in hooks (`hooks.app.Route`s that return
canned bodies) in place of the product's, for the PinotCluster and PinotSchema controllers read
from `metacontroller/`.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest

from hooks.app import Route, create_app
from hooks.contract import CustomizeRequest, HookRequest
from hooks.decision import Decision
from tests.sim import defaults, invariants
from tests.sim.apiserver import ApiError, ApiServer, ObjectKey
from tests.sim.clock import SimClock
from tests.sim.controllers import Invocation, JobBinding, RunResult, StatefulSetController, ready_after
from tests.sim.kinds import Registry
from tests.sim.merge import detect_list_map_key, three_way_merge
from tests.sim.metacontroller import LAST_APPLIED, ContractViolation, HotLoop
from tests.sim.specs import NAMESPACE, cluster, cluster_key
from tests.sim.world import SimOptions, Simulation

JsonObject = dict[str, Any]
Answer = Callable[[HookRequest], JsonObject]


def config_map(name: str, **data: str) -> JsonObject:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": dict(data)}


def body(children: list[JsonObject], status: JsonObject | None = None, **extra: Any) -> JsonObject:
    return {
        "status": status or {},
        "children": children,
        "resyncAfterSeconds": 0,
        "finalized": False,
        **extra,
    }


def _no_related(request: CustomizeRequest, now: datetime) -> Decision:
    return Decision({"relatedResources": []}, "stand-in")


# The PinotCluster's customize hook, for apps that stand in for the product's.
NO_RELATED = Route("/customize/pinotcluster", "stand-in-customize", CustomizeRequest, _no_related)


class StandIn:
    """A hook app whose sync answers are set by the test, recording every request it gets."""

    def __init__(self, path: str = "/sync/pinotcluster") -> None:
        self.answer: Answer = lambda request: body([])
        self.requests: list[HookRequest] = []
        self.app = create_app(routes=[Route(path, "stand-in", HookRequest, self._handle), NO_RELATED])

    def _handle(self, request: HookRequest, now: datetime) -> Decision:
        self.requests.append(request)
        return Decision(self.answer(request), "stand-in")


@pytest.fixture
def stand_in() -> StandIn:
    return StandIn()


def simulate(stand_in: StandIn, **options: Any) -> Simulation:
    return Simulation(app=stand_in.app, options=SimOptions(**options))


def touch(sim: Simulation) -> None:
    """An edit of the parent that is not a spec change: an event, so Metacontroller syncs."""
    parent = sim.api.get_key(cluster_key())
    assert parent is not None
    parent["metadata"].setdefault("annotations", {})["touched"] = str(sim.api.step)
    sim.api.update(parent, "kubectl")
    sim.settle()


# ------------------------------------------------------------------------------------ merge


def test_merge_removes_what_was_applied_before_and_keeps_what_others_set() -> None:
    observed = {"data": {"a": "1", "b": "2", "server": "x"}}
    merged = three_way_merge(observed, {"data": {"a": "1", "b": "2"}}, {"data": {"a": "9"}})
    assert merged == {"data": {"a": "9", "server": "x"}}


def test_merge_keys_lists_by_the_first_conventional_key_every_item_has() -> None:
    assert (
        detect_list_map_key([{"name": "a", "mountPath": "/x"}], [{"name": "b", "mountPath": "/y"}])
        == "mountPath"
    )
    assert detect_list_map_key([{"name": "a", "port": 1}, {"name": "b"}]) == "name"
    assert detect_list_map_key([{"value": 1}]) == ""
    assert detect_list_map_key(["a", "b"]) == ""


def test_merge_merges_containers_by_name_keeping_server_defaults_and_order() -> None:
    observed = {
        "containers": [
            {"name": "side", "image": "s", "terminationMessagePath": "/dev/termination-log"},
            {"name": "main", "image": "m:1", "imagePullPolicy": "IfNotPresent"},
        ]
    }
    last = {"containers": [{"name": "main", "image": "m:1"}, {"name": "side", "image": "s"}]}
    desired = {"containers": [{"name": "main", "image": "m:2"}, {"name": "new", "image": "n"}]}
    assert three_way_merge(observed, last, desired) == {
        "containers": [
            {"name": "main", "image": "m:2", "imagePullPolicy": "IfNotPresent"},
            {"name": "new", "image": "n"},
        ]
    }


def test_merge_replaces_lists_without_a_conventional_key_whole() -> None:
    observed = {"args": ["a", "b"], "claims": [{"spec": 1, "status": {"phase": "Bound"}}]}
    merged = three_way_merge(observed, None, {"args": ["c"], "claims": [{"spec": 1}]})
    assert merged == {"args": ["c"], "claims": [{"spec": 1}]}


# ------------------------------------------------------------------------------------ API server


@pytest.fixture
def api() -> ApiServer:
    return ApiServer(Registry.default(), SimClock())


def statefulset(name: str = "web", size: str = "1.5Gi") -> JsonObject:
    return {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"name": name, "namespace": NAMESPACE},
        "spec": {
            "replicas": 2,
            "serviceName": name,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {
                    "containers": [
                        {
                            "name": "c",
                            "image": "img:1",
                            "ports": [{"containerPort": 80}],
                            "readinessProbe": {"httpGet": {"port": 80}},
                            "resources": {"limits": {"memory": size, "cpu": "0.5"}},
                        }
                    ]
                },
            },
            "volumeClaimTemplates": [
                {"metadata": {"name": "data"}, "spec": {"resources": {"requests": {"storage": size}}}}
            ],
        },
    }


def test_statefulsets_are_stored_defaulted_and_canonical(api: ApiServer) -> None:
    stored = api.create(statefulset(), "test")
    spec = stored["spec"]
    assert spec["podManagementPolicy"] == "OrderedReady"
    assert spec["revisionHistoryLimit"] == 10
    assert spec["updateStrategy"] == {"type": "RollingUpdate", "rollingUpdate": {"partition": 0}}
    assert spec["persistentVolumeClaimRetentionPolicy"] == {"whenDeleted": "Retain", "whenScaled": "Retain"}
    pod = spec["template"]["spec"]
    assert (pod["restartPolicy"], pod["dnsPolicy"], pod["schedulerName"]) == (
        "Always",
        "ClusterFirst",
        "default-scheduler",
    )
    assert pod["terminationGracePeriodSeconds"] == 30 and pod["securityContext"] == {}
    container = pod["containers"][0]
    assert container["terminationMessagePath"] == "/dev/termination-log"
    assert container["terminationMessagePolicy"] == "File"
    assert container["imagePullPolicy"] == "IfNotPresent"
    assert container["ports"] == [{"containerPort": 80, "protocol": "TCP"}]
    assert container["readinessProbe"] == {
        "httpGet": {"port": 80, "path": "/", "scheme": "HTTP"},
        "timeoutSeconds": 1,
        "periodSeconds": 10,
        "successThreshold": 1,
        "failureThreshold": 3,
    }
    assert container["resources"] == {"limits": {"memory": "1536Mi", "cpu": "500m"}}
    assert spec["volumeClaimTemplates"] == [
        {
            "apiVersion": "v1",
            "kind": "PersistentVolumeClaim",
            "metadata": {"name": "data"},
            "spec": {"resources": {"requests": {"storage": "1536Mi"}}, "volumeMode": "Filesystem"},
            "status": {"phase": "Pending"},
        }
    ]
    assert stored["metadata"]["generation"] == 1 and "status" not in stored


def test_generation_moves_on_spec_changes_only(api: ApiServer) -> None:
    stored = api.create(statefulset(), "test")
    stored["metadata"]["labels"] = {"x": "y"}
    stored = api.update(stored, "test")
    assert stored["metadata"]["generation"] == 1
    stored["status"] = {"replicas": 2}
    stored = api.update_status(stored, "test")
    assert stored["metadata"]["generation"] == 1 and stored["status"] == {"replicas": 2}
    stored["spec"]["replicas"] = 3
    stored["status"] = {"replicas": 99}  # ignored: status only changes through /status
    stored = api.update(stored, "test")
    assert stored["metadata"]["generation"] == 2 and stored["status"] == {"replicas": 2}


def test_an_unchanged_write_is_a_no_op(api: ApiServer) -> None:
    stored = api.create(statefulset(), "test")
    again = api.update(stored, "test")
    assert again["metadata"]["resourceVersion"] == stored["metadata"]["resourceVersion"]
    assert api.writes[-1].noop


@pytest.mark.parametrize(
    ("field", "value"),
    [
        (
            "volumeClaimTemplates",
            [{"metadata": {"name": "data"}, "spec": {"resources": {"requests": {"storage": "9Gi"}}}}],
        ),
        ("selector", {"matchLabels": {"app": "other"}}),
        ("serviceName", "other"),
        ("podManagementPolicy", "Parallel"),
    ],
)
def test_immutable_statefulset_fields_are_refused_and_nothing_is_stored(
    api: ApiServer, field: str, value: Any
) -> None:
    stored = api.create(statefulset(), "test")
    changed = copy.deepcopy(stored)
    changed["spec"][field] = value
    with pytest.raises(ApiError) as refused:
        api.update(changed, "test")
    assert refused.value.code == 422 and field in refused.value.message
    assert api.get("apps/v1", "StatefulSet", NAMESPACE, "web") == stored
    assert not api.writes[-1].ok


def test_mutable_statefulset_fields_are_accepted(api: ApiServer) -> None:
    stored = api.create(statefulset(), "test")
    stored["spec"].update(replicas=5, minReadySeconds=3, updateStrategy={"type": "OnDelete"})
    stored["spec"]["template"]["spec"]["containers"][0]["image"] = "img:2"
    assert api.update(stored, "test")["metadata"]["generation"] == 2


def test_services_get_a_cluster_ip_that_never_changes(api: ApiServer) -> None:
    service: JsonObject = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "s", "namespace": NAMESPACE},
        "spec": {"ports": [{"port": 80, "name": "http"}], "selector": {"app": "s"}},
    }
    stored = api.create(service, "test")
    spec = stored["spec"]
    assert spec["type"] == "ClusterIP" and spec["sessionAffinity"] == "None"
    assert spec["clusterIPs"] == [spec["clusterIP"]] and spec["ipFamilies"] == ["IPv4"]
    assert spec["ports"] == [{"port": 80, "name": "http", "protocol": "TCP", "targetPort": 80}]
    without_ip = copy.deepcopy(service)
    without_ip["spec"]["ports"][0]["port"] = 81
    assert api.update(without_ip, "test")["spec"]["clusterIP"] == spec["clusterIP"]
    moved = copy.deepcopy(without_ip)
    moved["spec"]["clusterIP"] = "10.0.0.1"
    with pytest.raises(ApiError):
        api.update(moved, "test")


def test_jobs_get_a_selector_and_an_immutable_template(api: ApiServer) -> None:
    job = {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": "j", "namespace": NAMESPACE},
        "spec": {
            "template": {"spec": {"restartPolicy": "Never", "containers": [{"name": "c", "image": "i:1"}]}}
        },
    }
    stored = api.create(job, "test")
    uid = stored["metadata"]["uid"]
    spec = stored["spec"]
    assert (spec["completions"], spec["parallelism"], spec["backoffLimit"]) == (1, 1, 6)
    assert spec["selector"] == {"matchLabels": {defaults.JOB_UID_LABEL: uid}}
    assert spec["template"]["metadata"]["labels"]["job-name"] == "j"
    assert spec["podReplacementPolicy"] == "TerminatingOrFailed"
    stored["spec"]["template"]["spec"]["containers"][0]["image"] = "i:2"
    with pytest.raises(ApiError):
        api.update(stored, "test")


def test_custom_resources_are_pruned_defaulted_and_validated(api: ApiServer) -> None:
    obj = cluster()
    obj["spec"]["unknownField"] = 1
    stored = api.create(obj, "test")
    assert "unknownField" not in stored["spec"]
    assert stored["spec"]["paused"] is False and stored["spec"]["rollout"] == {"progressDeadlineSeconds": 900}
    stored["status"] = {"conditions": [], "bogus": 1, "observedGeneration": 1.0}
    stored = api.update_status(stored, "test")
    assert stored["status"] == {"conditions": [], "observedGeneration": 1}
    stored["spec"]["clusterName"] = "renamed"
    with pytest.raises(ApiError) as refused:
        api.update(stored, "test")
    assert "clusterName is immutable" in refused.value.message


def test_deletion_waits_for_finalizers_and_collects_dependents(api: ApiServer) -> None:
    owner = api.create(
        {**config_map("owner"), "metadata": {"name": "owner", "namespace": NAMESPACE, "finalizers": ["x"]}},
        "test",
    )
    ref = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "name": "owner",
        "uid": owner["metadata"]["uid"],
        "controller": True,
    }
    api.create(
        {**config_map("dep"), "metadata": {"name": "dep", "namespace": NAMESPACE, "ownerReferences": [ref]}},
        "test",
    )
    key = ObjectKey("v1", "ConfigMap", NAMESPACE, "owner")
    api.delete(key, "test")
    assert api.get_key(key) is not None and api.get("v1", "ConfigMap", NAMESPACE, "dep") is not None
    pending = api.get_key(key)
    assert pending is not None and pending["metadata"]["deletionTimestamp"]
    pending["metadata"]["finalizers"] = []
    api.update(pending, "test")
    assert api.get_key(key) is None and api.get("v1", "ConfigMap", NAMESPACE, "dep") is None


# ------------------------------------------------------------------------------------ StatefulSet controller


def test_statefulset_rollout_honours_the_partition_in_reverse_ordinal_order(api: ApiServer) -> None:
    clock = SimClock()
    api.clock = clock
    controller = StatefulSetController(api, clock, ready_after(1))
    sts = statefulset()
    sts["spec"]["replicas"] = 3
    sts["spec"]["podManagementPolicy"] = "Parallel"
    sts["spec"]["updateStrategy"] = {"type": "RollingUpdate", "rollingUpdate": {"partition": 1}}

    def tick() -> JsonObject:
        api.step += 1
        clock.advance(10)
        while controller.reconcile_all():
            pass
        found = api.get("apps/v1", "StatefulSet", NAMESPACE, "web")
        assert found is not None
        return found

    api.create(sts, "test")
    tick()
    first = tick()
    assert first["status"]["replicas"] == 3 and first["status"]["readyReplicas"] == 3
    first["spec"]["template"]["spec"]["containers"][0]["image"] = "img:2"
    api.update(first, "test")
    images = []
    for _ in range(4):
        current = tick()
        images.append([p["spec"]["containers"][0]["image"] for p in controller.pods(current).values()])
    assert images[0] == ["img:1", "img:1", "img:2"]
    assert images[-1] == ["img:1", "img:2", "img:2"], "ordinal 0 is below the partition"
    status = tick()["status"]
    assert status["updatedReplicas"] == 2 and status["currentRevision"] != status["updateRevision"]


# ------------------------------------------------------------------------------------ Metacontroller


def test_created_children_carry_last_applied_owner_and_selector_label(stand_in: StandIn) -> None:
    stand_in.answer = lambda request: body([config_map("c", k="v")])
    with simulate(stand_in) as sim:
        sim.apply(cluster())
        parent = sim.api.get_key(cluster_key())
        child = sim.get("v1", "ConfigMap", NAMESPACE, "c")
        assert parent is not None and child is not None
        uid = parent["metadata"]["uid"]
        assert child["metadata"]["labels"] == {"controller-uid": uid}
        assert child["metadata"]["ownerReferences"][0]["uid"] == uid
        assert child["metadata"]["annotations"][LAST_APPLIED] == (
            '{"apiVersion":"v1","data":{"k":"v"},"kind":"ConfigMap","metadata":{"labels":'
            f'{{"controller-uid":"{uid}"}},"name":"c","namespace":"{NAMESPACE}"}}}}'
        )


def test_requests_key_children_by_name_in_v1_and_namespace_slash_name_in_v2(stand_in: StandIn) -> None:
    stand_in.answer = lambda request: body([config_map("c", k="v")])
    keys = {}
    for version in ("v1", "v2"):
        with simulate(stand_in, hook_version=version) as sim:
            sim.apply(cluster())
        last = stand_in.requests[-1]
        assert set(last.children) == {
            "StatefulSet.apps/v1",
            "Service.v1",
            "ConfigMap.v1",
            "PodDisruptionBudget.policy/v1",
            "NetworkPolicy.networking.k8s.io/v1",
            "Job.batch/v1",
        }
        keys[version] = list(last.children["ConfigMap.v1"])
    assert keys == {"v1": ["c"], "v2": [f"{NAMESPACE}/c"]}


def test_a_child_no_longer_returned_is_deleted_and_one_field_less_is_removed(stand_in: StandIn) -> None:
    stand_in.answer = lambda request: body([config_map("a", x="1", y="2"), config_map("b")])
    with simulate(stand_in) as sim:
        sim.apply(cluster())
        stand_in.answer = lambda request: body([config_map("a", x="1")])
        touch(sim)
        assert sim.get("v1", "ConfigMap", NAMESPACE, "b") is None
        a = sim.get("v1", "ConfigMap", NAMESPACE, "a")
        assert a is not None and a["data"] == {"x": "1"}


@pytest.mark.parametrize(
    "answer",
    [
        body([], message="extra"),  # strict decoding: unknown top-level field
        {"status": {}, "children": [], "resyncAfterSeconds": "5", "finalized": False},
        {"status": [], "children": []},
    ],
    ids=["unknown-field", "resync-as-string", "status-a-list"],
)
def test_a_response_strict_decoding_refuses_touches_nothing(stand_in: StandIn, answer: JsonObject) -> None:
    stand_in.answer = lambda request: body([config_map("keep")], {"controllerService": "one"})
    with simulate(stand_in) as sim:
        sim.apply(cluster())
        stand_in.answer = lambda request: answer
        status_before = (sim.api.get_key(cluster_key()) or {}).get("status")
        children_before = [o for o in sim.api.all_objects() if o["kind"] != "PinotCluster"]
        touch(sim)
        assert sim.hook_errors
        assert [o for o in sim.api.all_objects() if o["kind"] != "PinotCluster"] == children_before
        assert (sim.api.get_key(cluster_key()) or {}).get("status") == status_before


def test_a_failing_hook_is_retried_and_nothing_is_touched_meanwhile() -> None:
    calls = []

    def explode(request: HookRequest, now: datetime) -> Decision:
        calls.append(now)
        raise RuntimeError("boom")

    app = create_app(routes=[Route("/sync/pinotcluster", "explode", HookRequest, explode), NO_RELATED])
    with Simulation(app=app) as sim:
        sim.apply(cluster())
        sim.step(2)
        assert len(calls) == 3 and len(sim.hook_errors) == 3
        assert sim.hook_errors[0].status == 500
        parent = sim.api.get_key(cluster_key())
        assert parent is not None and "status" not in parent


def test_status_is_replaced_with_observed_generation_and_resync_is_honoured(stand_in: StandIn) -> None:
    seen: list[int] = []

    def answer(request: HookRequest) -> JsonObject:
        seen.append(len(seen))
        return {**body([], {"controllerService": "http://c"}), "resyncAfterSeconds": 25}

    stand_in.answer = answer
    with simulate(stand_in) as sim:
        sim.apply(cluster())
        first = len(seen)
        sim.step(2)  # 20 s: not due yet (the 60 s periodic resync neither)
        assert len(seen) == first
        sim.step()  # 30 s
        assert len(seen) > first
        parent = sim.api.get_key(cluster_key())
        assert parent is not None
        assert parent["status"] == {"controllerService": "http://c", "observedGeneration": 1}


def test_a_status_that_changes_on_every_call_is_a_hot_loop(stand_in: StandIn) -> None:
    calls: list[int] = []

    def answer(request: HookRequest) -> JsonObject:
        calls.append(1)
        return body([], {"controllerService": f"call {len(calls)}"})

    stand_in.answer = answer
    with simulate(stand_in) as sim, pytest.raises(HotLoop):
        sim.apply(cluster())


def test_an_integral_float_in_status_costs_a_write_every_sync(stand_in: StandIn) -> None:
    stand_in.answer = lambda request: body([], {"pools": [{"name": "p", "replicas": 1.0}]})
    with simulate(stand_in) as sim:
        sim.apply(cluster())
        status_writes = [w for w in sim.api.writes if w.verb == "update-status"]
        assert len(status_writes) >= 2 and status_writes[-1].noop


def test_an_undeclared_child_type_is_a_contract_violation(stand_in: StandIn) -> None:
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "stringData": {"k": "v"}}
    stand_in.answer = lambda request: body([secret])
    with simulate(stand_in) as sim, pytest.raises(ContractViolation, match="not a declared child type"):
        sim.apply(cluster())


def test_finalizer_is_added_first_and_removed_once_finalized() -> None:
    finalizing: list[bool] = []

    def handle(request: HookRequest, now: datetime) -> Decision:
        finalizing.append(request.finalizing)
        return Decision(body([], finalized=request.finalizing), "stand-in")

    routes = [
        Route(f"/{hook}/pinotschema", f"{hook}-schema", HookRequest, handle) for hook in ("sync", "finalize")
    ]
    routes.append(
        Route(
            "/customize/pinotschema",
            "customize",
            CustomizeRequest,
            lambda request, now: Decision({"relatedResources": []}, "none"),
        )
    )
    schema = {
        "apiVersion": "pinot.controlplane.dev/v1alpha1",
        "kind": "PinotSchema",
        "metadata": {"name": "events", "namespace": NAMESPACE},
        "spec": {"clusterRef": {"name": "pinot"}, "schema": {"schemaName": "events"}},
    }
    with Simulation(app=create_app(routes=routes)) as sim:
        sim.apply(schema)
        key = ObjectKey("pinot.controlplane.dev/v1alpha1", "PinotSchema", NAMESPACE, "events")
        stored = sim.api.get_key(key)
        assert stored is not None
        assert stored["metadata"]["finalizers"] == [
            "metacontroller.io/compositecontroller-pinotschemas.pinot.controlplane.dev"
        ]
        assert finalizing and not any(finalizing)
        sim.delete(key)
        assert finalizing[-1] is True and sim.api.get_key(key) is None


def test_job_pods_run_the_bound_command_and_report_its_termination_message(stand_in: StandIn) -> None:
    job = {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": "run"},
        "spec": {
            "backoffLimit": 2,
            "podFailurePolicy": {
                "rules": [{"action": "FailJob", "onExitCodes": {"operator": "In", "values": [1]}}]
            },
            "template": {
                "spec": {
                    "restartPolicy": "Never",
                    "containers": [
                        {
                            "name": "c",
                            "image": "i:1",
                            "command": ["tool", "go"],
                            "env": [{"name": "X", "value": "1"}],
                        }
                    ],
                }
            },
        },
    }
    seen: list[Invocation] = []

    def run(invocation: Invocation) -> RunResult:
        seen.append(invocation)
        return RunResult(1, '{"result":"Failed"}')

    stand_in.answer = lambda request: body([])
    with Simulation(app=stand_in.app, job_bindings=[JobBinding(lambda argv: argv[0] == "tool", run)]) as sim:
        sim.api.create({**job, "metadata": {"name": "run", "namespace": NAMESPACE}}, "test")
        sim.step(3)
        stored = sim.get("batch/v1", "Job", NAMESPACE, "run")
        assert stored is not None
        assert [c["reason"] for c in stored["status"]["conditions"]] == ["PodFailurePolicy"]
        assert len(seen) == 1 and seen[0].argv == ["tool", "go"] and seen[0].env == {"X": "1"}
        pod = sim.jobs.pods(stored)[0]
        assert (
            pod["status"]["containerStatuses"][0]["state"]["terminated"]["message"] == '{"result":"Failed"}'
        )


def test_the_immutable_field_check_catches_a_response_that_changes_one(stand_in: StandIn) -> None:
    sts = statefulset()
    del sts["metadata"]["namespace"]
    stand_in.answer = lambda request: body([sts])
    with simulate(stand_in) as sim:
        invariants.install(sim, invariants.immutable_fields)
        sim.apply(cluster())
        moved = copy.deepcopy(sts)
        moved["spec"]["serviceName"] = "elsewhere"
        stand_in.answer = lambda request: body([moved])
        with pytest.raises(invariants.InvariantViolation, match="serviceName"):
            touch(sim)
