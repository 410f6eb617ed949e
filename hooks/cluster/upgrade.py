"""Version changes between Pinot releases: which way the pools move, in what order, what must happen
first, and what is refused. Decided on every sync from the spec and what the observed children say
each pool runs (`hooks.cluster.running`), never from memory, so a restarted hook carries on from
where the cluster stands.

A pool moves when the spec asks a version other than one its pods may run. Then, in this order:

- Refused, held where it is (`Plan.held`: the StatefulSet kept as observed, its partition raised so
  that no pod moves) with a condition that says what to do: a changed image whose version cannot be
  read (`VersionUnknown`; only those pools are held); pools going up and others, or the pods of one
  pool, down at once (`MixedVersionDirections`); a change across more than one release line without
  the annotation that allows it (`UntestedVersionJump`); a known step that forbids the crossing, or a
  plugin the target release does not have (`KnownStepRefused`), unless the annotation skips it.
- Prepare: a known step that asks servers to act is missing on servers that run, or may run, a
  version it covers. Those servers roll first, at the image they run, with the step's properties;
  every other pool is held, and a pool not created yet waits.
- Roll: every pool gets its spec (servers with the known steps' properties their version needs),
  released one pool at a time in Pinot's order for the direction: controller, broker, server, minion
  up; minion, server, broker, controller down. A change that moves no version keeps
  `deploymentOrder`, and so does a fresh install.

A second change in the middle of a roll is judged the same way against what runs at that moment:
going on in the same direction continues from there, the opposite direction rolls back from there,
and a target between the two is refused (`MixedVersionDirections`) until one of them is chosen.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from enum import StrEnum
from functools import lru_cache
from typing import NamedTuple

from hooks import GROUP
from hooks.cluster.known_steps import (
    KNOWN_STEPS,
    PLUGINS,
    PLUGINS_STEP,
    RELEASES,
    KnownStep,
    Refuse,
    SetProperties,
)
from hooks.cluster.running import PoolRun, Run
from hooks.cluster.settings import PoolSettings
from hooks.cluster.spec import DEFAULT_ORDER, Role
from hooks.cluster.versions import PinotVersion, describe, parse_version, releases_between
from hooks.memo import Memo

ALLOW_JUMP_ANNOTATION = f"{GROUP}/allow-version-jump"
SKIP_STEPS_ANNOTATION = f"{GROUP}/skip-known-steps"
UP_ORDER: tuple[Role, ...] = DEFAULT_ORDER
DOWN_ORDER: tuple[Role, ...] = tuple(reversed(DEFAULT_ORDER))
UNKNOWN = "VersionUnknown"
MIXED = "MixedVersionDirections"
JUMP = "UntestedVersionJump"
REFUSED_STEP = "KnownStepRefused"

Versions = Mapping[str, PinotVersion | None]
# The known steps that set properties, by the role that must act (in KNOWN_STEPS order).
SETTING_BY_ROLE = {
    role: tuple(s for s in KNOWN_STEPS if s.role is role and isinstance(s.action, SetProperties))
    for role in Role
}


class Direction(StrEnum):
    UP = "Upgrade"
    DOWN = "Downgrade"


class Refusal(NamedTuple):
    reason: str  # a condition reason
    message: str


class Plan(NamedTuple):
    """What the version logic decides for one sync."""

    pools: list[PoolSettings]  # as they are rendered now, in the order of this stage
    held: Mapping[str, str]  # pool -> why it keeps its StatefulSet as observed
    waiting: Mapping[str, str]  # pool not created yet -> why it is not
    preparing: bool  # servers roll first with what known steps ask (PreparingServers)
    direction: Direction | None  # of the pools that move (None: no version moves)
    refusals: tuple[Refusal, ...]
    moving: tuple[str, ...]  # pools whose version moves, or would
    steps: tuple[str, ...]  # known steps that apply to this cluster now
    # existing pool -> versions its pods may run: the one they ran when it last settled first
    running: Mapping[str, tuple[PinotVersion | None, ...]]
    desired: Versions  # pool -> the version the spec asks (None: unknown)
    jumps: tuple[str, ...] = ()  # untested jumps the annotation allows ("0.11.0 -> 1.3.0")


def plan_versions(
    pools: Sequence[PoolSettings], runs: Mapping[str, PoolRun], annotations: Mapping[str, str]
) -> Plan:
    """`pools` in `deploymentOrder`; `runs` for the pools that exist; `annotations` the PinotCluster's."""
    desired: dict[str, PinotVersion | None] = {
        p.name: parse_version(p.version) if p.version else None for p in pools
    }
    images = {p.name: p.image for p in pools}
    runs = {
        name: run.stating(desired[name]) if images[name] == run.template_image else run
        for name, run in runs.items()
    }
    # A StatefulSet only created has no pods to speak of yet (and says so until its controller reports).
    running = {name: _run_versions(run) for name, run in runs.items() if run.reported}
    skipped = _skipped(annotations.get(SKIP_STEPS_ANNOTATION, ""))

    unknown: dict[str, str] = {}
    moving: list[PoolSettings] = []
    involved: dict[str, frozenset[PinotVersion]] = {}  # per pool, every known version it runs or is asked
    for pool in pools:
        run = runs.get(pool.name)
        wanted = desired[pool.name]
        versions = run.versions if run is not None else frozenset()
        if run is not None and pool.image != run.template_image and (wanted is None or None in versions):
            unknown[pool.name] = _unknown_message(pool, run, wanted)
            involved[pool.name] = frozenset(v for v in versions if v is not None)  # held: what it runs
            continue
        if run is not None and wanted is not None and versions != {wanted}:
            moving.append(pool)
        involved[pool.name] = frozenset(v for v in (*versions, wanted) if v is not None)

    applying = _applying(skipped, tuple((p.role, involved[p.name]) for p in pools))
    refusals = [Refusal(UNKNOWN, message) for message in unknown.values()]
    refusals += _direction_refusals(moving, runs, desired)
    allowed: tuple[str, ...] = ()  # jumps the annotation lets through
    if moving and not any(r.reason == MIXED for r in refusals):
        jumps = _jumps(moving, runs, desired)
        if annotations.get(ALLOW_JUMP_ANNOTATION, "").strip().lower() == "true":
            allowed = tuple(f"{start} -> {end}" for start, end in jumps)
        else:
            refusals += [_jump_refusal(start, end, names) for (start, end), names in jumps.items()]
        refusals += _step_refusals([s for s in applying if isinstance(s.action, Refuse)], pools, involved)
        if PLUGINS_STEP not in skipped:
            refusals += _plugin_refusals(moving, desired)

    held = dict.fromkeys(unknown, "held: " + "; ".join(unknown.values()))
    stopped = [r.message for r in refusals if r.reason != UNKNOWN]
    if stopped:
        held.update(dict.fromkeys((p.name for p in moving), "held: " + "; ".join(stopped)))
    setting = [s for s in applying if isinstance(s.action, SetProperties)]
    plan = Plan(
        [],
        held,
        {},
        False,
        None if stopped else _direction(moving, runs, desired),
        tuple(refusals),
        tuple(p.name for p in moving),
        tuple(s.name for s in applying),
        running,
        desired,
        allowed,
    )
    preparing = {} if stopped else _to_prepare(setting, pools, runs)
    if preparing:
        return _prepare(plan, pools, runs, preparing, setting)
    staged = [
        _held(pool, runs[pool.name])
        if pool.name in held
        else _steps_done(pool, desired[pool.name], setting, runs)
        for pool in pools
    ]
    if plan.direction is not None:
        staged = _ordered(staged, UP_ORDER if plan.direction is Direction.UP else DOWN_ORDER)
    return plan._replace(pools=staged)


def _run_versions(run: PoolRun) -> tuple[PinotVersion | None, ...]:
    """The versions a pool's pods may run, each once, in the order of `run.runs`."""
    found = run.runs
    return (found[0].version,) if len(found) == 1 else tuple(dict.fromkeys(r.version for r in found))


def _skipped(value: str) -> frozenset[str]:
    names = {part.strip() for part in value.split(",") if part.strip()}
    if names & {"all", "true"}:
        return frozenset({step.name for step in KNOWN_STEPS} | {PLUGINS_STEP})
    return frozenset(names)


def _unknown_message(pool: PoolSettings, run: PoolRun, wanted: PinotVersion | None) -> str:
    where = f"spec.pinotVersion (or spec.pools[{pool.index}].pinotVersion for the pool's own image)"
    if wanted is None:
        return (
            f"pool {pool.name}: the Pinot version of {pool.image} cannot be read from its tag; state it in "
            f"{where}, and the pool keeps its pods until then"
        )
    return (
        f"pool {pool.name} runs {run.template_image}, whose Pinot version is not known: keep that image and "
        f"state the version it runs in {where} first, then change the image"
    )


@lru_cache(maxsize=256)
def _applying(
    skipped: frozenset[str], involved: tuple[tuple[Role, frozenset[PinotVersion]], ...]
) -> tuple[KnownStep, ...]:
    """The known steps not skipped that apply to pools of these roles and versions (see `_applies`).
    The same few inputs come on every sync, so the answer is remembered (and only read)."""
    return tuple(s for s in KNOWN_STEPS if s.name not in skipped and _applies(s, involved))


def _applies(step: KnownStep, involved: tuple[tuple[Role, frozenset[PinotVersion]], ...]) -> bool:
    """Some pool that must act runs (or will run) an old version, and some pool it meets a new one."""
    acting = any(v in step.old for role, versions in involved if role is step.role for v in versions)
    return acting and any(
        v in step.new for role, versions in involved if role in step.meeting for v in versions
    )


def _moves(run: PoolRun, wanted: PinotVersion | None) -> tuple[bool, bool]:
    """Whether some pod of the pool goes up, and whether some goes down."""
    known = [v for v in run.versions if v is not None]
    if wanted is None:
        return False, False
    return any(v < wanted for v in known), any(v > wanted for v in known)


def _direction(
    moving: Sequence[PoolSettings], runs: Mapping[str, PoolRun], desired: Versions
) -> Direction | None:
    ups = downs = False
    for pool in moving:
        up, down = _moves(runs[pool.name], desired[pool.name])
        ups, downs = ups or up, downs or down
    if ups == downs:
        return None
    return Direction.UP if ups else Direction.DOWN


def _direction_refusals(
    moving: Sequence[PoolSettings], runs: Mapping[str, PoolRun], desired: Versions
) -> list[Refusal]:
    up: list[str] = []
    down: list[str] = []
    for pool in moving:
        goes_up, goes_down = _moves(runs[pool.name], desired[pool.name])
        move = f"{pool.name} ({describe(runs[pool.name].versions)} -> {desired[pool.name]})"
        if goes_up:
            up.append(move)
        if goes_down:
            down.append(move)
    if not (up and down):
        return []
    return [
        Refusal(
            MIXED,
            f"pools would go up ({', '.join(up)}) and down ({', '.join(down)}) at once: ask a version "
            "all of them reach in one direction first (the one they came from, to roll back, or the one "
            "they were going to, to finish), then change again",
        )
    ]


def _jumps(
    moving: Sequence[PoolSettings], runs: Mapping[str, PoolRun], desired: Versions
) -> dict[tuple[PinotVersion, PinotVersion], list[str]]:
    """(from, to) -> pools, for every move across more than one release line."""
    found: dict[tuple[PinotVersion, PinotVersion], list[str]] = {}
    for pool in moving:
        wanted = desired[pool.name]
        for version in runs[pool.name].versions:
            if version is not None and wanted is not None and releases_between(version, wanted, RELEASES):
                found.setdefault((version, wanted), []).append(pool.name)
    return dict(sorted(found.items()))


def _jump_refusal(start: PinotVersion, end: PinotVersion, pools: Sequence[str]) -> Refusal:
    through = releases_between(start, end, RELEASES)
    if end < start:
        through.reverse()
    return Refusal(
        JUMP,
        f"{start} -> {end} (pools {', '.join(pools)}) skips release lines Pinot does not test "
        f"together: go through {', '.join(through)} one at a time, or annotate the PinotCluster "
        f"{ALLOW_JUMP_ANNOTATION}=true to go straight (the known steps still apply)",
    )


def _step_refusals(
    steps: Iterable[KnownStep], pools: Sequence[PoolSettings], involved: Mapping[str, frozenset[PinotVersion]]
) -> list[Refusal]:
    found = []
    for step in steps:
        acting = [
            p.name for p in pools if p.role is step.role and any(v in step.old for v in involved[p.name])
        ]
        advice = step.action.advice if isinstance(step.action, Refuse) else ""
        found.append(
            Refusal(
                REFUSED_STEP,
                f"{step.why} (pools {', '.join(acting)}): {advice}, or annotate the PinotCluster "
                f"{SKIP_STEPS_ANNOTATION}={step.name} to go ahead",
            )
        )
    return found


def _plugin_refusals(moving: Sequence[PoolSettings], desired: Versions) -> list[Refusal]:
    found = []
    for pool in moving:
        wanted = desired[pool.name]
        for plugin in pool.pinot.plugins:
            span = PLUGINS.get(plugin)
            if span is not None and wanted not in span:
                found.append(
                    Refusal(
                        REFUSED_STEP,
                        f"pool {pool.name} lists plugin {plugin}, which Pinot has only {span}, "
                        f"not at {wanted}: "
                        f"change the pool's plugins first, or annotate the PinotCluster "
                        f"{SKIP_STEPS_ANNOTATION}={PLUGINS_STEP} if the image brings it anyway",
                    )
                )
    return found


def _to_prepare(
    setting: Sequence[KnownStep], pools: Sequence[PoolSettings], runs: Mapping[str, PoolRun]
) -> dict[str, list[str]]:
    """Servers whose pods may run a version a step covers without having done it, and those steps."""
    found: dict[str, list[str]] = {}
    if not setting:  # the usual case: no known step asks anything of this cluster
        return found
    for pool in pools:
        for run in runs[pool.name].runs if pool.name in runs else ():
            for step in _lacking(run, setting):
                if pool.role is step.role:
                    names = found.setdefault(pool.name, [])
                    names += [step.name] if step.name not in names else []
    return found


def _lacking(run: Run, setting: Sequence[KnownStep]) -> list[KnownStep]:
    return [step for step in setting if run.version in step.old and step.name not in run.steps]


def _prepare(
    plan: Plan,
    pools: Sequence[PoolSettings],
    runs: Mapping[str, PoolRun],
    preparing: Mapping[str, list[str]],
    setting: Sequence[KnownStep],
) -> Plan:
    """The servers to prepare roll first, with what the steps ask: at the image their pods run, or, in
    the middle of a roll, at the image it rolls to. Every other pool is held where it stands (one
    caught in the middle of a roll too), and a pool not created yet waits."""
    names = ", ".join(dict.fromkeys(name for steps in preparing.values() for name in steps))
    staged, held, waiting = [], {}, {}
    for pool in pools:
        run = runs.get(pool.name)
        if run is None:
            waiting[pool.name] = f"waiting for the servers to be prepared ({names}) before creating"
            staged.append(pool)
        elif pool.name in preparing:
            # A roll under way goes on to its template; else the pods stay at what they run. Its
            # template is also where the pods may go when they may run its image already (recorded):
            # still true once this answer has rewritten the template with the steps, when no pod has
            # moved to that yet, so that the next answer prepares the same (a fixed point).
            template = (run.template.version, run.template.image)
            rolling = run.moved or run.settled or any((r.version, r.image) == template for r in run.runs)
            now = run.template if rolling else run.runs[0]
            at = staged_pool(pool, image=now.image, version=str(now.version or ""))
            staged.append(_steps_done(at, now.version, setting, runs))
        else:
            held[pool.name] = f"held while the servers are prepared ({names})"
            staged.append(_held(pool, run))
    first = [pool for pool in staged if pool.name in preparing]
    return plan._replace(
        pools=first + [pool for pool in staged if pool.name not in preparing],
        held=held,
        waiting=waiting,
        preparing=True,
    )


# Pools as rendered for a stage, by the identity of the spec's pool and what the stage changes: the
# same stage renders the very same settings on every sync, so their rendering is remembered.
STAGED: Memo[tuple[PoolSettings, PoolSettings]] = Memo(128)


def staged_pool(pool: PoolSettings, **changes: object) -> PoolSettings:
    key = (id(pool), tuple(sorted((name, repr(value)) for name, value in changes.items())))
    found = STAGED.get(key)
    if found is None or found[0] is not pool:
        found = (pool, dataclasses.replace(pool, **changes))  # type: ignore[arg-type]
        STAGED.put(key, found)
    return found[1]


def _held(pool: PoolSettings, run: PoolRun) -> PoolSettings:
    """A held pool is planned with the replicas it has (its children are kept as observed)."""
    return pool if pool.replicas == run.replicas else staged_pool(pool, replicas=run.replicas)


def _steps_done(
    pool: PoolSettings,
    version: PinotVersion | None,
    setting: Sequence[KnownStep],
    runs: Mapping[str, PoolRun],
) -> PoolSettings:
    """`pool` with the properties the applying steps ask of its version, over its own; and those a
    step set on the config it runs and its own settings leave out, so that a step done is not undone
    by the next roll (servers keep DataTable v4 after a rollback to 0.11.0, for instance)."""
    own = pool.pinot.properties
    extra: dict[str, str] = {}
    for step in SETTING_BY_ROLE[pool.role]:
        action = step.action
        if version not in step.old or not isinstance(action, SetProperties):
            continue
        if step in setting:
            extra.update(action.missing(own))
            continue
        run = runs.get(pool.name)
        config = run.config if run is not None else {}
        extra.update({k: v for k, v in action.properties if k not in own and config.get(k) == v})
    if not extra:
        return pool
    properties = dict(sorted({**own, **extra}.items()))
    return staged_pool(pool, pinot=dataclasses.replace(pool.pinot, properties=properties))


def _ordered(pools: Sequence[PoolSettings], order: Sequence[Role]) -> list[PoolSettings]:
    rank = {role: position for position, role in enumerate(order)}
    return sorted(pools, key=lambda p: (rank[p.role], p.index))
