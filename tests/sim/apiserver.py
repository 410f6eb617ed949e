"""An in-memory API server: the storage semantics our hooks and Metacontroller rely on.

- Every write gets a new `resourceVersion`; a write that changes nothing is a no-op (no new
  resourceVersion, hence no watch event), as on a real API server.
- `metadata.generation` starts at 1 and is bumped only when something outside `metadata` and
  `status` changes; status is written only through `update_status` for types with a status
  subresource (a main-resource write keeps the stored status).
- Built-in objects are defaulted and canonicalised (`defaults`); custom resources are pruned to
  their CRD schema, defaulted and validated, CEL rules included (`tests.crds.crdcheck`). Status
  writes are pruned too: Metacontroller does not ask for strict field validation, so unknown status
  fields are dropped silently (contract §3 "Parent status update": "Status fields the CRD schema
  prunes will differ on every compare").
- Changes to immutable fields are refused with 422 and nothing is stored: StatefulSet spec fields
  other than replicas, ordinals, template, updateStrategy, revisionHistoryLimit,
  persistentVolumeClaimRetentionPolicy and minReadySeconds; Job template, selector and the other
  fixed Job fields; a Service's allocated clusterIP.
- Deletion honours finalizers (deletionTimestamp first) and garbage-collects dependents in the
  background through their ownerReferences.
Every write, failed or not, is recorded in `writes` so tests can assert on exactly what happened.
"""

from __future__ import annotations

import builtins
import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from tests.crds import crdcheck
from tests.sim import defaults
from tests.sim.clock import SimClock
from tests.sim.jsondata import clone, stored_numbers
from tests.sim.kinds import Registry, ResourceType

JsonObject = dict[str, Any]

STATEFULSET_MUTABLE = frozenset(
    {
        "replicas",
        "ordinals",
        "template",
        "updateStrategy",
        "revisionHistoryLimit",
        "persistentVolumeClaimRetentionPolicy",
        "minReadySeconds",
    }
)
JOB_IMMUTABLE = (
    "template",
    "selector",
    "completions",
    "completionMode",
    "manualSelector",
    "podFailurePolicy",
)
# Writers whose JSON may hold integral floats (the simulated controllers write ints only): what
# they write reads back with Go's number decoding (see `stored_numbers`).
HOOK_WRITERS = frozenset({"metacontroller", "kubectl"})
SYSTEM_METADATA = (
    "uid",
    "creationTimestamp",
    "generation",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
)


@dataclass(frozen=True, order=True)
class ObjectKey:
    api_version: str
    kind: str
    namespace: str
    name: str

    def __str__(self) -> str:
        where = f"{self.namespace}/" if self.namespace else ""
        return f"{self.kind}.{self.api_version} {where}{self.name}"


def key_of(obj: JsonObject) -> ObjectKey:
    meta = obj.get("metadata") or {}
    return ObjectKey(
        str(obj.get("apiVersion")), str(obj.get("kind")), meta.get("namespace", ""), meta["name"]
    )


class ApiError(Exception):
    def __init__(self, code: int, reason: str, message: str) -> None:
        super().__init__(f"{code} {reason}: {message}")
        self.code = code
        self.reason = reason
        self.message = message


@dataclass(frozen=True)
class Write:
    """One request to the API server."""

    step: int
    actor: str
    verb: str  # create | update | update-status | delete
    key: ObjectKey
    error: str | None = None
    noop: bool = False

    @property
    def ok(self) -> bool:
        return self.error is None


def prune(value: Any, schema: JsonObject, root: bool = False) -> Any:
    """Drop fields the structural schema does not declare (unless it preserves unknown fields)."""
    if isinstance(value, dict):
        if schema.get("x-kubernetes-preserve-unknown-fields") and "properties" not in schema:
            return value
        properties = schema.get("properties") or {}
        additional = schema.get("additionalProperties")
        out = {}
        for key, item in value.items():
            if root and key in ("apiVersion", "kind", "metadata"):
                out[key] = item
            elif key in properties:
                out[key] = prune(item, properties[key])
            elif isinstance(additional, dict):
                out[key] = prune(item, additional)
            elif additional is True or schema.get("x-kubernetes-preserve-unknown-fields"):
                out[key] = item
        return out
    if isinstance(value, list) and isinstance(schema.get("items"), dict):
        return [prune(item, schema["items"]) for item in value]
    return value


def _body(obj: JsonObject) -> JsonObject:
    """Everything a generation bump looks at: all but metadata and status."""
    return {k: v for k, v in obj.items() if k not in ("metadata", "status", "apiVersion", "kind")}


class ApiServer:
    def __init__(
        self,
        registry: Registry,
        clock: SimClock,
        *,
        uid_prefix: str = "00000000",
        validate_custom_resources: bool = True,
    ) -> None:
        self.registry = registry
        self.clock = clock
        self.validate_custom_resources = validate_custom_resources
        self.writes: list[Write] = []
        self.step = 0
        self._objects: dict[ObjectKey, JsonObject] = {}
        self._by_type: dict[tuple[str, str], dict[ObjectKey, JsonObject]] = {}
        self._rv = itertools.count(1)
        self._uids = itertools.count(1)
        self._uid_prefix = uid_prefix
        self._allocator = defaults.Allocator()

    # ------------------------------------------------------------------ reads

    def get(self, api_version: str, kind: str, namespace: str, name: str) -> JsonObject | None:
        found = self._objects.get(ObjectKey(api_version, kind, namespace, name))
        return clone(found) if found is not None else None

    def get_key(self, key: ObjectKey) -> JsonObject | None:
        return self.get(key.api_version, key.kind, key.namespace, key.name)

    def list(self, api_version: str, kind: str, namespace: str | None = None) -> builtins.list[JsonObject]:
        return [clone(obj) for obj in self.peek(api_version, kind, namespace)]

    def peek(self, api_version: str, kind: str, namespace: str | None = None) -> builtins.list[JsonObject]:
        """Like `list`, without copies: the caller must not modify what it gets."""
        objects = self._by_type.get((api_version, kind), {})
        return [
            objects[key]
            for key in sorted(objects, key=lambda k: (k.namespace, k.name))
            if namespace is None or key.namespace == namespace
        ]

    def all_objects(self) -> Iterator[JsonObject]:
        for _, obj in sorted(self._objects.items()):
            yield clone(obj)

    def resource_version(self, key: ObjectKey) -> str | None:
        found = self._objects.get(key)
        return None if found is None else str(found["metadata"]["resourceVersion"])

    # ------------------------------------------------------------------ writes

    def create(self, obj: JsonObject, actor: str) -> JsonObject:
        key = key_of(obj)
        if actor in HOOK_WRITERS:
            obj = stored_numbers(obj)
        try:
            stored = self._create(obj, key)
        except ApiError as error:
            self._record(actor, "create", key, error)
            raise
        self._record(actor, "create", key)
        return clone(stored)

    def update(self, obj: JsonObject, actor: str, uid: str | None = None) -> JsonObject:
        key = key_of(obj)
        if actor in HOOK_WRITERS:
            obj = stored_numbers(obj)
        try:
            stored, changed = self._update(obj, key, uid)
        except ApiError as error:
            self._record(actor, "update", key, error)
            raise
        self._record(actor, "update", key, noop=not changed)
        return clone(stored)

    def update_status(self, obj: JsonObject, actor: str) -> JsonObject:
        key = key_of(obj)
        if actor in HOOK_WRITERS:
            obj = stored_numbers(obj)
        try:
            stored, changed = self._update_status(obj, key)
        except ApiError as error:
            self._record(actor, "update-status", key, error)
            raise
        self._record(actor, "update-status", key, noop=not changed)
        return clone(stored)

    def delete(self, key: ObjectKey, actor: str, uid: str | None = None) -> None:
        try:
            changed = self._delete(key, uid)
        except ApiError as error:
            self._record(actor, "delete", key, error)
            raise
        self._record(actor, "delete", key, noop=not changed)

    # ------------------------------------------------------------------ internals

    def _record(
        self, actor: str, verb: str, key: ObjectKey, error: ApiError | None = None, noop: bool = False
    ) -> None:
        self.writes.append(Write(self.step, actor, verb, key, str(error) if error else None, noop))

    def _type(self, key: ObjectKey) -> ResourceType:
        try:
            return self.registry.by_kind(key.api_version, key.kind)
        except KeyError:
            raise ApiError(
                404, "NotFound", f"the server could not find the requested resource {key}"
            ) from None

    def _create(self, obj: JsonObject, key: ObjectKey) -> JsonObject:
        rtype = self._type(key)
        if key in self._objects:
            raise ApiError(409, "AlreadyExists", f"{key} already exists")
        new = clone(obj)
        meta = new.setdefault("metadata", {})
        for field in (*SYSTEM_METADATA, "resourceVersion"):
            meta.pop(field, None)
        meta["uid"] = f"{self._uid_prefix}-{next(self._uids):04d}"
        meta["creationTimestamp"] = self.clock.timestamp()
        if rtype.generation:
            meta["generation"] = 1
        if rtype.status_subresource:
            new.pop("status", None)
        new = self._admit(rtype, new, None)
        meta = new["metadata"]
        meta["resourceVersion"] = str(next(self._rv))
        self._put(key, new)
        return new

    def check_update(self, obj: JsonObject, old: JsonObject) -> None:
        """Raise the ApiError updating `old` (as stored) to `obj` would get; nothing is stored."""
        self._update(obj, key_of(obj), None, dry_run=old)

    def _update(
        self, obj: JsonObject, key: ObjectKey, uid: str | None, dry_run: JsonObject | None = None
    ) -> tuple[JsonObject, bool]:
        rtype = self._type(key)
        old = self._objects.get(key) if dry_run is None else dry_run
        if old is None:
            raise ApiError(404, "NotFound", f"{key} not found")
        old_meta = old["metadata"]
        if uid is not None and uid != old_meta["uid"]:
            raise ApiError(409, "Conflict", f"{key}: precondition failed: UID in precondition {uid}")
        given_rv = (obj.get("metadata") or {}).get("resourceVersion")
        if given_rv is not None and str(given_rv) != old_meta["resourceVersion"]:
            raise ApiError(409, "Conflict", f"{key}: the object has been modified; please apply your changes")
        new = clone(obj)
        meta = new.setdefault("metadata", {})
        for field in SYSTEM_METADATA:
            if field in old_meta:
                meta[field] = old_meta[field]
            else:
                meta.pop(field, None)
        meta["resourceVersion"] = old_meta["resourceVersion"]
        if rtype.status_subresource:
            if "status" in old:
                new["status"] = clone(old["status"])
            else:
                new.pop("status", None)
        if key.kind == "Service" and key.api_version == "v1":
            _keep_allocated(new, old)
        new = self._admit(rtype, new, old)
        check_immutable(key, old, new)
        if rtype.generation and _body(new) != _body(old):
            new["metadata"]["generation"] = int(old_meta.get("generation", 1)) + 1
        if new == old or dry_run is not None:
            return old, False
        new["metadata"]["resourceVersion"] = str(next(self._rv))
        self._put(key, new)
        if new["metadata"].get("deletionTimestamp") and not new["metadata"].get("finalizers"):
            self._remove(key)
        return new, True

    def _update_status(self, obj: JsonObject, key: ObjectKey) -> tuple[JsonObject, bool]:
        rtype = self._type(key)
        old = self._objects.get(key)
        if old is None:
            raise ApiError(404, "NotFound", f"{key} not found")
        new = clone(old)
        status = clone(obj.get("status"))
        if rtype.schema is not None:
            status_schema = (rtype.schema.get("properties") or {}).get("status") or {}
            status = prune(status or {}, status_schema)
            if self.validate_custom_resources:
                errors = crdcheck.validate_status(key.kind, status)
                if errors:
                    raise ApiError(422, "Invalid", f"{key} is invalid: " + "; ".join(errors))
        if status is None:
            new.pop("status", None)
        else:
            new["status"] = status
        if new == old:
            return old, False
        new["metadata"]["resourceVersion"] = str(next(self._rv))
        self._put(key, new)
        return new, True

    def _delete(self, key: ObjectKey, uid: str | None) -> bool:
        old = self._objects.get(key)
        if old is None:
            raise ApiError(404, "NotFound", f"{key} not found")
        meta = old["metadata"]
        if uid is not None and uid != meta["uid"]:
            raise ApiError(409, "Conflict", f"{key}: precondition failed: UID in precondition {uid}")
        if meta.get("deletionTimestamp"):
            return False
        if meta.get("finalizers"):
            meta["deletionTimestamp"] = self.clock.timestamp()
            meta["deletionGracePeriodSeconds"] = 0
            meta["resourceVersion"] = str(next(self._rv))
            return True
        self._remove(key)
        return True

    def _put(self, key: ObjectKey, obj: JsonObject) -> None:
        self._objects[key] = obj
        self._by_type.setdefault((key.api_version, key.kind), {})[key] = obj

    def _remove(self, key: ObjectKey) -> None:
        """Remove the object, then collect dependents whose owners are all gone (background GC)."""
        removed = self._objects.pop(key)
        del self._by_type[(key.api_version, key.kind)][key]
        gone = removed["metadata"]["uid"]
        live = {obj["metadata"]["uid"] for obj in self._objects.values()}
        for dependent_key, dependent in sorted(self._objects.items()):
            refs = dependent["metadata"].get("ownerReferences") or []
            if not any(ref.get("uid") == gone for ref in refs):
                continue
            if any(ref.get("uid") in live for ref in refs):
                continue
            if dependent_key in self._objects:
                self.delete(dependent_key, "garbage-collector")

    def collect_garbage(self) -> bool:
        """Delete objects whose every owner is gone (e.g. created after their owner was deleted)."""
        live = {obj["metadata"]["uid"] for obj in self._objects.values()}
        orphans = sorted(
            key
            for key, obj in self._objects.items()
            if (refs := obj["metadata"].get("ownerReferences"))
            and not any(ref.get("uid") in live for ref in refs)
            and not obj["metadata"].get("deletionTimestamp")
        )
        for key in orphans:
            if key in self._objects:
                self.delete(key, "garbage-collector")
        return bool(orphans)

    def _admit(self, rtype: ResourceType, new: JsonObject, old: JsonObject | None) -> JsonObject:
        if rtype.schema is not None:
            new = prune(new, rtype.schema, root=True)
            new = crdcheck.apply_defaults(new, rtype.schema)
            if self.validate_custom_resources:
                report = crdcheck.check_custom_resource(new, old)
                if report.errors:
                    raise ApiError(422, "Invalid", f"{rtype.kind} is invalid: " + "; ".join(report.errors))
            return new
        try:
            return defaults.apply_defaults(new, self._allocator)
        except defaults.Invalid as exc:
            raise ApiError(422, "Invalid", str(exc)) from None


def _keep_allocated(new: JsonObject, old: JsonObject) -> None:
    """The Service registry copies allocated values the update leaves out (clusterIP, nodePorts),
    and drops type-dependent fields left unchanged when the type no longer needs them
    (`dropTypeDependentFields`: nodePorts and externalTrafficPolicy on a change to ClusterIP)."""
    old_spec, spec = old.get("spec") or {}, new.setdefault("spec", {})
    external = ("NodePort", "LoadBalancer")
    if old_spec.get("type") in external and spec.get("type", "ClusterIP") not in external:
        old_ports = {p.get("port"): p for p in old_spec.get("ports") or []}
        for port in spec.get("ports") or []:
            previous = old_ports.get(port.get("port")) or {}
            if "nodePort" in port and port["nodePort"] == previous.get("nodePort"):
                del port["nodePort"]
        for field in ("externalTrafficPolicy", "allocateLoadBalancerNodePorts"):
            if field in spec and spec[field] == old_spec.get(field):
                del spec[field]
        return
    for field in ("clusterIP", "clusterIPs"):
        if field in old_spec and not spec.get(field):
            spec[field] = clone(old_spec[field])
    old_ports = {p.get("port"): p for p in old_spec.get("ports") or []}
    for port in spec.get("ports") or []:
        previous = old_ports.get(port.get("port"))
        if previous and "nodePort" in previous and "nodePort" not in port:
            port["nodePort"] = previous["nodePort"]


def check_immutable(key: ObjectKey, old: JsonObject, new: JsonObject) -> None:
    old_spec, new_spec = old.get("spec") or {}, new.get("spec") or {}
    if (key.api_version, key.kind) == ("apps/v1", "StatefulSet"):
        changed = sorted(
            f
            for f in set(old_spec) | set(new_spec)
            if f not in STATEFULSET_MUTABLE and old_spec.get(f) != new_spec.get(f)
        )
        if changed:
            raise ApiError(
                422,
                "Invalid",
                f'StatefulSet.apps "{key.name}" is invalid: spec: Forbidden: updates to statefulset spec for '
                "fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', "
                "'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden "
                f"(changed: {', '.join(changed)})",
            )
    elif (key.api_version, key.kind) == ("batch/v1", "Job"):
        changed = [f for f in JOB_IMMUTABLE if old_spec.get(f) != new_spec.get(f)]
        if changed:
            raise ApiError(
                422,
                "Invalid",
                f'Job.batch "{key.name}" is invalid: spec.{changed[0]}: Invalid value: field is immutable',
            )
    elif (key.api_version, key.kind) == ("v1", "Service"):
        before, after = old_spec.get("clusterIP"), new_spec.get("clusterIP")
        if before and before != after:
            raise ApiError(
                422,
                "Invalid",
                f'Service "{key.name}" is invalid: spec.clusterIPs[0]: Invalid value: '
                "may not change once set",
            )
