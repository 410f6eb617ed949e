"""Checks run after every sync of a simulation (Metacontroller observers), raising on a violation.

- `fixed_point`: right after a sync's writes, a dry-run sync would write nothing (contract §7
  item 15: "feed the response back as the next observed state ... no further writes happen").
- `rollout_order`: no pool is created before every pool of every earlier role has converged, and
  no pool's pods are let move to a new template while an earlier pool has not converged, so at
  most one pool rolls at a time (DESIGN "Ordered deployment and incremental rolling upgrades");
  "earlier" in Pinot's order for the direction when versions move (docs/upgrades.md).
- `immutable_fields`: what dynamic apply would PUT never changes a field the API server refuses
  to change (contract §4 "Immutable fields", §7 item 23).
- `condition_shape`: conditions keep the metav1.Condition shape and limits, and a
  lastTransitionTime moves only when that condition's status does (contract §4 "Status loops").
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from hooks.cluster import naming
from hooks.cluster.versions import parse_version, version_of_image
from tests.sim.apiserver import ApiError, ObjectKey, key_of
from tests.sim.controllers import revision_hash
from tests.sim.metacontroller import SyncRecord, apply_update
from tests.sim.world import Simulation

JsonObject = dict[str, Any]
Observer = Callable[[SyncRecord], None]

REASON = re.compile(r"^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$")
CONDITION_TYPE = re.compile(
    r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$"
)
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
ROLES = ("controller", "broker", "server", "minion")
IMMUTABLE_KINDS = {("apps/v1", "StatefulSet"), ("batch/v1", "Job"), ("v1", "Service")}


class InvariantViolation(AssertionError):
    pass


def install(sim: Simulation, *checks: Callable[[Simulation], Observer]) -> None:
    """Attach checks (by default all of them) to every sync of `sim`."""
    for check in checks or (fixed_point, rollout_order, immutable_fields, condition_shape):
        sim.metacontroller.observers.append(check(sim))


def fixed_point(sim: Simulation, kinds: frozenset[str] | None = None) -> Observer:
    """`kinds` limits the check to parents of those kinds (None: every parent)."""

    def observe(record: SyncRecord) -> None:
        # A sync that wrote nothing left the state it saw; the same request gives the same answer
        # (checked by the byte-identity property), so it is at a fixed point already.
        if record.error or not record.effective_writes:
            return
        if kinds is not None and record.parent.kind not in kinds:
            return
        parent = sim.api.get_key(record.parent)
        if parent is None:
            return
        cc = sim.metacontroller.controllers[record.controller.split(".", 1)[0]]
        pending = sim.metacontroller.pending(cc, parent)
        if pending:
            raise InvariantViolation(
                f"step {record.step}: {record.parent} is not at a fixed point after its sync; "
                "the next sync would write:\n  " + "\n  ".join(pending)
            )

    return observe


def _pinot_cluster(record: SyncRecord) -> bool:
    return record.parent.kind == "PinotCluster" and record.response is not None


def _order(parent: JsonObject, observed: dict[str, JsonObject] | None = None) -> list[tuple[str, str]]:
    """(pool, role) in rollout order, for a spec the hook accepts: Pinot's order for the direction
    when the spec moves a pool's version (controller, broker, server, minion up; the reverse down),
    else `deploymentOrder` (docs/upgrades.md); a managed ZooKeeper ensemble (StatefulSet
    `<cluster>-zookeeper`) comes before every pool."""
    spec = parent.get("spec") or {}
    order = list(spec.get("deploymentOrder") or ROLES)
    pools = [p for p in spec.get("pools") or [] if isinstance(p, dict)]
    direction = _direction(parent, pools, observed or {})
    if direction == "up":
        order = list(ROLES)
    elif direction == "down":
        order = list(reversed(ROLES))
    ranked = sorted(enumerate(pools), key=lambda item: (order.index(item[1]["role"]), item[0]))
    ensemble = (
        [("zookeeper", "zookeeper")] if (spec.get("zookeeper") or {}).get("managed") is not None else []
    )
    return ensemble + [(p["name"], p["role"]) for _, p in ranked]


def _direction(parent: JsonObject, pools: list[JsonObject], observed: dict[str, JsonObject]) -> str:
    """ "up" or "down" when the spec asks some pool a version above (below) one its StatefulSet says its
    pods may run, read from its annotations or the tag of its image; "" when none moves or both."""
    spec = parent["spec"]
    ups = downs = False
    for pool in pools:
        sts = observed.get(naming.statefulset_name(parent["metadata"]["name"], pool["name"]))
        wanted = version_of_image(pool.get("image") or spec["image"])
        if sts is None or wanted is None:
            continue
        annotations = sts["metadata"].get("annotations") or {}
        texts = [annotations.get(naming.PINOT_VERSION_ANNOTATION, "")]
        recorded = annotations.get(naming.RUNNING_VERSIONS_ANNOTATION, "").split(",")
        texts += [entry.strip().partition(" ")[0].split("+")[0] for entry in recorded]
        running = {parse_version(t.strip()) for t in texts if t.strip()} - {None}
        running = running or {version_of_image(sts["spec"]["template"]["spec"]["containers"][0]["image"])}
        ups |= any(v is not None and v < wanted for v in running)
        downs |= any(v is not None and v > wanted for v in running)
    return "" if ups == downs else ("up" if ups else "down")


def _revision(sts: JsonObject) -> str:
    return f"{sts['metadata']['name']}-{revision_hash(sts['spec']['template'])}"


def converged(sts: JsonObject | None) -> bool:
    """Everything the StatefulSet controller reports says the pool runs its current template."""
    if sts is None:
        return False
    spec, status = sts["spec"], sts.get("status") or {}
    replicas = spec.get("replicas", 1)
    return (
        status.get("observedGeneration", 0) >= sts["metadata"].get("generation", 1)
        and status.get("replicas") == status.get("readyReplicas") == status.get("updatedReplicas") == replicas
        and status.get("currentRevision") == status.get("updateRevision") == _revision(sts)
    )


def rolling(sts: JsonObject) -> bool:
    """Its pods may move to a template other than the one they run (partition below replicas)."""
    spec, status = sts["spec"], sts.get("status") or {}
    partition = ((spec.get("updateStrategy") or {}).get("rollingUpdate") or {}).get("partition", 0)
    current = status.get("currentRevision")
    return bool(current) and partition < spec.get("replicas", 1) and current != _revision(sts)


def rollout_order(sim: Simulation) -> Observer:
    def observe(record: SyncRecord) -> None:
        if not _pinot_cluster(record) or not record.effective_writes:
            return
        parent = record.request["parent"]
        cluster = parent["metadata"]["name"]
        namespace = parent["metadata"]["namespace"]
        before = {
            obj["metadata"]["name"]: obj for obj in record.request["children"]["StatefulSet.apps/v1"].values()
        }
        try:
            order = _order(parent, before)
        except ValueError:
            return  # a spec the hook refuses: it changes nothing (checked elsewhere)
        after = {
            pool: sim.api.get("apps/v1", "StatefulSet", namespace, naming.statefulset_name(cluster, pool))
            for pool, _ in order
        }
        # While servers are prepared for a known step, they roll at the image they run (no version
        # moves) ahead of pools held with a pending template (docs/upgrades.md).
        status = record.response.get("status") or {} if record.response else {}
        preparing = (status.get("upgrade") or {}).get("phase") == "PreparingServers"
        earlier_rolling = False
        earlier_roles_converged = True
        everything_before_converged = True
        current_role = None
        role_start_converged = True
        for pool, role in order:
            name = naming.statefulset_name(cluster, pool)
            pre, post = before.get(name), after[pool]
            if role != current_role:
                current_role = role
                role_start_converged = everything_before_converged
            earlier_roles_converged = role_start_converged
            if pre is None and post is not None and not earlier_roles_converged:
                raise InvariantViolation(
                    f"step {record.step}: pool {pool} ({role}) created before every earlier role converged"
                )
            prepared = preparing and role == "server" and not earlier_rolling and _keeps_image(sim, post)
            if (
                post is not None
                and pre is not None
                and rolling(post)
                and not everything_before_converged
                and not prepared
            ):
                raise InvariantViolation(
                    f"step {record.step}: pool {pool} may roll to a new template while an earlier pool "
                    "has not converged"
                )
            unchanged = pre is not None and post is not None and pre["spec"] == post["spec"]
            if not (converged(post) and unchanged):
                everything_before_converged = False
            earlier_rolling = earlier_rolling or (post is not None and rolling(post))

    return observe


def _keeps_image(sim: Simulation, sts: JsonObject | None) -> bool:
    """Every pod of the StatefulSet runs the image of its template already."""
    if sts is None:
        return False
    wanted = sts["spec"]["template"]["spec"]["containers"][0]["image"]
    return all(p["spec"]["containers"][0]["image"] == wanted for p in sim.statefulsets.pods(sts).values())


def immutable_fields(sim: Simulation) -> Observer:
    def observe(record: SyncRecord) -> None:
        if record.response is None:
            return
        observed: dict[ObjectKey, JsonObject] = {
            key_of(obj): obj for objects in record.request["children"].values() for obj in objects.values()
        }
        namespace = record.parent.namespace
        for child in record.response["children"]:
            if (child["apiVersion"], child["kind"]) not in IMMUTABLE_KINDS:
                continue
            child = {**child, "metadata": {"namespace": namespace, **child["metadata"]}}
            current = observed.get(key_of(child))
            if current is None:
                continue
            try:
                sim.api.check_update(apply_update(current, child), current)
            except ApiError as error:
                if error.code == 422:
                    raise InvariantViolation(
                        f"step {record.step}: the response changes {error.message}"
                    ) from None

    return observe


def check_conditions(conditions: Any, previous: Any, now: str, generation: int) -> None:
    if not isinstance(conditions, list):
        raise InvariantViolation(f"status.conditions is not a list: {conditions!r}")
    before = {c.get("type"): c for c in previous or [] if isinstance(c, dict)}
    types = [c.get("type") for c in conditions]
    if len(types) != len(set(types)):
        raise InvariantViolation(f"duplicate condition types {types}")
    for condition in conditions:
        where = f"condition {condition.get('type')}"
        if set(condition) != {
            "type",
            "status",
            "reason",
            "message",
            "lastTransitionTime",
            "observedGeneration",
        }:
            raise InvariantViolation(f"{where} has fields {sorted(condition)}")
        if not CONDITION_TYPE.match(condition["type"]) or len(condition["type"]) > 316:
            raise InvariantViolation(f"{where}: invalid type")
        if condition["status"] not in ("True", "False", "Unknown"):
            raise InvariantViolation(f"{where}: status {condition['status']!r}")
        if not REASON.match(condition["reason"]) or len(condition["reason"]) > 1024:
            raise InvariantViolation(f"{where}: reason {condition['reason']!r}")
        if not isinstance(condition["message"], str) or len(condition["message"]) > 32768:
            raise InvariantViolation(f"{where}: message too long or not a string")
        if not TIMESTAMP.match(condition["lastTransitionTime"]):
            raise InvariantViolation(f"{where}: lastTransitionTime {condition['lastTransitionTime']!r}")
        if condition["observedGeneration"] != generation:
            raise InvariantViolation(f"{where}: observedGeneration {condition['observedGeneration']}")
        old = before.get(condition["type"])
        if old is None:
            continue
        if (
            old.get("status") == condition["status"]
            and old.get("lastTransitionTime") != condition["lastTransitionTime"]
        ):
            raise InvariantViolation(
                f"{where}: lastTransitionTime moved while the status stayed {old['status']}"
            )
        if old.get("status") != condition["status"] and condition["lastTransitionTime"] != now:
            raise InvariantViolation(f"{where}: status flipped but lastTransitionTime is not now")


def condition_shape(sim: Simulation) -> Observer:
    def observe(record: SyncRecord) -> None:
        if record.response is None:
            return
        parent = record.request["parent"]
        check_conditions(
            record.response["status"].get("conditions", []),
            (parent.get("status") or {}).get("conditions"),
            sim.clock.timestamp(),
            parent["metadata"].get("generation", 0),
        )

    return observe
