"""The PinotCluster sync hook: parse -> resolve -> plan -> render -> status, all pure.

`sync_cluster(request, now)` is the whole hook; the HTTP layer only parses and serialises.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from functools import lru_cache
from typing import Any

from hooks.children import (
    EncodedChild,
    answered_children,
    applied_child,
    as_applied,
    encoded_child,
    sort_children,
)
from hooks.cluster import ensemble, featurephases, naming, networkpolicy
from hooks.cluster.clusterwide import cluster_children, grpc_ports
from hooks.cluster.featurechecks import feature_errors
from hooks.cluster.features import features
from hooks.cluster.finalize import finalize_cluster
from hooks.cluster.paused import held_changes, paused_steps
from hooks.cluster.pinotconf import PORTS
from hooks.cluster.rendering import RenderedPool, render_pool
from hooks.cluster.rollout import PoolState, PoolStep, PreviousPool, plan, resync_after
from hooks.cluster.running import (
    PoolRun,
    Run,
    SeenPool,
    held_children,
    pool_runs,
    record,
    records_after,
    seen_pools,
)
from hooks.cluster.services import role_service
from hooks.cluster.settings import PoolSettings, ordered_pools
from hooks.cluster.spec import PinotClusterSpec, Role
from hooks.cluster.status import Step, cluster_conditions, invalid_spec_conditions, pool_status
from hooks.cluster.summary import summary
from hooks.cluster.upgrade import plan_versions
from hooks.cluster.upgrade_status import conditions as version_conditions
from hooks.cluster.upgrade_status import held_steps, pool_versions, version_status
from hooks.cluster.validation import layered_errors, parse_spec
from hooks.cluster.workload import IMMUTABLE_STATEFULSET_FIELDS, ClusterContext
from hooks.conditions import previous_conditions, render_conditions, rfc3339
from hooks.contract import (
    HookRequest,
    HookResponse,
    Observed,
    as_list,
    as_object,
)
from hooks.decision import ClockFreeDecision, Decision
from hooks.membership.cluster import cluster_membership, resync_seconds
from hooks.membership.runs import Target
from hooks.membership.tags import broker_tenants
from hooks.refusals import SpecError
from hooks.resources.routes import DEFAULT_IMAGE

JsonObject = dict[str, Any]

STATEFULSET = ("apps/v1", "StatefulSet")
SERVICE = ("v1", "Service")
CONFIGMAP = ("v1", "ConfigMap")
PDB = ("policy/v1", "PodDisruptionBudget")
NETWORKPOLICY = ("networking.k8s.io/v1", "NetworkPolicy")
JOB = ("batch/v1", "Job")
CHILD_TYPES = (STATEFULSET, SERVICE, CONFIGMAP, PDB, NETWORKPOLICY, JOB)
MAX_ERRORS_IN_MESSAGE = 10
CLOCK_STATES = (PoolState.ROLLING_OUT, PoolState.DEGRADED)  # states decided by elapsed time


def sync_cluster(request: HookRequest, now: datetime, image: str = DEFAULT_IMAGE) -> Decision:
    if request.finalizing:
        return finalize_cluster(request, now)
    parent = request.parent
    observed = request.observed("children")
    now_text = rfc3339(now)
    previous_status = parent.status or {}
    previous = previous_conditions(previous_status)
    generation = parent.metadata.generation

    spec, errors = parse_spec(parent.spec, parent.metadata.name)
    pools: list[PoolSettings] = []
    if spec is not None:
        pools = ordered_pools(spec)
        errors = model_errors(spec, pools, parent.metadata.name)
        errors += ensemble.switch_errors(spec, parent.metadata.name, observed)
        pools_seen, seen, runs = _seen(observed, parent.metadata.name, pools)
        errors += featurephases.switch_errors(spec, seen)
    if spec is None or errors:
        return _invalid(request, observed, errors, previous, previous_status, generation, now_text)

    previous_pools = PreviousPool.by_name(previous_status)
    managed = ensemble.managed_ensemble(
        spec, parent.metadata.name, parent.metadata.namespace, observed, previous_pools, now, now_text
    )
    cluster = _context(parent.metadata.name, parent.metadata.namespace, spec, managed)
    controller_url = naming.controller_url(cluster.name, cluster.namespace, PORTS["controller"])
    secret = spec.auth.secretRef.name if spec.auth else ""
    target = Target(cluster.name, cluster.namespace, cluster.helix_cluster, controller_url, secret, image)
    progressing = previous.get("Progressing") or {}
    said = featurephases.Said(str(progressing.get("reason", "")), str(progressing.get("message", "")))
    staged = featurephases.staging(pools, cluster.features, seen, said, runs)
    versions = plan_versions(staged.pools, runs, parent.metadata.annotations)
    related = request.observed("related")
    membership = cluster_membership(
        spec,
        pools,
        observed,
        related,
        target,
        parent.metadata.annotations,
        now,
        frozenset(versions.held),
        {name: seen.observation for name, seen in pools_seen.items()},
    )
    versions = versions._replace(pools=membership.sized(versions.pools))
    rendered = {
        pool.name: render_pool(pool, featurephases.rendered_with(cluster, staged, pool.name))
        for pool in versions.pools
    }
    observations = {name: pools_seen[name].observation for name in rendered if name in pools_seen}
    hashes = {name: r.template_hash for name, r in rendered.items()}
    hashes.update({name: observations[name].template_hash for name in versions.held if name in observations})
    steps = plan(
        versions.pools,
        hashes,
        observations,
        previous_pools,
        list(spec.deploymentOrder),
        now,
        now_text,
        spec.rollout.progressDeadlineSeconds,
        ahead=managed.ahead if managed is not None else None,
        held=membership.held,
    )
    steps = membership.steps(held_steps(versions, steps, previous_pools, now_text))
    recorded = records_after(steps, runs, versions.held)
    children, problems = _desired_children(steps, rendered, cluster, observed, versions.held, runs, recorded)
    if managed is not None:  # the ensemble is the first step, ahead of every pool
        ensemble_children, ensemble_problems = ensemble.children(managed, observed)
        children += ensemble_children
        problems = ensemble_problems + problems
    policy_on = networkpolicy.enabled(
        spec.networkPolicy,
        pools_exist=bool(ensemble.pool_statefulsets(observed, cluster.name)),
        policy_observed=observed.get(*NETWORKPOLICY, networkpolicy.policy_name(cluster.name)) is not None,
    )
    children += cluster_children(cluster.name, spec, policy_on, grpc_ports(pools))
    children += membership.children
    removing = membership.removing
    held: list[str] = []
    if spec.paused:
        children = [as_applied(obj) for kind in CHILD_TYPES for obj in observed.of(*kind).values()]
        held = held_changes(steps)
        steps = paused_steps(steps, previous_pools)
        # Nothing is applied: each pool runs what its StatefulSet records now.
        recorded = {name: run.runs for name, run in runs.items()}
        versions = versions._replace(held={**dict.fromkeys(runs, "paused"), **versions.held})

    planned = [managed.planned, *steps] if managed is not None else steps
    units: list[Step] = [managed.step, *steps] if managed is not None else [*steps]
    found = cluster_conditions(units, spec.paused, problems, membership.conditions(steps), held)
    conditions = featurephases.conditions(staged, version_conditions(versions, found, steps, spec.paused))
    rank = {pool.name: position for position, pool in enumerate(pools)}
    status: JsonObject = {
        "conditions": render_conditions(conditions, previous, generation, now_text),
        "controllerService": controller_url,
        "pools": ([pool_status(managed.step)] if managed is not None else [])
        + [
            {
                **pool_status(step, membership.pool_status(step.pool.name, spec.paused)),
                **pool_versions(versions, step, runs, recorded),
            }
            for step in sorted(steps, key=lambda s: rank[s.pool.name])
        ],
        **summary(units, versions),
        **version_status(versions, steps, recorded, broker_tenants({p.name: p for p in spec.pools})),
    }
    if membership.removed:
        status["removedPools"] = [gone.status() for gone in membership.removed]
    if membership.unrecognized:
        status["unrecognizedChildren"] = list(membership.unrecognized)
    resync = 0.0 if spec.paused else resync_after(planned, now, spec.rollout.progressDeadlineSeconds)
    if not spec.paused and (wait := resync_seconds(membership)):
        resync = min(resync, wait) if resync else wait
    response = HookResponse(status=status, children=answered_children(children), resync_after_seconds=resync)
    clock_free = _clock_free(planned, status["conditions"], now_text) and not resync
    decide = ClockFreeDecision if clock_free else Decision
    logged = "paused" if spec.paused else decision_summary(planned, removing, membership.summary())
    return decide(response.to_json_object(), logged)


def _seen(
    observed: Observed, name: str, pools: list[PoolSettings]
) -> tuple[dict[str, SeenPool], dict[str, featurephases.PoolView], dict[str, PoolRun]]:
    """The existing pools as their StatefulSets say, read once per observation and pool roles."""
    roles = tuple((pool.name, pool.role) for pool in pools)

    def read() -> tuple[dict[str, SeenPool], dict[str, featurephases.PoolView], dict[str, PoolRun]]:
        found = seen_pools(observed, name, dict(roles))
        return found, featurephases.views(found), pool_runs(found)

    return observed.derive(("seen", name, roles), read)


def model_errors(spec: PinotClusterSpec, pools: list[PoolSettings], name: str) -> list[SpecError]:
    """What a spec that passed its model still gets wrong, as far as the spec alone shows: the
    layered settings, the managed ensemble, the production features."""
    errors = layered_errors(pools)
    errors += ensemble.spec_errors(spec, spec.clusterName or name)
    errors += feature_errors(spec, name)
    return errors


def _clock_free(steps: list[PoolStep], conditions: list[JsonObject], now_text: str) -> bool:
    """Whether the answer is the same at any time: no pool is rolling out (its deadline and the
    resync delay count from the clock) and no transition time came from the clock in this call."""
    return all(step.state not in CLOCK_STATES and step.since != now_text for step in steps) and all(
        condition.get("lastTransitionTime") != now_text for condition in conditions
    )


def decision_summary(steps: list[PoolStep], removing: list[str], pinot: str = "") -> str:
    """What this call decided, for the log: `created=a released=b waiting=c,d ready=e pinot=f:Tagging`."""
    groups: dict[str, list[str]] = {}
    for step in steps:
        if step.observation is None:
            verb = "created" if step.emit else "waiting"
        elif step.state in (PoolState.ROLLING_OUT, PoolState.DEGRADED):
            verb = "released" if step.state is PoolState.ROLLING_OUT else "degraded"
        else:
            verb = "waiting" if step.state is PoolState.WAITING else "ready"
        groups.setdefault(verb, []).append(step.pool.name)
    if removing:
        groups["removing"] = removing
    if pinot:
        groups["pinot"] = [pinot]
    order = ("created", "released", "degraded", "waiting", "ready", "removing", "pinot")
    return " ".join(f"{verb}={','.join(groups[verb])}" for verb in order if verb in groups)


def _context(
    name: str, namespace: str, spec: PinotClusterSpec, managed: ensemble.Ensemble | None
) -> ClusterContext:
    return ClusterContext(
        name=name,
        namespace=namespace,
        helix_cluster=spec.clusterName or name,
        zookeeper=managed.connect if managed is not None else spec.zookeeper.address or "",
        image_pull_policy=spec.imagePullPolicy,
        image_pull_secrets=[ref.name for ref in spec.imagePullSecrets or []],
        zookeeper_managed=managed is not None,
        features=features(spec, name, namespace),
    )


def _desired_children(
    steps: list[PoolStep],
    rendered: Mapping[str, RenderedPool],
    cluster: ClusterContext,
    observed: Observed,
    held: Mapping[str, str],
    runs: Mapping[str, PoolRun],
    recorded: Mapping[str, tuple[Run, ...]],
) -> tuple[list[JsonObject | EncodedChild], list[str]]:
    children: list[JsonObject | EncodedChild] = []
    problems: list[str] = []
    # Role Services exist from the start: cheap, and their addresses are stable for clients.
    pools_by_role: dict[Role, list[PoolSettings]] = {}
    for step in steps:
        pools_by_role.setdefault(step.pool.role, []).append(step.pool)
        if not step.emit:
            continue
        name = step.pool.name
        if name in held:
            children += held_children(observed, cluster.name, name, runs.get(name), recorded.get(name, ()))
            continue
        pool = rendered[name]
        current = observed.get(*STATEFULSET, naming.statefulset_name(cluster.name, name))
        # While its template changes, a StatefulSet records what its pods may run (hooks.cluster.running).
        running = record(recorded.get(name, ()))
        if (current is None or pool.keeps_immutable(as_object(current.get("spec")))) and not running:
            children.append(pool.encoded_statefulset(step.partition))
        else:
            desired = pool.statefulset(step.partition)
            desired["metadata"]["annotations"].update(running)
            if current is not None:
                problems += _keep_immutable(desired, current, step.pool)
            children.append(desired)
        children += pool.companions
        if not step.converged:
            children += _older_config_maps(step.pool, pool.config_name, observed)
    for role in (Role.CONTROLLER, Role.BROKER):
        if pools_by_role.get(role):
            first = pools_by_role[role][0].kubernetes
            annotations = tuple(first.service_annotations.items())
            children.append(_role_service(cluster.name, role, first.service_type, annotations))
    return children, problems


@lru_cache(maxsize=256)
def _role_service(
    cluster: str, role: Role, service_type: str | None, annotations: tuple[tuple[str, str], ...]
) -> EncodedChild:
    """A role's Service follows from these alone, so it is built and encoded once for them."""
    return encoded_child(role_service(cluster, role, service_type, dict(annotations)))


def _keep_immutable(desired: JsonObject, current: JsonObject, pool: PoolSettings) -> list[str]:
    """Fields Kubernetes refuses to change stay as observed; a wanted change is reported."""
    problems = []
    current_spec = as_object(current.get("spec"))
    for name in IMMUTABLE_STATEFULSET_FIELDS:
        wanted = desired["spec"].get(name)
        stored = current_spec.get(name)
        if name == "volumeClaimTemplates" and _claims_differ(wanted or [], as_list(stored)):
            problems.append(
                f"pool {pool.name}: storage changed (spec.pools[{pool.index}].kubernetes.storage) but "
                "volumeClaimTemplates of an existing StatefulSet are immutable; resize the PVCs "
                "directly (the StorageClass must allow expansion)"
            )
        if stored is None:
            desired["spec"].pop(name, None)
        else:
            desired["spec"][name] = stored
    return problems


def _claims_differ(wanted: list[Any], stored: list[Any]) -> bool:
    if wanted == stored:  # the usual case: stored exactly as we sent them
        return False

    def essence(claims: list[Any]) -> list[tuple[Any, ...]]:
        rows = []
        for claim in map(as_object, claims):
            spec = as_object(claim.get("spec"))
            rows.append(
                (
                    as_object(claim.get("metadata")).get("name"),
                    as_object(as_object(spec.get("resources")).get("requests")).get("storage"),
                    spec.get("storageClassName"),
                )
            )
        return sorted(rows, key=repr)  # observed values may be of any type: order by their text

    return essence(wanted) != essence(stored)


def _older_config_maps(
    pool: PoolSettings, current_name: str, observed: Observed
) -> list[JsonObject | EncodedChild]:
    """Pods not yet rolled still mount an older config: keep it until the pool converged."""
    kept: list[JsonObject | EncodedChild] = []
    for name, obj in observed.of(*CONFIGMAP).items():
        labels = (obj.get("metadata") or {}).get("labels") or {}
        if name != current_name and labels.get(naming.POOL_LABEL) == pool.name:
            kept.append(applied_child(obj))
    return kept


def _invalid(
    request: HookRequest,
    observed: Observed,
    errors: list[SpecError],
    previous: Mapping[str, Mapping[str, Any]],
    previous_status: Mapping[str, Any],
    generation: int,
    now_text: str,
) -> Decision:
    shown = "; ".join(str(e) for e in errors[:MAX_ERRORS_IN_MESSAGE])
    if len(errors) > MAX_ERRORS_IN_MESSAGE:
        shown += f"; and {len(errors) - MAX_ERRORS_IN_MESSAGE} more"
    message = f"invalid spec, children are kept as they are: {shown}"
    status = {k: v for k, v in previous_status.items() if k not in ("conditions", "observedGeneration")}
    status["conditions"] = render_conditions(
        invalid_spec_conditions(message, previous), previous, generation, now_text
    )
    children = [as_applied(obj) for objects in observed.by_type.values() for obj in objects.values()]
    response = HookResponse(status=status, children=sort_children(children))
    decide = ClockFreeDecision if _clock_free([], status["conditions"], now_text) else Decision
    return decide(response.to_json_object(), f"invalid: {shown}")
