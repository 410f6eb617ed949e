"""Basic auth and a deep store switched on a running cluster, sync by sync through the pure hook: what
each phase renders, that it is judged from the observed children alone (same request, same answer;
the answer fed back is a fixed point), and what is refused."""

from __future__ import annotations

import copy
from typing import Any

from hooks.cluster.sync import sync_cluster
from tests.cluster.builders import BASE_SPEC, NOW, parent, request, settle

JsonObject = dict[str, Any]
AUTH = {"secretRef": {"name": "pinot-admin"}, "basic": {"enabled": True}}
S3 = {"uri": "s3://segments/demo", "options": {"region": "us-east-1"}}
CHECKS = {
    "controllers": "controller.admin.access.control.factory.class",
    "brokers": "pinot.broker.access.control.class",
}
TOKENS = {
    "controllers": "pinot.controller.segment.fetcher.auth.provider.class",
    "hot": "pinot.server.segment.fetcher.auth.provider.class",
    "cold": "pinot.server.segment.fetcher.auth.provider.class",
    "minions": "pinot.minion.segment.fetcher.auth.provider.class",
}


def spec(**fields: Any) -> JsonObject:
    return {**copy.deepcopy(BASE_SPEC), **copy.deepcopy(fields)}


def sync(spec_: JsonObject, children: list[JsonObject], status: JsonObject | None = None) -> JsonObject:
    obj = parent(spec_)
    if status is not None:
        obj["status"] = status
    body: JsonObject = sync_cluster(request(obj, children), NOW).body
    return body


def stored(body: JsonObject, generation: int, settled: bool = True) -> list[JsonObject]:
    """The answer's children as stored: StatefulSets at `generation`, their pods all on the new
    template (`settled`) or none yet (the StatefulSet controller has not seen the change)."""
    children = [settle(child, generation=generation) for child in body["children"]]
    if not settled:
        for child in children:
            if child["kind"] == "StatefulSet":
                child["status"] |= {"observedGeneration": generation - 1, "updateRevision": "rev-2"}
    return children


def running(spec_: JsonObject) -> tuple[list[JsonObject], JsonObject]:
    """A cluster converged on `spec_`, updated once since it was created (generation 2)."""
    body = sync(spec_, [])
    for _ in range(30):  # pools are created role by role, each ready once its membership Jobs ran
        body = sync(spec_, stored(body, 2), body["status"])
        if ready(body)["status"] == "True":
            return stored(body, 2), body["status"]
    raise AssertionError(f"never ready: {ready(body)['message']}")


def conf(body: JsonObject, pool: str) -> dict[str, str]:
    children = {
        c["metadata"]["name"]: c for c in body["children"] if c["kind"] in ("StatefulSet", "ConfigMap")
    }
    volume = next(
        v for v in children[f"demo-{pool}"]["spec"]["template"]["spec"]["volumes"] if v["name"] == "config"
    )
    text = next(iter(children[volume["configMap"]["name"]]["data"].values()))
    return dict(line.split("=", 1) for line in text.splitlines() if line and not line.startswith("#"))


def progressing(body: JsonObject) -> JsonObject:
    return next(c for c in body["status"]["conditions"] if c["type"] == "Progressing")


def ready(body: JsonObject) -> JsonObject:
    return next(c for c in body["status"]["conditions"] if c["type"] == "Ready")


def test_basic_auth_on_sends_tokens_first_and_checks_them_once_every_caller_has_settled() -> None:
    children, status = running(spec())
    first = sync(spec(auth=AUTH), children, status)
    assert progressing(first)["reason"] == "BasicAuthTokensFirst"
    assert all(TOKENS[pool] in conf(first, pool) for pool in TOKENS)
    assert not any(CHECKS[pool] in conf(first, pool) for pool in CHECKS)
    assert first == sync(spec(auth=AUTH), children, status)  # same request, same answer (a restart)

    rolling = stored(first, 3, settled=False)  # fed back before the pods move: the same phase
    again = sync(spec(auth=AUTH), rolling, first["status"])
    assert progressing(again)["reason"] == "BasicAuthTokensFirst"
    assert all(conf(again, pool) == conf(first, pool) for pool in ("controllers", "brokers", *TOKENS))

    then = sync(spec(auth=AUTH), stored(first, 3), first["status"])
    assert progressing(then)["reason"] == "BasicAuthChecksOn"
    assert all(CHECKS[pool] in conf(then, pool) for pool in CHECKS)
    assert all(TOKENS[pool] in conf(then, pool) for pool in TOKENS)


def test_basic_auth_off_stops_the_checks_before_the_tokens_and_keeps_the_admin_it_finds() -> None:
    children, status = running(spec(auth=AUTH))
    first = sync(spec(), children, status)
    assert progressing(first)["reason"] == "BasicAuthChecksOffFirst"
    assert not any(CHECKS[pool] in conf(first, pool) for pool in CHECKS)
    assert all(TOKENS[pool] in conf(first, pool) for pool in TOKENS)  # the spec no longer names the admin

    then = sync(spec(), stored(first, 3), first["status"])
    assert progressing(then)["reason"] == "BasicAuthTokensOff"
    assert not any(TOKENS[pool] in conf(then, pool) for pool in TOKENS)


def test_a_deep_store_is_registered_everywhere_before_controllers_keep_segments_in_it() -> None:
    children, status = running(spec())
    three = copy.deepcopy(BASE_SPEC["pools"])
    three[0]["replicas"] = 3
    first = sync(spec(deepStore=S3, pools=three), children, status)
    assert progressing(first)["reason"] == "DeepStoreFilesystemFirst"
    assert "pinot.server.storage.factory.class.s3" in conf(first, "hot")
    assert "pinot.controller.storage.factory.class.s3" in conf(first, "controllers")
    assert conf(first, "controllers")["controller.data.dir"] != S3["uri"]
    controllers = next(c for c in first["children"] if c["metadata"]["name"] == "demo-controllers")
    assert controllers["spec"]["replicas"] == 1  # more controllers only once they share the deep store

    then = sync(spec(deepStore=S3, pools=three), stored(first, 3), first["status"])
    assert progressing(then)["reason"] == "DeepStoreSwitching"
    assert conf(then, "controllers")["controller.data.dir"] == S3["uri"]


def test_a_deep_store_in_use_cannot_be_removed_or_moved_and_every_child_is_kept() -> None:
    children, status = running(spec(deepStore=S3))
    for changed, message in (
        (spec(), "spec.deepStore: is required: the controllers keep segments in s3://segments/demo"),
        (
            spec(deepStore={**S3, "uri": "s3://other/demo"}),
            "spec.deepStore.uri: must stay s3://segments/demo: the controllers keep segments in",
        ),
    ):
        body = sync(changed, children, status)
        assert ready(body)["reason"] == "InvalidSpec" and message in ready(body)["message"], ready(body)
        assert "download URIs" in ready(body)["message"]
        kept = {(c["kind"], c["metadata"]["name"]): c["spec"] for c in body["children"] if "spec" in c}
        assert kept == {(c["kind"], c["metadata"]["name"]): c["spec"] for c in children if "spec" in c}


def test_a_deep_store_never_used_can_still_be_dropped() -> None:
    children, status = running(spec())
    first = sync(spec(deepStore=S3), children, status)  # phase 1: controllers keep their data dir
    body = sync(spec(), stored(first, 3), first["status"])
    assert ready(body)["reason"] != "InvalidSpec", ready(body)


def test_an_image_change_waits_while_basic_auth_is_turned_on() -> None:
    old = spec(image="apachepinot/pinot:1.2.0")
    children, status = running(old)
    both = spec(image="apachepinot/pinot:1.3.0", auth=AUTH)
    first = sync(both, children, status)
    assert progressing(first)["reason"] == "BasicAuthTokensFirst"
    assert (
        "the image change of pools controllers, brokers, hot, cold, minions waits"
        in progressing(first)["message"]
    )
    images = {
        c["spec"]["template"]["spec"]["containers"][0]["image"]
        for c in first["children"]
        if c["kind"] == "StatefulSet"
    }
    assert images == {"apachepinot/pinot:1.2.0"}
