"""A managed ZooKeeper ensemble in the cluster's ordered rollout, decided from observed state only.

Order. The ensemble is the first step of the rollout, ahead of every pool:
- fresh install: its StatefulSet is created first; the controller pool only once every server is
  ready, which means serving in a quorum (the readiness probe asks `srvr` for a Mode);
- any change to its pod template or `zoo.cfg` is released at once (nothing is before it), and Pinot
  pools with pending changes are held until it has converged again, as a later pool waits for an
  earlier one. It is listed first in `status.pools`, as pool `zookeeper`.

Within the ensemble, servers are replaced one at a time, highest ordinal first: that is the only
order StatefulSet partitions allow (a partition p updates ordinals >= p, from the top), and the hook
cannot see which server leads without asking ZooKeeper. Each server is replaced only after the one
before it is ready again (rejoined and synced) plus MIN_READY_SECONDS, so at most one server is ever
missing from the quorum. Elections break ties by the highest id, and ids grow with the ordinal, so
after the leader restarts the next leader is, in a settled ensemble, a server already replaced: a
rollout costs one leader election, or two when the leader is the highest server (measured against a
real ensemble in tests/pinot/ensemble). Putting the leader last would need Pods deleted in an order
chosen from ZooKeeper's answer (an OnDelete strategy and a Job with rights to delete Pods); a second
election of a few hundred milliseconds does not pay for that.

Refused, from observed state:
- switching between an external and a managed ensemble once a Pinot pool exists (InvalidSpec): Pinot's
  cluster, schemas, tables and segment metadata live in ZooKeeper, and the other side holds none of it;
- resizing: the ensemble keeps the servers it was created with (SERVERS_ANNOTATION), and a changed
  `replicas` is reported (Degraded, ImmutableFieldChanged) as a storage change is. Growing an ensemble
  safely needs ZooKeeper's dynamic reconfiguration, which the ensemble runs without.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any, NamedTuple

from hooks.children import EncodedChild, applied_child
from hooks.cluster import naming
from hooks.cluster.quantity import QuantityError, canonical_quantity
from hooks.cluster.rollout import Observation, PoolState, PoolStep, PreviousPool, plan
from hooks.cluster.settings import EffectiveKubernetes, EffectivePinot, PoolSettings
from hooks.cluster.spec import ZOOKEEPER_MAX_REPLICAS, ManagedZooKeeper, PinotClusterSpec, Role
from hooks.cluster.validation import resources_errors
from hooks.cluster.zookeeper import (
    ENSEMBLE,
    MANAGED,
    MODE_ANNOTATION,
    SERVERS_ANNOTATION,
    EnsembleContext,
    RenderedEnsemble,
    connect_string,
    render_ensemble,
    selector_labels,
    statefulset_name,
)
from hooks.contract import Observed, as_list, as_object
from hooks.refusals import SpecError

JsonObject = dict[str, Any]
STATEFULSET = ("apps/v1", "StatefulSet")
CONFIGMAP = ("v1", "ConfigMap")
MANAGED_PATH = "spec.zookeeper.managed"


class Component(StrEnum):
    ZOOKEEPER = ENSEMBLE


class EnsembleUnit(NamedTuple):
    """The ensemble as `status.pools` lists it."""

    name: str
    role: Component
    replicas: int


class EnsembleStep(NamedTuple):
    """Shaped as a PoolStep, for status (hooks.cluster.status.Step)."""

    pool: EnsembleUnit
    template_hash: str
    emit: bool
    partition: int
    state: PoolState
    message: str
    since: str
    observation: Observation | None

    @property
    def converged(self) -> bool:
        return self.state is PoolState.READY


class Ensemble(NamedTuple):
    rendered: RenderedEnsemble
    step: EnsembleStep
    planned: PoolStep  # the same step as the rollout planned it (for the clock and the log)
    problems: list[str]

    @property
    def connect(self) -> str:
        """The connect string Pinot is given."""
        context = self.rendered.context
        return connect_string(context.cluster, context.namespace, context.servers)

    @property
    def ahead(self) -> str | None:
        """What every pool waits for, if anything."""
        return None if self.step.converged else ENSEMBLE


def spec_errors(spec: PinotClusterSpec, helix_cluster: str) -> list[SpecError]:
    """What the schema cannot say about `spec.zookeeper`."""
    zookeeper = spec.zookeeper
    if (zookeeper.address is None) == (zookeeper.managed is None):
        return [
            SpecError(
                "spec.zookeeper",
                "set exactly one of address (an existing ensemble) and managed (one the control plane runs)",
            )
        ]
    managed = zookeeper.managed
    if managed is None:
        return []
    errors = []
    if managed.replicas % 2 == 0:
        errors.append(
            SpecError(f"{MANAGED_PATH}.replicas", "must be 1 or an odd number: an even one adds no tolerance")
        )
    if managed.storage is not None and managed.storage.size is not None:
        try:
            canonical_quantity(managed.storage.size)
        except QuantityError as exc:
            errors.append(SpecError(f"{MANAGED_PATH}.storage.size", str(exc)))
    errors += resources_errors(f"{MANAGED_PATH}.resources", managed.resources)
    if managed.jvmOpts is not None and "\n" in managed.jvmOpts:
        errors.append(SpecError(f"{MANAGED_PATH}.jvmOpts", "must be a single line"))
    for index, pool in enumerate(spec.pools):
        if pool.name == ENSEMBLE:
            errors.append(
                SpecError(f"spec.pools[{index}].name", f"{ENSEMBLE!r} is the name of the managed ensemble")
            )
    if helix_cluster == ENSEMBLE:
        errors.append(
            SpecError("spec.clusterName", f"{ENSEMBLE!r} is ZooKeeper's own node at the root of the ensemble")
        )
    return errors


def pool_statefulsets(observed: Observed, cluster: str) -> list[JsonObject]:
    """The observed StatefulSets of the cluster's Pinot pools (not the ensemble's)."""
    found = []
    for sts in observed.of(*STATEFULSET).values():
        labels = as_object(as_object(sts.get("metadata")).get("labels"))
        if labels.get(naming.CLUSTER_LABEL) == cluster and labels.get(naming.POOL_LABEL):
            found.append(sts)
    return found


def _on_managed(sts: Mapping[str, Any]) -> bool:
    return as_object(as_object(sts.get("metadata")).get("annotations")).get(MODE_ANNOTATION) == MANAGED


def switch_errors(spec: PinotClusterSpec, cluster: str, observed: Observed) -> list[SpecError]:
    """A cluster whose Pinot pools exist stays on the ZooKeeper they run on (see the module)."""
    pools = pool_statefulsets(observed, cluster)
    if spec.zookeeper.managed is not None:
        if any(not _on_managed(sts) for sts in pools):
            return [
                SpecError(
                    MANAGED_PATH,
                    "this cluster's pools run on the external ZooKeeper, which holds Pinot's cluster, "
                    "schemas, tables and segment metadata; a managed ensemble would start empty, so the "
                    "switch is refused (keep spec.zookeeper.address, or move the data and create a new "
                    "PinotCluster)",
                )
            ]
        return []
    if any(_on_managed(sts) for sts in pools):
        return [
            SpecError(
                "spec.zookeeper.address",
                "this cluster's pools run on its managed ensemble, which holds Pinot's cluster, schemas, "
                "tables and segment metadata; another ZooKeeper holds none of it, so the switch is "
                "refused (keep spec.zookeeper.managed)",
            )
        ]
    return []


def servers(managed: ManagedZooKeeper, observed_sts: Mapping[str, Any] | None) -> int:
    """The ensemble's size: as it was created, once it exists."""
    if observed_sts is None:
        return managed.replicas
    recorded = as_object(as_object(observed_sts.get("metadata")).get("annotations")).get(SERVERS_ANNOTATION)
    try:
        count = int(str(recorded))
    except ValueError:
        return managed.replicas
    return count if 1 <= count <= ZOOKEEPER_MAX_REPLICAS and count % 2 == 1 else managed.replicas


def managed_ensemble(
    spec: PinotClusterSpec,
    cluster: str,
    namespace: str,
    observed: Observed,
    previous: Mapping[str, PreviousPool],
    now: datetime,
    now_text: str,
) -> Ensemble | None:
    managed = spec.zookeeper.managed
    if managed is None:
        return None
    current = observed.get(*STATEFULSET, statefulset_name(cluster))
    count = servers(managed, current)
    problems = []
    if count != managed.replicas:
        problems.append(
            f"zookeeper: replicas changed ({MANAGED_PATH}.replicas {count} -> {managed.replicas}) but a "
            f"running ensemble is not resized; it keeps its {count} servers"
        )
    context = EnsembleContext(
        cluster,
        namespace,
        count,
        spec.imagePullPolicy,
        tuple(ref.name for ref in spec.imagePullSecrets or []),
    )
    rendered = render_ensemble(managed, context)
    stand_in = PoolSettings(
        ENSEMBLE, Role.CONTROLLER, -1, count, managed.image, EffectivePinot(), EffectiveKubernetes()
    )
    observation = {ENSEMBLE: Observation.of(current)} if current is not None else {}
    [planned] = plan(
        [stand_in],
        {ENSEMBLE: rendered.template_hash},
        observation,
        previous,
        [Role.CONTROLLER],
        now,
        now_text,
        spec.rollout.progressDeadlineSeconds,
    )
    step = EnsembleStep(EnsembleUnit(ENSEMBLE, Component.ZOOKEEPER, count), *planned[1:])
    return Ensemble(rendered, step, planned, problems)


def children(ensemble: Ensemble, observed: Observed) -> tuple[list[JsonObject | EncodedChild], list[str]]:
    """The ensemble's children as this step wants them, and what cannot be applied."""
    rendered, step = ensemble.rendered, ensemble.step
    cluster = rendered.context.cluster
    found: list[JsonObject | EncodedChild] = [*rendered.companions]
    problems = list(ensemble.problems)
    current = observed.get(*STATEFULSET, statefulset_name(cluster))
    stored = as_object(current.get("spec")) if current is not None else {}
    if current is None or rendered.keeps_immutable(stored):
        found.append(rendered.encoded_statefulset(step.partition))
    else:
        desired = rendered.statefulset(step.partition)
        if _claims(desired["spec"].get("volumeClaimTemplates")) != _claims(
            stored.get("volumeClaimTemplates")
        ):
            problems.append(
                f"zookeeper: storage changed ({MANAGED_PATH}.storage) but volumeClaimTemplates of an "
                "existing StatefulSet are immutable; resize the PVCs directly"
            )
        for name, _ in rendered.immutable:  # as Kubernetes keeps them
            if name in stored:
                desired["spec"][name] = stored[name]
            else:
                desired["spec"].pop(name, None)
        found.append(desired)
    if not step.converged:  # servers not yet replaced still mount an older zoo.cfg
        wanted = selector_labels(cluster)
        for name, obj in observed.of(*CONFIGMAP).items():
            labels = as_object(as_object(obj.get("metadata")).get("labels"))
            if name != rendered.config_name and all(labels.get(k) == v for k, v in wanted.items()):
                found.append(applied_child(obj))
    return found, problems


def _claims(claims: Any) -> list[tuple[Any, ...]]:
    """What matters of claim templates: name, size and class (the stored form adds defaults)."""
    rows = []
    for claim in map(as_object, as_list(claims)):
        spec = as_object(claim.get("spec"))
        size = as_object(as_object(spec.get("resources")).get("requests")).get("storage")
        rows.append((as_object(claim.get("metadata")).get("name"), size, spec.get("storageClassName")))
    return sorted(rows, key=repr)
