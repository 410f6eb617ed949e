"""Turning Pinot's basic auth or a deep store on (or off) on a running cluster, in two phases, each
judged from what the observed children say each pool runs: the config file its StatefulSet's
template mounts, and whether every pod runs that template (settled, or never had another: a pool
created with a feature never ran without it). Nothing is remembered between
syncs, so a restarted hook carries on from where the cluster stands, and the answer is a fixed point.

Basic auth on. Controllers refuse calls without credentials as soon as they check them, and servers
and minions call controllers (segment download, realtime commit, task upload). Phase 1: every pool
but the brokers gets the admin's token, no pool checks credentials (a controller that does not check
ignores a token). Phase 2, once every controller, server and minion pool has settled on a template
with the token: controllers and brokers check credentials. Phase 2 stays once a controller or broker
template checks credentials. A pool created meanwhile is created as the phase under way has it (a
controller or broker pool added in phase 1 does not check credentials until phase 2).

Basic auth off. Phase 1: controllers and brokers stop checking, every other pool keeps its token.
Phase 2, once every controller and broker pool has settled on a template that does not check: the
tokens go. The admin whose token is sent is read from the observed token init containers, as the
spec may no longer name it.

Deep store on. A controller that keeps segments in the deep store stores download URIs of its scheme
in ZooKeeper, which servers and minions can follow only with its filesystem registered. Phase 1:
controllers, servers and minions register the filesystem, controllers keep their data directory.
Phase 2, once every server and minion pool has settled on a template with the filesystem:
controllers keep segments in the deep store; this stays once a controller template names it. A
`file://` deep store needs no phase: servers download its segments from the controllers over HTTP.
Removing a deep store, or changing its URI, once a controller keeps segments in one is refused
(`switch_errors`): the download URIs in ZooKeeper name the old location.

One change at a time: while a phase is under way, a version change (hooks.cluster.upgrade) waits:
every existing pool keeps the image its template has, and Progressing says which pools wait.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, NamedTuple

from hooks.cluster.deepstore import FILESYSTEMS, FS_ROLES, DeepStoreFeature, scheme_of
from hooks.cluster.features import Features
from hooks.cluster.pinotauth import (
    ADMIN_PASSWORD_ENV,
    BROKER_ACCESS,
    CONTROLLER_ACCESS,
    PRINCIPAL_ROLES,
    TOKEN_CONTAINER,
    TOKEN_NAMESPACES,
    AuthFeature,
    Principal,
)
from hooks.cluster.pinotconf import DATA_DIR
from hooks.cluster.running import PoolRun, SeenPool, settled
from hooks.cluster.settings import PoolSettings
from hooks.cluster.spec import PinotClusterSpec, Role
from hooks.cluster.upgrade import staged_pool
from hooks.cluster.workload import ClusterContext
from hooks.conditions import Condition
from hooks.contract import as_list, as_object
from hooks.refusals import SpecError

JsonObject = dict[str, Any]
TOKEN_ROLES = tuple(role for role, namespaces in TOKEN_NAMESPACES.items() if namespaces)
ENFORCING_KEYS = {
    Role.CONTROLLER: f"{CONTROLLER_ACCESS}.factory.class",
    Role.BROKER: f"{BROKER_ACCESS}.class",
}
DATA_DIR_KEY = "controller.data.dir"
AUTH_ON_FIRST = "BasicAuthTokensFirst"
AUTH_ON_THEN = "BasicAuthChecksOn"
AUTH_OFF_FIRST = "BasicAuthChecksOffFirst"
AUTH_OFF_THEN = "BasicAuthTokensOff"
STORE_FIRST = "DeepStoreFilesystemFirst"
STORE_THEN = "DeepStoreSwitching"
REASONS = frozenset({AUTH_ON_FIRST, AUTH_ON_THEN, AUTH_OFF_FIRST, AUTH_OFF_THEN, STORE_FIRST, STORE_THEN})


class PoolView(NamedTuple):
    """What one existing pool's StatefulSet says about what its pods run."""

    role: Role
    config: Mapping[str, str] | None  # the properties its template mounts (None: not readable)
    settled: bool  # every pod runs that template (see `view`)
    admin: Principal | None  # whose token its token init container sends, if it has one
    replicas: int  # as its StatefulSet's spec says

    def has(self, key: str) -> bool:
        return self.config is not None and key in self.config

    def settled_with(self, key: str, present: bool) -> bool:
        return self.settled and self.config is not None and (key in self.config) is present


class Phase(NamedTuple):
    reason: str
    message: str


class Staging(NamedTuple):
    features: Mapping[str, Features]  # pool -> what it is rendered with, where not the spec's
    phases: tuple[Phase, ...]  # the changes under way (phase 1 or 2), for the Progressing condition
    # The pools to plan versions with: controllers do not grow while they keep segments apart, and
    # while a phase is under way every existing pool keeps the image its template has.
    pools: list[PoolSettings]
    waiting: tuple[str, ...] = ()  # pools whose image change waits for the phases


def views(seen: Mapping[str, SeenPool]) -> dict[str, PoolView]:
    """The view of every existing pool."""
    return {name: view(pool) for name, pool in seen.items()}


def view(seen: SeenPool) -> PoolView:
    observation = seen.observation
    return PoolView(
        seen.role,
        seen.config,
        # A StatefulSet that never had another spec (generation 1, as created) has no pod of an
        # earlier template: a pool created with a feature never ran without it.
        observation.generation == 1 or settled(observation),
        _admin(seen.pod),
        observation.spec_replicas,
    )


def _admin(pod: Mapping[str, Any]) -> Principal | None:
    for container in map(as_object, as_list(pod.get("initContainers"))):
        if container.get("name") == TOKEN_CONTAINER:
            env = {str(e.get("name")): e.get("value") for e in map(as_object, as_list(container.get("env")))}
            username, secret = env.get("PINOT_AUTH_PRINCIPAL"), env.get("PINOT_AUTH_SECRET")
            if isinstance(username, str) and isinstance(secret, str):
                return Principal(username, secret, ADMIN_PASSWORD_ENV, False)
    return None


def _token_key(role: Role) -> str:
    return f"{TOKEN_NAMESPACES[role][0]}.provider.class"


def staging(
    pools: list[PoolSettings],
    wanted: Features,
    seen: Mapping[str, PoolView],
    said: Said,
    runs: Mapping[str, PoolRun],
) -> Staging:
    """What each pool is rendered with now, the phases under way, and the pools to plan versions
    with. `said` is the Progressing condition the cluster's status had: a phase 2 is named until its
    pools have settled. `runs` says which image each existing pool's template has."""
    auth, auth_phase = _auth(wanted.auth, seen, said)
    store, store_phase = _deep_store(wanted.deep_store, seen, said)
    phases = tuple(p for p in (auth_phase, store_phase) if p is not None)
    planned, waiting = _versions_wait(pools, runs) if phases else (pools, ())
    if store_phase is not None:  # more controllers only once they all keep segments in the deep store
        planned = [
            staged_pool(p, replicas=seen[p.name].replicas)
            if p.role is Role.CONTROLLER and p.name in seen and seen[p.name].replicas < p.replicas
            else p
            for p in planned
        ]
    if auth is wanted.auth and store is wanted.deep_store:
        return Staging({}, phases, planned, waiting)
    staged = dataclasses.replace(wanted, auth=auth, deep_store=store)
    # A pool created meanwhile is created as the phase under way has it.
    return Staging({pool.name: staged for pool in pools}, phases, planned, waiting)


def _versions_wait(
    pools: list[PoolSettings], runs: Mapping[str, PoolRun]
) -> tuple[list[PoolSettings], tuple[str, ...]]:
    """One change at a time: while a feature phase is under way, each existing pool keeps the image
    (and Pinot version) its template has, and the version change the spec asks waits until the
    phases are done. A pool caught in the middle of a version roll goes on to its template's image."""
    planned, waiting = [], []
    for pool in pools:
        run = runs.get(pool.name)
        if run is None or pool.image == run.template_image:
            planned.append(pool)
            continue
        waiting.append(pool.name)
        version = str(run.template.version or "")
        planned.append(staged_pool(pool, image=run.template_image, version=version))
    return planned, tuple(waiting)


class Said(NamedTuple):
    """The Progressing condition the cluster's status had: it names every phase under way (the
    reason the first, the message each)."""

    reason: str
    message: str

    def named(self, phase: Phase) -> bool:
        return self.reason == phase.reason or phase.message in self.message


def _then(phases: tuple[Phase, Phase], done: bool, evidence: bool, said: Said) -> Phase | None:
    """Phase 2, while it is under way: some pool is still to change (`evidence`), or the status named
    this change before and its pools have not all settled (`done`)."""
    first, then = phases
    return then if not done and (evidence or said.named(first) or said.named(then)) else None


AUTH_ON = (
    Phase(
        AUTH_ON_FIRST,
        "turning basic auth on, phase 1 of 2: controllers, servers and minions get the admin's token "
        "before controllers and brokers check credentials",
    ),
    Phase(AUTH_ON_THEN, "turning basic auth on, phase 2 of 2: controllers and brokers check credentials"),
)
AUTH_OFF = (
    Phase(
        AUTH_OFF_FIRST,
        "turning basic auth off, phase 1 of 2: controllers and brokers stop checking credentials before "
        "the other pools stop sending the admin's token",
    ),
    Phase(AUTH_OFF_THEN, "turning basic auth off, phase 2 of 2: the pools stop sending the admin's token"),
)


def _auth(
    wanted: AuthFeature | None, seen: Mapping[str, PoolView], said: Said
) -> tuple[AuthFeature | None, Phase | None]:
    checking = [v for v in seen.values() if v.role in PRINCIPAL_ROLES]
    calling = [v for v in seen.values() if v.role in TOKEN_ROLES]
    if wanted is not None:
        enforcing = [v for v in checking if v.has(ENFORCING_KEYS[v.role])]
        # Once a controller or broker template checks credentials, phase 2 is under way or done.
        if enforcing or all(v.settled_with(_token_key(v.role), True) for v in calling):
            done = all(v.settled_with(ENFORCING_KEYS[v.role], True) for v in checking)
            return wanted, _then(AUTH_ON, done, len(enforcing) < len(checking), said)
        return dataclasses.replace(wanted, enforce=False), AUTH_ON[0]
    enforcing = [v for v in checking if v.has(ENFORCING_KEYS[v.role])]
    tokened = [v for v in calling if v.has(_token_key(v.role))]
    # Once a template of a pool that calls the controller sends no token, phase 2 is under way or done.
    if not enforcing and (
        len(tokened) < len(calling) or all(v.settled_with(ENFORCING_KEYS[v.role], False) for v in checking)
    ):
        done = all(v.settled_with(_token_key(v.role), False) for v in calling)
        return None, _then(AUTH_OFF, done, bool(tokened), said)
    admin = next((v.admin for v in seen.values() if v.admin is not None), None)
    if admin is None:  # no pool sends a token: there is none to keep while the checks go
        return None, None
    return AuthFeature(admin, (), enforce=False), AUTH_OFF[0]


def _deep_store(
    wanted: DeepStoreFeature | None, seen: Mapping[str, PoolView], said: Said
) -> tuple[DeepStoreFeature | None, Phase | None]:
    if wanted is None or wanted.filesystem is None:  # none, or file:// (servers download over HTTP)
        return wanted, None
    controllers = [v for v in seen.values() if v.role is Role.CONTROLLER]
    readers = [v for v in seen.values() if v.role in FS_ROLES and v.role is not Role.CONTROLLER]
    # A controller whose config cannot be read counts as switched: going back would be the harm.
    switched = [v for v in controllers if v.config is None or v.config.get(DATA_DIR_KEY) == wanted.uri]
    registered = f"storage.factory.class.{wanted.scheme}"
    phases = (
        Phase(
            STORE_FIRST,
            f"turning the deep store on, phase 1 of 2: controllers, servers and minions register the "
            f"{wanted.scheme} filesystem before controllers keep segments in {wanted.uri}",
        ),
        Phase(
            STORE_THEN, f"turning the deep store on, phase 2 of 2: controllers keep segments in {wanted.uri}"
        ),
    )
    if switched or all(v.settled_with(f"pinot.{v.role.value}.{registered}", True) for v in readers):
        done = all(
            v.settled and v.config is not None and v.config.get(DATA_DIR_KEY) == wanted.uri
            for v in controllers
        )
        return wanted, _then(phases, done, len(switched) < len(controllers), said)
    return dataclasses.replace(wanted, data_dir=False), phases[0]


def switch_errors(spec: PinotClusterSpec, seen: Mapping[str, PoolView]) -> list[SpecError]:
    """A cluster whose controllers keep segments in a deep store keeps that deep store; a controller
    pool is added only once the controllers keep segments in the deep store (or there is none)."""
    local = DATA_DIR[Role.CONTROLLER]
    kept = {
        v.config[DATA_DIR_KEY]
        for v in seen.values()
        if v.role is Role.CONTROLLER and v.config is not None and v.config.get(DATA_DIR_KEY, local) != local
    }
    wanted = spec.deepStore.uri if spec.deepStore is not None else None
    errors = []
    controllers = [v for v in seen.values() if v.role is Role.CONTROLLER]
    remote = spec.deepStore is not None and scheme_of(spec.deepStore.uri) in FILESYSTEMS
    if remote and any(v.config is not None and v.config.get(DATA_DIR_KEY) != wanted for v in controllers):
        errors += [
            SpecError(
                f"spec.pools[{index}]",
                "a controller pool is added once the controllers keep segments in spec.deepStore, which "
                "is being turned on (until the cluster is Ready again, each would keep segments of its "
                "own): add it then",
            )
            for index, pool in enumerate(spec.pools)
            if pool.role is Role.CONTROLLER and pool.name not in seen
        ]
    for uri in sorted(kept - {wanted}):
        why = (
            f"the controllers keep segments in {uri}, and the download URIs Pinot stored in ZooKeeper for "
            "every segment name it, so servers and minions read segments there"
        )
        if wanted is None:
            errors.append(SpecError("spec.deepStore", f"is required: {why}; a cluster keeps its deep store"))
        else:
            errors.append(
                SpecError(
                    "spec.deepStore.uri",
                    f"must stay {uri}: {why}; copying the segments elsewhere does not change those URIs",
                )
            )
    return errors


def rendered_with(cluster: ClusterContext, staged: Staging, pool: str) -> ClusterContext:
    """The cluster context `pool` is rendered in: with the features of its stage."""
    features = staged.features.get(pool)
    return cluster if features is None else dataclasses.replace(cluster, features=features)


def conditions(staged: Staging, found: list[Condition]) -> list[Condition]:
    """`found` with Progressing naming the phase of the feature change under way, while it
    progresses, and the pools whose image change waits for it."""
    if not staged.phases:
        return found
    reason = staged.phases[0].reason
    message = "; ".join(phase.message for phase in staged.phases)
    if staged.waiting:
        message += (
            f"; the image change of pools {', '.join(staged.waiting)} waits until this is done "
            "(one change at a time)"
        )
    return [
        dataclasses.replace(c, reason=reason, message=f"{message}; {c.message}")
        if c.type == "Progressing" and c.status == "True"
        else c
        for c in found
    ]
