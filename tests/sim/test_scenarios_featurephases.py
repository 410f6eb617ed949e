"""Basic auth and a deep store switched on (and off) on a running cluster, through Metacontroller, the
API server and the StatefulSet controller, watching the pods themselves: the config each pod's
revision mounts is what it runs (and gets back on a restart).

What must never happen: a controller or broker pod checking credentials while some pod that calls
the controller runs without the admin's token; a controller keeping segments in a deep store while
some server or minion pod cannot read it. Every simulation also checks the invariants of
`invariants` after each sync (fixed point, rollout order, immutable fields, condition shape).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hooks.cluster.featurephases import (
    AUTH_OFF_FIRST,
    AUTH_OFF_THEN,
    AUTH_ON_FIRST,
    AUTH_ON_THEN,
    STORE_FIRST,
    STORE_THEN,
)
from hooks.cluster.naming import ROLE_LABEL
from tests.sim import specs
from tests.sim.test_scenarios_cluster import assert_clean, install
from tests.sim.test_scenarios_versions import config, image, restart_hook
from tests.sim.world import Simulation

JsonObject = dict[str, Any]
S3 = {"uri": "s3://segments/demo", "options": {"region": "us-east-1"}}
AUTH = {"secretRef": {"name": "pinot-admin"}, "basic": {"enabled": True}}
CHECKS = {
    "controller": "controller.admin.access.control.factory.class",
    "broker": "pinot.broker.access.control.class",
}
TOKEN = {
    "controller": "pinot.controller.segment.fetcher.auth.provider.class",
    "server": "pinot.server.segment.fetcher.auth.provider.class",
    "minion": "pinot.minion.segment.fetcher.auth.provider.class",
}
FILESYSTEM = {
    "controller": "pinot.controller.storage.factory.class.s3",
    "server": "pinot.server.storage.factory.class.s3",
    "minion": "pinot.minion.storage.factory.class.s3",
}


def running(sim: Simulation) -> list[tuple[str, str, dict[str, str]]]:
    """(pool, role, config) of every pod of the cluster."""
    found = []
    for name in specs.statefulsets(sim):
        found += [
            (name, pod["metadata"]["labels"][ROLE_LABEL], config(sim, pod)) for pod in specs.pods(sim, name)
        ]
    return found


def auth_safe(sim: Simulation) -> None:
    pods = running(sim)
    checking = [name for name, role, conf in pods if role in CHECKS and CHECKS[role] in conf]
    untokened = [name for name, role, conf in pods if role in TOKEN and TOKEN[role] not in conf]
    assert not (checking and untokened), f"{checking} check credentials while {untokened} send none"


def store_safe(sim: Simulation) -> None:
    pods = running(sim)
    switched = [
        n
        for n, role, conf in pods
        if role == "controller" and conf.get("controller.data.dir", "")[:5] == "s3://"
    ]
    unable = [n for n, role, conf in pods if role in ("server", "minion") and FILESYSTEM[role] not in conf]
    assert not (switched and unable), f"{switched} keep segments in s3 while {unable} cannot read it"


def reasons_until_ready(
    sim: Simulation,
    check: Callable[[Simulation], None],
    max_steps: int = 80,
    at: Callable[[int], None] = lambda _: None,
) -> list[str]:
    """Step until Ready, running `check` on every step; the Progressing reasons seen, each once."""
    seen: list[str] = []
    for step in range(max_steps):
        check(sim)
        progressing = specs.condition(sim, "Progressing") or {}
        if progressing.get("status") == "True" and progressing["reason"] not in seen:
            seen.append(progressing["reason"])
        if specs.is_ready(sim):
            assert_clean(sim)
            return seen
        at(step)
        sim.step()
    raise AssertionError(f"not Ready within {max_steps} steps: {specs.live(sim).get('status')}")


def everywhere(sim: Simulation, keys: dict[str, str], present: bool) -> bool:
    return all((keys[role] in conf) is present for _, role, conf in running(sim) if role in keys)


def test_basic_auth_on_gives_tokens_first_then_checks_them(sim: Simulation) -> None:
    obj = install(sim)
    sim.apply(specs.with_spec(obj, auth=AUTH))
    assert reasons_until_ready(sim, auth_safe) == [AUTH_ON_FIRST, AUTH_ON_THEN]
    assert everywhere(sim, TOKEN, True) and everywhere(sim, CHECKS, True)


def test_basic_auth_off_stops_the_checks_first_then_the_tokens(sim: Simulation) -> None:
    obj = install(sim, specs.with_spec(specs.cluster(), auth=AUTH))
    assert everywhere(sim, TOKEN, True) and everywhere(sim, CHECKS, True)  # a fresh install needs no phases
    sim.apply(obj | {"spec": {k: v for k, v in obj["spec"].items() if k != "auth"}})
    assert reasons_until_ready(sim, auth_safe) == [AUTH_OFF_FIRST, AUTH_OFF_THEN]
    assert everywhere(sim, TOKEN, False) and everywhere(sim, CHECKS, False)


def test_a_deep_store_is_readable_everywhere_before_controllers_keep_segments_there(sim: Simulation) -> None:
    obj = install(sim)
    sim.apply(specs.with_spec(obj, deepStore=S3))
    assert reasons_until_ready(sim, store_safe) == [STORE_FIRST, STORE_THEN]
    assert everywhere(sim, FILESYSTEM, True)
    assert all(
        conf["controller.data.dir"] == S3["uri"] for _, role, conf in running(sim) if role == "controller"
    )


def test_a_deep_store_in_use_is_kept_removal_and_a_new_uri_are_refused(sim: Simulation) -> None:
    obj = install(sim, specs.with_spec(specs.cluster(), deepStore=S3))
    before = {name: {p["metadata"]["uid"] for p in specs.pods(sim, name)} for name in specs.statefulsets(sim)}
    children = [specs.identity(c) for c in specs.children(sim)]
    removed = specs.with_spec(obj)
    del removed["spec"]["deepStore"]
    moved = specs.with_spec(obj, deepStore={**S3, "uri": "s3://elsewhere/demo"})
    for changed, field in (
        (removed, "spec.deepStore: is required"),
        (moved, "spec.deepStore.uri: must stay"),
    ):
        sim.apply(changed)
        sim.run_until(lambda: (specs.condition(sim, "Ready") or {}).get("reason") == "InvalidSpec", 5)
        message = (specs.condition(sim, "Ready") or {})["message"]
        assert field in message and f"the controllers keep segments in {S3['uri']}" in message, message
        sim.step()
        assert [specs.identity(c) for c in specs.children(sim)] == children
        assert {
            n: {p["metadata"]["uid"] for p in specs.pods(sim, n)} for n in specs.statefulsets(sim)
        } == before
        assert everywhere(sim, FILESYSTEM, True)
    sim.apply(obj)  # back to the deep store it has: Ready again, nothing restarted
    sim.run_until(lambda: specs.is_ready(sim), 10)
    assert {n: {p["metadata"]["uid"] for p in specs.pods(sim, n)} for n in specs.statefulsets(sim)} == before


def test_a_restarted_hook_carries_on_from_what_the_pods_run(sim: Simulation) -> None:
    obj = install(sim)
    sim.apply(specs.with_spec(obj, auth=AUTH, deepStore=S3))
    restarted: list[int] = []

    def restart_mid_phase(step: int) -> None:
        reason = (specs.condition(sim, "Progressing") or {}).get("reason")
        if reason in (AUTH_ON_FIRST, AUTH_ON_THEN) and step % 4 == 3:  # in each phase, more than once
            restart_hook(sim)
            restarted.append(step)

    seen = reasons_until_ready(sim, lambda s: (auth_safe(s), store_safe(s)), 120, restart_mid_phase)
    assert len(restarted) >= 2
    assert seen[:2] == [AUTH_ON_FIRST, AUTH_ON_THEN]  # the first phase under way names the reason
    assert everywhere(sim, CHECKS, True) and everywhere(sim, FILESYSTEM, True)


def test_pools_added_in_phase_one_get_tokens_and_check_nothing_until_phase_two(sim: Simulation) -> None:
    obj = install(sim)
    with_auth = specs.with_spec(obj, auth=AUTH)
    sim.apply(with_auth)
    sim.run_until(lambda: (specs.condition(sim, "Progressing") or {}).get("reason") == AUTH_ON_FIRST, 10)
    added = [specs.pool("warm", "server"), specs.pool("brokers-b", "broker")]
    sim.apply(specs.with_spec(with_auth, pools=[*with_auth["spec"]["pools"], *added]))
    assert reasons_until_ready(sim, auth_safe) == [AUTH_ON_FIRST, AUTH_ON_THEN]
    assert all(TOKEN["server"] in config(sim, pod) for pod in specs.pods(sim, "warm"))
    assert all(CHECKS["broker"] in config(sim, pod) for pod in specs.pods(sim, "brokers-b"))
    assert everywhere(sim, CHECKS, True)


def test_an_image_change_with_auth_on_waits_until_the_auth_phases_are_done(sim: Simulation) -> None:
    obj = install(sim)
    sim.apply(specs.with_spec(obj, auth=AUTH, image=image("1.3.0")))
    sim.step()
    message = (specs.condition(sim, "Progressing") or {})["message"]
    assert "waits until this is done (one change at a time)" in message, message

    def versions_wait(s: Simulation) -> None:
        auth_safe(s)
        reason = (specs.condition(s, "Progressing") or {}).get("reason")
        images = {specs.pod_image(p) for n in specs.statefulsets(s) for p in specs.pods(s, n)}
        if reason in (AUTH_ON_FIRST, AUTH_ON_THEN):
            assert images == {specs.IMAGE}, images

    seen = reasons_until_ready(sim, versions_wait, 120)
    assert seen[:2] == [AUTH_ON_FIRST, AUTH_ON_THEN] and "UpgradingControllers" in seen[2:], seen
    assert {specs.pod_image(p) for n in specs.statefulsets(sim) for p in specs.pods(sim, n)} == {
        image("1.3.0")
    }
    assert everywhere(sim, CHECKS, True)
