"""Membership as the PinotCluster sync sees it: what may change now, from one request.

The sync asks this module, before it plans the rollout:
- the replicas each pool's StatefulSet may have now (a shrinking pool keeps its pods until Pinot has
  let go of them), and which pools are not ready yet because Pinot has not settled them;
- the children to add: membership Jobs, the StatefulSets (and their Services, PDB and ConfigMaps) of
  pools removed from the spec that still have instances in Pinot, and every owned child whose labels
  name nothing of this cluster, kept exactly as observed;
- what the status shows: each pool's Pinot view, the removed pools, the unrecognised children, and
  the reasons of the conditions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from hooks import GROUP
from hooks.children import EncodedChild, as_applied
from hooks.cluster import naming
from hooks.cluster.rollout import Observation, PoolState, PoolStep
from hooks.cluster.settings import PoolSettings
from hooks.cluster.spec import PinotClusterSpec, Role
from hooks.cluster.status import Membership
from hooks.contract import Observed, as_int, as_object
from hooks.membership.plan import (
    JobRecords,
    MembershipPhase,
    MembershipPlan,
    PoolInput,
    PoolMembership,
    plan_membership,
)
from hooks.membership.runs import CLUSTER_LABEL as JOB_CLUSTER_LABEL
from hooks.membership.runs import Target
from hooks.membership.tags import pool_tags

JsonObject = dict[str, Any]
FORCE_ANNOTATION = f"{GROUP}/force-scale-in"
COMPONENT_LABEL = f"{GROUP}/component"  # on children that belong to no pool (hooks.cluster.zookeeper)
"""Pool names (comma-separated) whose scale-in or removal goes on although tables are left short."""
STATEFULSET = ("apps/v1", "StatefulSet")
JOB = ("batch/v1", "Job")
POD = ("v1", "Pod")
COMPANIONS = (("v1", "Service"), ("v1", "ConfigMap"), ("policy/v1", "PodDisruptionBudget"))
REMOVAL_RESYNC_SECONDS = 10.0
ROLES = frozenset(role.value for role in Role)


@dataclass(frozen=True)
class RemovedPool:
    name: str
    role: str
    statefulset: JsonObject
    membership: PoolMembership | None

    @property
    def gone(self) -> bool:
        """Nothing of the pool is left to wait for: its StatefulSet and companions may go."""
        if self.membership is not None:
            return self.membership.done
        spec, status = as_object(self.statefulset.get("spec")), as_object(self.statefulset.get("status"))
        return as_int(spec.get("replicas"), 1) == 0 and as_int(status.get("replicas")) == 0

    @property
    def replicas(self) -> int:
        if self.membership is not None:
            return self.membership.replicas
        return 0

    def status(self) -> JsonObject:
        pods = as_int(as_object(self.statefulset.get("status")).get("replicas"))
        shown: JsonObject = {"name": self.name, "role": self.role, "replicas": pods}
        if self.membership is None:
            shown |= {"phase": MembershipPhase.DRAINING.value, "message": "scaling to 0"}
        else:
            shown |= {"phase": self.membership.phase.value, "message": self.membership.message}
            if self.membership.job:
                shown["job"] = self.membership.job
        return shown

    def describe(self) -> str:
        entry = self.status()
        return f"pool {self.name} is being removed ({entry['phase']}: {entry['message']})"


@dataclass(frozen=True)
class ClusterMembership:
    plan: MembershipPlan
    spec_pools: frozenset[str]
    removed: tuple[RemovedPool, ...]
    unrecognized: tuple[str, ...]
    children: tuple[JsonObject | EncodedChild, ...]
    controller_ready: bool
    observed_jobs: frozenset[str]

    def sized(self, pools: list[PoolSettings]) -> list[PoolSettings]:
        """The pools with the replicas their StatefulSets may have now."""
        return [
            pool
            if (n := self.plan.replicas(pool.name, pool.replicas)) == pool.replicas
            else replace(pool, replicas=n)
            for pool in pools
        ]

    @property
    def held(self) -> dict[str, str]:
        """Spec pools whose Pinot side is not settled, with what is under way."""
        if not self.controller_ready:
            return {}
        return {
            name: f"{found.phase.value}: {found.message}"
            for name, found in self.plan.pools.items()
            if name in self.spec_pools and found.held
        }

    def steps(self, steps: list[PoolStep]) -> list[PoolStep]:
        """A pool whose scale-in Pinot refused runs as it is, and says why it does not shrink."""
        out = []
        for step in steps:
            found = self.plan.pools.get(step.pool.name)
            if found is not None and found.phase is MembershipPhase.BLOCKED and step.converged:
                step = step._replace(state=PoolState.DEGRADED, message=found.message)
            out.append(step)
        return out

    def pool_status(self, name: str, paused: bool = False) -> JsonObject | None:
        """Pinot's side of a spec pool. While paused no Job starts: a phase waiting for a Job that
        does not exist says so instead."""
        found = self.plan.pools.get(name)
        if found is None or name not in self.spec_pools:
            return None
        if paused and found.held and found.job not in self.observed_jobs:
            waiting = found._replace(
                phase=MembershipPhase.WAITING, message="spec.paused is true: nothing starts in Pinot"
            )
            return waiting.status()
        return found.status()

    def conditions(self, steps: list[PoolStep]) -> Membership:
        held = self.held
        kubernetes = [s for s in steps if s.state is PoolState.ROLLING_OUT and s.pool.name not in held]
        active = next(
            (self.plan.pools[s.pool.name] for s in steps if s.pool.name in held),
            next((r.membership for r in self.removed if r.membership and r.membership.held), None),
        )
        reason = "RollingOut"
        if not kubernetes and active is not None and active.phase is not MembershipPhase.WAITING:
            reason = active.phase.value
        elif not kubernetes and active is None and self.removed:
            reason = MembershipPhase.DRAINING.value
        degraded = None
        failures = [p for p in self.plan.pools.values() if p.failure]
        if failures:
            first = failures[0]
            degraded = (first.failure, f"pool {first.name}: {first.message}")
        elif self.unrecognized:
            degraded = (
                "UnrecognizedChildren",
                f"owned children whose labels name no pool of this cluster are kept as they are: "
                f"{', '.join(self.unrecognized)}; delete them yourself once you know they are not needed",
            )
        blocked = tuple(n for n, p in self.plan.pools.items() if p.phase is MembershipPhase.BLOCKED)
        return Membership(reason, degraded, tuple(r.describe() for r in self.removed), blocked)

    @property
    def removing(self) -> list[str]:
        return [r.name for r in self.removed]

    def summary(self) -> str:
        """Pools with Pinot-side work under way, for the hook's log line."""
        quiet = (MembershipPhase.SETTLED, MembershipPhase.WAITING)
        busy = [f"{n}:{p.phase.value}" for n, p in self.plan.pools.items() if p.phase not in quiet]
        return ",".join(busy)


def cluster_membership(
    spec: PinotClusterSpec,
    pools: Sequence[PoolSettings],
    observed: Observed,
    related: Observed,
    target: Target,
    annotations: Mapping[str, str],
    now: datetime,
    held: frozenset[str] = frozenset(),
    observations: Mapping[str, Observation] | None = None,
) -> ClusterMembership:
    """`held`: pools whose StatefulSet a refused version change keeps as observed (hooks.cluster.upgrade).
    Such a pool keeps its size in Pinot too: a scale-in asked meanwhile waits instead of draining
    instances whose pods could not go. `observations`: of the pools' StatefulSets, where the caller
    has them already (by pool name)."""
    known = observations or {}
    cluster = target.cluster
    forced = {name.strip() for name in annotations.get(FORCE_ANNOTATION, "").split(",") if name.strip()}
    models = {pool.name: pool for pool in spec.pools}
    names = {pool.name for pool in pools}
    sets = observed.of(*STATEFULSET)
    inputs: list[PoolInput] = []
    controller_ready = False
    for pool in pools:
        sts = sets.get(naming.statefulset_name(cluster, pool.name))
        observation = (known.get(pool.name) or Observation.of(sts)) if sts is not None else None
        if pool.role is Role.CONTROLLER and observation is not None and observation.ready > 0:
            controller_ready = True
        tags = pool_tags(models[pool.name])
        desired = (
            observation.spec_replicas if observation is not None and pool.name in held else pool.replicas
        )
        inputs.append(PoolInput(pool.name, pool.role, desired, tags, observation, force=pool.name in forced))
    removed_sets, unrecognized, kept = observed.derive(
        ("membership-owned", cluster, frozenset(names)), lambda: _owned(observed, cluster, names)
    )
    for owner, (role, sts) in sorted(removed_sets.items()):
        inputs.append(
            PoolInput(owner, Role(role), 0, None, Observation.of(sts), removed=True, force=owner in forced)
        )
    records = observed.derive(
        ("membership-jobs", cluster, related.serial),
        lambda: JobRecords(observed.of(*JOB), list(related.of(*POD).values()), cluster),
    )
    plan = plan_membership(target, inputs, records, controller_ready, now)
    removed = tuple(
        RemovedPool(pool, role, sts, plan.pools.get(pool))
        for pool, (role, sts) in sorted(removed_sets.items())
    )
    children: list[JsonObject | EncodedChild] = list(plan.children)
    for gone in removed:
        if gone.gone:
            continue
        scaled = as_applied(gone.statefulset)
        scaled["spec"] = {**as_object(scaled.get("spec")), "replicas": gone.replicas}
        children.append(scaled)
        children += [
            as_applied(other)
            for kind in COMPANIONS
            for other in observed.of(*kind).values()
            if _labels(other).get(naming.POOL_LABEL) == gone.name
        ]
    children += kept
    return ClusterMembership(
        plan,
        frozenset(names),
        tuple(r for r in removed if not r.gone),
        unrecognized,
        tuple(children),
        controller_ready,
        frozenset(observed.of(*JOB)),
    )


def _owned(
    observed: Observed, cluster: str, names: set[str]
) -> tuple[dict[str, tuple[str, JsonObject]], tuple[str, ...], tuple[JsonObject, ...]]:
    """The StatefulSets of pools no longer in the spec (`names`), by pool (with its role), and the
    owned children whose labels name nothing of this cluster, kept exactly as observed (their
    names, sorted, and the children to answer)."""
    removed_sets: dict[str, tuple[str, JsonObject]] = {}
    unrecognized: list[str] = []
    kept: list[JsonObject] = []
    for name, sts in observed.of(*STATEFULSET).items():
        labels = _labels(sts)
        owner = labels.get(naming.POOL_LABEL, "")
        role = labels.get(naming.ROLE_LABEL, "")
        ours = labels.get(naming.CLUSTER_LABEL) == cluster and name == naming.statefulset_name(cluster, owner)
        if labels.get(naming.CLUSTER_LABEL) == cluster and labels.get(COMPONENT_LABEL):
            continue  # not a pool: a part of the cluster another module renders (the ZooKeeper ensemble)
        if ours and owner in names:
            continue
        if ours and owner and role in ROLES:
            removed_sets[owner] = (role, sts)
            continue
        unrecognized.append(f"StatefulSet/{name}")
        kept.append(as_applied(sts))
    for kind in (*COMPANIONS, JOB):
        for name, other in observed.of(*kind).items():
            labels = _labels(other)
            if labels.get(naming.CLUSTER_LABEL) != cluster and labels.get(JOB_CLUSTER_LABEL) != cluster:
                unrecognized.append(f"{other.get('kind', kind[1])}/{name}")
                kept.append(as_applied(other))
    return removed_sets, tuple(sorted(unrecognized)), tuple(kept)


def resync_seconds(membership: ClusterMembership) -> float:
    waits = [membership.plan.resync_seconds] if membership.plan.resync_seconds else []
    if membership.removed:
        waits.append(REMOVAL_RESYNC_SECONDS)
    return min(waits) if waits else 0.0


def _labels(obj: Mapping[str, Any]) -> Mapping[str, str]:
    labels = (obj.get("metadata") or {}).get("labels")
    return labels if isinstance(labels, dict) else {}
