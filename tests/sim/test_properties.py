"""Properties of the PinotCluster hook over generated specs and the states they can reach.

Each example drives the real app through the simulator: a generated valid spec is installed,
optionally followed by a generated history of edits (image, Pinot property, scale, pool added or
removed, storage size, deployment order, pause, an invalid value later repaired) with steps in
between. The default example counts keep this file to a few seconds; set `PINOT_SIM_EXAMPLES`
for a longer hunt.
"""

from __future__ import annotations

import copy
import functools
import random
from typing import Any

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hooks.cluster import naming
from tests.sim import invariants, specs
from tests.sim.budget import examples
from tests.sim.controllers import ready_after
from tests.sim.strategies import Edit, cluster_specs, histories, ready_delays
from tests.sim.world import SimOptions, Simulation
from tests.support.kube_schemas import strict_errors

JsonObject = dict[str, Any]


def budget(default: int) -> settings:
    return settings(
        max_examples=examples(default),
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


def simulation(
    obj: JsonObject, delays: dict[str, int] | None = None, seed: int = 0, metacontroller_first: bool = False
) -> Simulation:
    per_pool: dict[str, int | None] = {
        naming.statefulset_name(specs.CLUSTER, name): delay for name, delay in (delays or {}).items()
    }
    options = SimOptions(seed=seed, metacontroller_first=metacontroller_first)
    return Simulation(ready=ready_after(1, per_pool), options=options)


def repaired(obj: JsonObject) -> JsonObject:
    """The spec with every invalid value the history introduced taken out, and not paused."""
    fixed = copy.deepcopy(obj)
    fixed["spec"]["paused"] = False
    for entry in fixed["spec"]["pools"]:
        kube = entry.get("kubernetes") or {}
        if (kube.get("resources") or {}).get("limits", {}).get("memory") == "a lot":
            del kube["resources"]
    return fixed


def play(sim: Simulation, obj: JsonObject, history: list[Edit]) -> JsonObject:
    """Install `obj`, let it settle a little, then apply the edits; returns the last spec applied."""
    sim.apply(obj)
    sim.step(2)
    for serial, edit in enumerate(history):
        obj = edit.apply(obj, serial)
        sim.apply(obj)
        sim.step(edit.wait)
    return obj


def convergence_bound(obj: JsonObject, delays: dict[str, int]) -> int:
    """Rounds enough for any pending work: every pod rolled once, every role created once, removals."""
    pools: list[JsonObject] = obj["spec"]["pools"]
    rolling = sum((int(p.get("replicas", 1)) + 1) * delays.get(p["name"], 1) for p in pools)
    return 2 * rolling + 10


@budget(12)
@given(data=st.data(), obj=cluster_specs())
def test_the_same_request_gives_byte_identical_responses(data: st.DataObject, obj: JsonObject) -> None:
    with simulation(obj) as sim:
        sim.apply(obj)
        sim.step(data.draw(st.integers(0, 3)))
        parent = specs.live(sim)
        cc = sim.metacontroller.controllers["pinotclusters"]
        path = "/sync/pinotcluster"
        request = sim.metacontroller.request_for(cc, parent)
        first = sim.client.post(path, orjson.dumps(request))
        assert first.status == 200
        assert sim.client.post(path, orjson.dumps(request)).body == first.body
        shuffled = copy.deepcopy(request)
        rng = random.Random(data.draw(st.integers(0, 2**16)))
        for group, objects in shuffled["children"].items():
            items = list(objects.items())
            rng.shuffle(items)
            shuffled["children"][group] = dict(items)
        assert sim.client.post(path, orjson.dumps(shuffled)).body == first.body
        v1 = sim.metacontroller.request_for(cc, parent, version="v1")
        assert sim.client.post(path, orjson.dumps(v1)).body == first.body


@budget(6)
@given(obj=cluster_specs(), history=histories)
def test_any_history_stays_at_a_fixed_point_with_standard_conditions(
    obj: JsonObject, history: list[Edit]
) -> None:
    """After every sync, feeding the result back changes no child and no status; every condition
    keeps the metav1.Condition shape and limits and moves lastTransitionTime only on a flip."""
    with simulation(obj) as sim:
        invariants.install(sim, invariants.fixed_point, invariants.condition_shape)
        last = play(sim, obj, history)
        sim.apply(repaired(last))
        sim.step(3)
        assert sim.hook_errors == [] and sim.failed_writes() == []


@budget(6)
@given(data=st.data(), obj=cluster_specs(), history=histories, metacontroller_first=st.booleans())
def test_any_history_keeps_the_rollout_order_and_immutable_fields_and_converges(
    data: st.DataObject, obj: JsonObject, history: list[Edit], metacontroller_first: bool
) -> None:
    """No pool is created or released while an earlier one has not converged; no response changes
    an immutable field of an observed child; from wherever the history left it, a Ready cluster is
    reached within a bounded number of rounds once the spec is valid and unpaused."""
    delays = data.draw(ready_delays(obj))
    with simulation(obj, delays, metacontroller_first=metacontroller_first) as sim:
        invariants.install(sim, invariants.rollout_order, invariants.immutable_fields)
        final = repaired(play(sim, obj, history))
        sim.apply(final)
        sim.run_until(lambda: specs.is_ready(sim), convergence_bound(final, delays))
        assert sim.hook_errors == [] and sim.failed_writes() == []
        wanted = {p["name"]: p.get("replicas", 1) for p in final["spec"]["pools"]}
        assert {name: len(specs.pods(sim, name)) for name in specs.statefulsets(sim)} == wanted


JOBS_PER_POOL = {"broker": 1, "server": 2, "minion": 1}  # tag; servers also rebalance


def serial(available: list[tuple[int, int]]) -> int:
    """When Jobs run one at a time, one step each, first pool first: `available` is (step the pool's
    first Job may start, its number of Jobs) per pool in rollout order; the step the last one ends."""
    left = [count for _, count in available]
    now = min((at for at, count in available if count), default=0)
    end = max((at for at, _ in available), default=0)
    while any(left):
        ready = [i for i, (at, _) in enumerate(available) if at <= now and left[i]]
        if ready:
            left[ready[0]] -= 1
            now += 1
            end = max(end, now)
        else:
            now = min(at for i, (at, _) in enumerate(available) if left[i])
    return end


def install_rounds(obj: JsonObject, delays: dict[str, int]) -> int:
    """Rounds of a fresh install. A role's pools are created together once every earlier pool is
    ready; a pool is ready when its pods are, and (once a controller pool is ready) its membership
    Jobs ran: one at a time per role, in rollout order, each one round. Pools before the controller
    in the order are ready without Jobs until it is; then their Jobs run first."""
    pools = obj["spec"]["pools"]
    order = obj["spec"].get("deploymentOrder") or list(specs.ROLE_ORDER)
    created = 0
    controller_ready: int | None = None
    waiting: dict[str, list[tuple[int, int]]] = {}  # role -> Jobs of pools created before a controller was
    for role in order:
        mine = [p for p in pools if p["role"] == role]
        ready = {p["name"]: created + (delays[p["name"]] if p.get("replicas", 1) > 0 else 0) for p in mine}
        end = max(ready.values(), default=created)
        if role == "controller":
            controller_ready = min(ready[p["name"]] for p in mine if p.get("replicas", 1) > 0)
            end = max([end, *(serial([(controller_ready, n) for _, n in jobs]) for jobs in waiting.values())])
            waiting = {}
        elif role in JOBS_PER_POOL:
            jobs = [(ready[p["name"]], JOBS_PER_POOL[role] if p.get("replicas", 1) > 0 else 0) for p in mine]
            if controller_ready is None:
                waiting[role] = jobs
            else:
                end = max(end, serial(jobs))
        created = end
    return created


@budget(8)
@given(data=st.data(), obj=cluster_specs())
def test_install_and_clean_image_upgrade_take_the_minimum_rounds_the_ordering_allows(
    data: st.DataObject, obj: JsonObject
) -> None:
    """Install: roles one after another, the pools of a role together, each ready once its pods are
    and its membership Jobs ran (`install_rounds`). Upgrade: pools one at a time, pods one at a
    time, so the rounds are the sum over the pools that change of replicas x delay (no Job runs:
    Pinot's side does not change)."""
    delays = data.draw(ready_delays(obj))
    pools = obj["spec"]["pools"]
    install = install_rounds(obj, delays)
    # The other of two adjacent releases: an upgrade or a downgrade, each one pool at a time.
    new_image = next(
        i for i in ("apachepinot/pinot:1.3.0", "apachepinot/pinot:1.2.0") if i != obj["spec"]["image"]
    )
    upgrade_rounds = sum(p.get("replicas", 1) * delays[p["name"]] for p in pools if "image" not in p)

    with simulation(obj, delays) as sim:
        sim.apply(obj)
        assert sim.run_until(lambda: specs.is_ready(sim), install + 5) == install
        sim.apply(specs.with_spec(obj, image=new_image))
        assert sim.run_until(lambda: specs.is_ready(sim), upgrade_rounds + 5) == upgrade_rounds
        assert sim.hook_errors == [] and sim.failed_writes() == []


@functools.cache
def _validation_errors(serialised: bytes) -> tuple[str, ...]:
    return tuple(strict_errors(orjson.loads(serialised)))


@budget(5)
@given(obj=cluster_specs(), history=histories)
def test_every_emitted_child_passes_strict_kubernetes_validation(
    obj: JsonObject, history: list[Edit]
) -> None:
    """Against the oldest supported (1.30) and the newest bundled schemas; each distinct object
    once (a sample: the first and the last response of every history)."""
    with simulation(obj) as sim:
        last = play(sim, obj, history)
        sim.apply(repaired(last))
        sim.step(2)
        responses = [r.response for r in (sim.syncs[0], sim.syncs[-1]) if r.response is not None]
        problems = [
            error
            for response in responses
            for child in response["children"]
            for error in _validation_errors(orjson.dumps(child, option=orjson.OPT_SORT_KEYS))
        ]
        assert problems == []
