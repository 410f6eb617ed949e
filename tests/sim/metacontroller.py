"""Metacontroller v4.17.2 as a CompositeController sees one parent, with dynamic apply.

One `sync_parent` call follows the contract's §3 "Sync loop" in order:

1. the finalizer `metacontroller.io/compositecontroller-<name>` is added before the first call
   when a finalize hook exists (removed when none exists), never once deletion has started;
2. children are claimed: owned objects of every declared child type, orphans matching the
   selector adopted, owned objects no longer matching released (§2 "Only children that this
   parent owns ... are sent");
3. related objects are read from the customize hook's rules, cached per (uid, generation)
   (§2 "Customize hook");
4. the sync (or, with a deletionTimestamp, finalize) hook is called with a v1 or v2 request:
   every declared child type present, objects keyed by name (v1) or namespace/name (v2);
5. any hook error stops everything: non-200, bad JSON, wrong types, or in strict mode unknown or
   duplicate top-level keys (§2 "Sync response"); nothing is written;
6. resyncAfterSeconds schedules a one-shot resync; `finalized: true` removes the finalizer;
7. every desired child gets the parent's namespace when it has none and `controller-uid` with
   generateSelector; a child outside the parent selector fails the whole sync;
8. children are managed with dynamic apply (§3 "Applying children"): observed children that are
   not desired are deleted first, then missing ones are created (last-applied annotation, then
   the controller ownerRef) and existing ones merged three ways (`merge`), with status and system
   metadata reverted, and handled per the child's updateStrategy (OnDelete never updates,
   Recreate deletes, InPlace PUTs; NotFound and Conflict swallowed);
9. the parent status is replaced, with observedGeneration injected, when it differs in the
   `reflect.DeepEqual` sense (§3 "Parent status update"), even when managing children failed.

Beyond what Metacontroller itself checks, the simulator raises `ContractViolation` for responses
the project's contract forbids (§7 items 4-12, 21-22): missing keys, null or undeclared children,
children in another namespace, duplicate names, server-owned metadata or status on children,
`finalized: true` when not finalizing.

Not modelled: the revision machinery of RollingRecreate/RollingInPlace (treated as Recreate and
InPlace), ETags, 429 Retry-After, server-side apply, parentResource.labelSelector, the rate
limiter's backoff (a failed sync is retried on the next step), workers and concurrency. Request
maps are filled in a seeded random order, which is stricter than Go (it sorts map keys).
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import orjson

from tests.sim.apiserver import ApiError, ApiServer, ObjectKey, Write, key_of
from tests.sim.clock import SimClock
from tests.sim.hookclient import HookClient
from tests.sim.jsondata import clone
from tests.sim.kinds import Registry, ResourceType
from tests.sim.manifests import CompositeController, Hook
from tests.sim.merge import MergeError, three_way_merge
from tests.sim.selectors import go_equal, matches

JsonObject = dict[str, Any]

ACTOR = "metacontroller"
LAST_APPLIED = "metacontroller.k8s.io/last-applied-configuration"
CONTROLLER_UID = "controller-uid"
RESPONSE_KEYS = ("status", "children", "resyncAfterSeconds", "finalized")
SYSTEM_METADATA = (
    "creationTimestamp",
    "deletionGracePeriodSeconds",
    "deletionTimestamp",
    "generateName",
    "generation",
    "managedFields",
    "resourceVersion",
    "selfLink",
    "uid",
)
FORBIDDEN_CHILD_METADATA = (
    "ownerReferences",
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "managedFields",
)
CUSTOMIZE_CACHE = timedelta(minutes=20)
MAX_SYNCS_PER_STEP = 25


class HookFailure(Exception):
    """What Metacontroller treats as a hook error: the sync stops, nothing is written (§3 step 6)."""


class ContractViolation(AssertionError):
    """A response Metacontroller might accept but the hook contract forbids (§7)."""


class HotLoop(AssertionError):
    """A parent kept being re-synced within one step: some write never reaches a fixed point."""


@dataclass
class SyncRecord:
    """One hook call and what followed it."""

    step: int
    controller: str
    parent: ObjectKey
    hook: str  # sync | finalize
    request: JsonObject
    status: int
    body: bytes
    response: JsonObject | None = None
    error: str | None = None
    writes: list[Write] = field(default_factory=list)

    @property
    def effective_writes(self) -> list[Write]:
        return [w for w in self.writes if not w.noop]


@dataclass
class _ParentState:
    snapshot: tuple[Any, ...] | None = None
    resync_at: float | None = None  # one-shot, from resyncAfterSeconds
    periodic_at: float | None = None  # from resyncPeriodSeconds
    retry_at_step: int | None = None
    syncs_this_step: int = 0
    step: int = -1


def _dumps(value: Any, sort_keys: bool = True) -> bytes:
    """Go's encoding/json: compact, map keys sorted (requests keep their seeded order instead)."""
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS if sort_keys else 0)


def _reject_duplicates(pairs: list[tuple[str, Any]]) -> JsonObject:
    out: JsonObject = {}
    for key, value in pairs:
        if key in out:
            raise HookFailure(f"duplicate field {key!r}")
        out[key] = value
    return out


class Metacontroller:
    def __init__(
        self,
        api: ApiServer,
        registry: Registry,
        clock: SimClock,
        client: HookClient,
        controllers: Mapping[str, CompositeController],
        rng: random.Random,
        *,
        version_override: str | None = None,
    ) -> None:
        self.api = api
        self.registry = registry
        self.clock = clock
        self.client = client
        self.controllers = dict(controllers)
        self.rng = rng
        self.version_override = version_override
        self.syncs: list[SyncRecord] = []
        self.errors: list[SyncRecord] = []
        self.observers: list[Callable[[SyncRecord], None]] = []
        self._state: dict[tuple[str, str], _ParentState] = {}
        self._customize: dict[tuple[str, int], tuple[float, list[JsonObject]]] = {}

    # ------------------------------------------------------------------ scheduling

    def parent_type(self, cc: CompositeController) -> ResourceType:
        return self.registry.by_resource(cc.parent_api_version, cc.parent_resource)

    def child_types(self, cc: CompositeController) -> list[ResourceType]:
        return [self.registry.by_resource(rule.api_version, rule.resource) for rule in cc.children]

    def process(self) -> bool:
        """Sync every parent whose parent, children or related objects changed, or whose resync is due."""
        synced = False
        for cc in sorted(self.controllers.values(), key=lambda c: c.name):
            ptype = self.parent_type(cc)
            for parent in self.api.list(ptype.api_version, ptype.kind):
                state = self._state.setdefault((cc.name, parent["metadata"]["uid"]), _ParentState())
                if state.step != self.api.step:
                    state.step, state.syncs_this_step = self.api.step, 0
                if state.retry_at_step is not None and self.api.step < state.retry_at_step:
                    continue
                snapshot = self._snapshot(cc, parent)
                now = self.clock.now().timestamp()
                due = state.resync_at is not None and now >= state.resync_at
                periodic = state.periodic_at is not None and now >= state.periodic_at
                if snapshot == state.snapshot and not due and not periodic and state.retry_at_step is None:
                    continue
                state.syncs_this_step += 1
                if state.syncs_this_step > MAX_SYNCS_PER_STEP:
                    raise HotLoop(
                        f"{cc.name}: {key_of(parent)} synced {MAX_SYNCS_PER_STEP} times in one step"
                    )
                state.snapshot = snapshot
                state.retry_at_step = None
                if due:
                    state.resync_at = None
                if cc.resync_period_seconds and (periodic or state.periodic_at is None):
                    state.periodic_at = now + cc.resync_period_seconds
                self.sync_parent(cc, parent, state)
                synced = True
        return synced

    def _snapshot(self, cc: CompositeController, parent: JsonObject) -> tuple[Any, ...]:
        children = tuple(
            (rtype.key, obj["metadata"]["name"], obj["metadata"]["resourceVersion"])
            for rtype in self.child_types(cc)
            for obj in self.api.peek(rtype.api_version, rtype.kind, parent["metadata"].get("namespace"))
            if _controller_uid(obj) == parent["metadata"]["uid"] or not _controller_uid(obj)
        )
        related = tuple(
            (str(key_of(obj)), obj["metadata"]["resourceVersion"])
            for objects in self._related(cc, parent, cached_only=True).values()
            for obj in objects
        )
        return (parent["metadata"]["resourceVersion"], children, related)

    # ------------------------------------------------------------------ one sync

    def sync_parent(
        self, cc: CompositeController, parent: JsonObject, state: _ParentState
    ) -> SyncRecord | None:
        first_write = len(self.api.writes)
        ensured = self._ensure_finalizer(cc, parent)
        if ensured is None:
            return None
        parent = ensured
        built = self._request(cc, parent)
        if built is None:
            return None
        hook, request, children = built
        deleting = bool(request["finalizing"])
        reply = self.client.post(hook.path, _dumps(request, sort_keys=False))
        record = SyncRecord(
            self.api.step,
            cc.name,
            key_of(parent),
            "finalize" if deleting else "sync",
            request,
            reply.status,
            reply.body,
        )
        self.syncs.append(record)
        try:
            response = self._decode(reply.status, reply.body, hook)
        except HookFailure as failure:
            record.error = str(failure)
            self.errors.append(record)
            self._fail(state, record)
            return record
        record.response = response
        self._check_contract(cc, parent, response, deleting)

        resync = response.get("resyncAfterSeconds") or 0
        if resync > 0:
            due = self.clock.now().timestamp() + float(resync)
            state.resync_at = due if state.resync_at is None else min(state.resync_at, due)

        if deleting and response.get("finalized") is True:
            parent = self._remove_finalizer(cc, parent) or parent

        desired = self._desired(cc, parent, response.get("children") or [])
        selector = self._selector(cc, parent)
        for child in desired:
            if not matches(selector, child["metadata"].get("labels")):
                record.error = f"labels on desired child {key_of(child)} don't match parent selector"
                self.errors.append(record)
                self._fail(state, record)
                record.writes = self.api.writes[first_write:]
                return record
        try:
            self._manage_children(cc, parent, children, desired)
        except ApiError as error:
            record.error = f"can't reconcile children: {error}"
        self._update_status(parent, response.get("status"), record)
        record.writes = self.api.writes[first_write:]
        if record.error:
            self.errors.append(record)
        for observer in self.observers:
            observer(record)
        return record

    def _request(
        self, cc: CompositeController, parent: JsonObject, version: str | None = None
    ) -> tuple[Hook, JsonObject, dict[str, list[JsonObject]]] | None:
        """The hook to call, its request and the claimed children (None: nothing to call)."""
        deleting = bool(parent["metadata"].get("deletionTimestamp"))
        if deleting and (
            cc.finalize is None or cc.finalizer not in (parent["metadata"].get("finalizers") or [])
        ):
            return None
        hook = cc.finalize if deleting else cc.sync
        if hook is None:
            return None
        version = version or self.version_override or hook.version
        related_version = version if cc.customize is None else (self.version_override or cc.customize.version)
        children = self._claim(cc, parent)
        try:
            related = self._related(cc, parent)
        except HookFailure as failure:
            raise AssertionError(f"customize hook of {cc.name} failed: {failure}") from failure
        request: JsonObject = {
            "controller": cc.document,
            "parent": parent,
            "children": self._object_map(children, parent, version, [rt.key for rt in self.child_types(cc)]),
            "related": self._object_map(related, parent, related_version, list(related)),
            "finalizing": deleting,
        }
        return hook, request, children

    def request_for(
        self, cc: CompositeController, parent: JsonObject, version: str | None = None
    ) -> JsonObject:
        """The request Metacontroller would send now (no writes happen)."""
        built = self._request(cc, parent, version)
        assert built is not None, f"no hook would be called for {key_of(parent)}"
        return built[1]

    def pending(self, cc: CompositeController, parent: JsonObject) -> list[str]:
        """What a sync right now would write (a dry run): [] at a fixed point (contract §7 item 15)."""
        built = self._request(cc, parent)
        if built is None:
            return []
        hook, request, children = built
        reply = self.client.post(hook.path, _dumps(request, sort_keys=False))
        response = self._decode(reply.status, reply.body, hook)
        desired = self._desired(cc, parent, response.get("children") or [])
        observed = {key_of(obj): obj for objects in children.values() for obj in objects}
        wanted = {key_of(child) for child in desired}
        changes = [f"delete {key}" for key in sorted(observed) if key not in wanted]
        for child in desired:
            current = observed.get(key_of(child))
            if current is None:
                changes.append(f"create {key_of(child)}")
                continue
            merged = apply_update(current, child)
            if not go_equal(merged, current) and self._method(cc, child) != "OnDelete":
                changes.append(f"update {key_of(child)}: {describe_difference(current, merged)}")
        given = response.get("status")
        status: JsonObject = clone(given) if isinstance(given, dict) else {}
        status["observedGeneration"] = parent["metadata"].get("generation", 0)
        if not go_equal(parent.get("status"), status):
            changes.append(f"status: {describe_difference(parent.get('status') or {}, status)}")
        return changes

    def _fail(self, state: _ParentState, record: SyncRecord | None) -> None:
        """Requeue with rate limiting: the simulator retries on the next step."""
        state.retry_at_step = self.api.step + 1

    # ------------------------------------------------------------------ finalizer

    def _ensure_finalizer(self, cc: CompositeController, parent: JsonObject) -> JsonObject | None:
        finalizers = list(parent["metadata"].get("finalizers") or [])
        deleting = bool(parent["metadata"].get("deletionTimestamp"))
        if cc.finalize is not None and not deleting and cc.finalizer not in finalizers:
            parent["metadata"]["finalizers"] = [*finalizers, cc.finalizer]
            return self.api.update(parent, ACTOR)
        if cc.finalize is None and cc.finalizer in finalizers:
            parent["metadata"]["finalizers"] = [f for f in finalizers if f != cc.finalizer]
            self.api.update(parent, ACTOR)
            return self.api.get_key(key_of(parent))
        return parent

    def _remove_finalizer(self, cc: CompositeController, parent: JsonObject) -> JsonObject | None:
        live = self.api.get_key(key_of(parent))
        if live is None:
            return None
        finalizers = live["metadata"].get("finalizers") or []
        if cc.finalizer not in finalizers:
            return live
        live["metadata"]["finalizers"] = [f for f in finalizers if f != cc.finalizer]
        self.api.update(live, ACTOR)
        return self.api.get_key(key_of(parent)) or live

    # ------------------------------------------------------------------ children and related

    def _selector(self, cc: CompositeController, parent: JsonObject) -> JsonObject:
        if cc.generate_selector:
            return {"matchLabels": {CONTROLLER_UID: parent["metadata"]["uid"]}}
        selector = (parent.get("spec") or {}).get("selector") or {}
        if not selector.get("matchLabels") and not selector.get("matchExpressions"):
            raise ContractViolation(".spec.selector must have either matchLabels, matchExpressions, or both")
        return dict(selector)

    def _claim(self, cc: CompositeController, parent: JsonObject) -> dict[str, list[JsonObject]]:
        """Owned children by type key; adopts matching orphans and releases non-matching ones."""
        selector = self._selector(cc, parent)
        uid = parent["metadata"]["uid"]
        deleting = bool(parent["metadata"].get("deletionTimestamp"))
        out: dict[str, list[JsonObject]] = {}
        for rtype in self.child_types(cc):
            owned = []
            for obj in self.api.list(rtype.api_version, rtype.kind, parent["metadata"].get("namespace")):
                owner = _controller_uid(obj)
                labelled = matches(selector, obj["metadata"].get("labels"))
                if owner == uid and not labelled and not deleting:
                    obj["metadata"]["ownerReferences"] = [
                        r for r in obj["metadata"]["ownerReferences"] if r.get("uid") != uid
                    ]
                    self.api.update(obj, ACTOR)
                    continue
                if (
                    owner is None
                    and labelled
                    and not deleting
                    and not obj["metadata"].get("deletionTimestamp")
                ):
                    obj["metadata"].setdefault("ownerReferences", []).append(_controller_ref(parent))
                    obj = self.api.update(obj, ACTOR)
                    owner = uid
                if owner == uid:
                    owned.append(obj)
            out[rtype.key] = owned
        return out

    def _related(
        self, cc: CompositeController, parent: JsonObject, cached_only: bool = False
    ) -> dict[str, list[JsonObject]]:
        if cc.customize is None:
            return {}
        meta = parent["metadata"]
        cache_key = (meta["uid"], int(meta.get("generation", 0)))
        now = self.clock.now().timestamp()
        cached = self._customize.get(cache_key)
        if cached is None or now - cached[0] > CUSTOMIZE_CACHE.total_seconds():
            if cached_only:
                return {}
            rules = self._call_customize(cc, parent)
            self._customize[cache_key] = (now, rules)
        else:
            rules = cached[1]
        version = self.version_override or cc.customize.version
        out: dict[str, list[JsonObject]] = {}
        for rule in rules:
            rtype = self.registry.by_resource(str(rule["apiVersion"]), str(rule["resource"]))
            selected = out.setdefault(rtype.key, [])
            for obj in self._select(rule, rtype, parent, version):
                if all(key_of(obj) != key_of(other) for other in selected):
                    selected.append(obj)
        return out

    def _call_customize(self, cc: CompositeController, parent: JsonObject) -> list[JsonObject]:
        assert cc.customize is not None
        reply = self.client.post(cc.customize.path, _dumps({"controller": cc.document, "parent": parent}))
        if reply.status != 200:
            raise HookFailure(f"customize: HTTP {reply.status}: {reply.body[:500]!r}")
        try:
            body = json.loads(reply.body, object_pairs_hook=_reject_duplicates)
        except ValueError as exc:
            raise HookFailure(f"customize: invalid JSON: {exc}") from None
        if not isinstance(body, dict):
            raise HookFailure("customize: response is not an object")
        extra = set(body) - {"relatedResources"}
        if extra and cc.customize.strict:
            raise HookFailure(f"customize: unknown fields {sorted(extra)}")
        rules = body.get("relatedResources") or []
        if not isinstance(rules, list) or not all(isinstance(r, dict) for r in rules):
            raise HookFailure("customize: relatedResources must be a list of objects")
        for rule in rules:
            if rule.get("names") and (
                rule.get("labelSelector") is not None or rule.get("namespaceSelector") is not None
            ):
                raise HookFailure(
                    "customize: names cannot be combined with labelSelector or namespaceSelector"
                )
            if rule.get("namespace") and rule.get("namespaceSelector") is not None:
                raise HookFailure("customize: namespace cannot be combined with namespaceSelector")
        return rules

    def _select(
        self, rule: JsonObject, rtype: ResourceType, parent: JsonObject, version: str
    ) -> list[JsonObject]:
        parent_ns = parent["metadata"].get("namespace", "")
        namespace = rule.get("namespace")
        if version == "v1" and parent_ns:
            if rule.get("namespaceSelector") is not None:
                raise HookFailure("customize v1: namespaceSelector is not allowed for a namespaced parent")
            if namespace and namespace != parent_ns:
                raise HookFailure("customize v1: a namespaced parent can only see its own namespace")
        scope: str | None
        if not rtype.namespaced:
            scope = None
        elif namespace:
            scope = str(namespace)
        elif rule.get("namespaceSelector") is not None:
            scope = None
        else:
            scope = parent_ns
        candidates = self.api.list(rtype.api_version, rtype.kind, scope)
        if rule.get("namespaceSelector") is not None:
            selected_ns = {
                ns["metadata"]["name"]
                for ns in self.api.list("v1", "Namespace")
                if matches(rule["namespaceSelector"], ns["metadata"].get("labels"))
            }
            candidates = [c for c in candidates if c["metadata"].get("namespace") in selected_ns]
        names = rule.get("names")
        if names:
            return [c for c in candidates if c["metadata"]["name"] in names]
        if rule.get("labelSelector") is not None:
            return [c for c in candidates if matches(rule["labelSelector"], c["metadata"].get("labels"))]
        return candidates

    def _object_map(
        self, groups: Mapping[str, list[JsonObject]], parent: JsonObject, version: str, type_keys: list[str]
    ) -> JsonObject:
        """Contract §2: every type key present; v1 keys by name, v2 by namespace/name; seeded order."""
        out: JsonObject = {}
        parent_namespaced = bool(parent["metadata"].get("namespace"))
        for type_key in type_keys:
            objects = list(groups.get(type_key, []))
            self.rng.shuffle(objects)
            entries = {}
            for obj in objects:
                meta = obj["metadata"]
                namespace = meta.get("namespace", "")
                if version == "v2":
                    key = f"{namespace}/{meta['name']}" if namespace else meta["name"]
                else:
                    key = (
                        meta["name"] if parent_namespaced or not namespace else f"{namespace}/{meta['name']}"
                    )
                entries[key] = obj
            out[type_key] = entries
        return out

    # ------------------------------------------------------------------ response

    def _decode(self, status: int, body: bytes, hook: Hook) -> JsonObject:
        if status != 200:
            raise HookFailure(f"HTTP {status}: {body[:2000]!r}")
        try:
            decoded = json.loads(body, object_pairs_hook=_reject_duplicates)
        except ValueError as exc:
            raise HookFailure(f"invalid JSON: {exc}") from None
        if not isinstance(decoded, dict):
            raise HookFailure("the response is not a JSON object")
        extra = sorted(set(decoded) - set(RESPONSE_KEYS))
        if extra and hook.strict:
            raise HookFailure(f"strict decoding: unknown fields {extra}")
        status_value = decoded.get("status")
        if status_value is not None and not isinstance(status_value, dict):
            raise HookFailure("status: expected an object")
        children = decoded.get("children")
        if children is not None and not isinstance(children, list):
            raise HookFailure("children: expected a list")
        for child in children or []:
            if child is not None and not isinstance(child, dict):
                raise HookFailure("children: expected objects")
            if isinstance(child, dict) and not child.get("kind"):
                raise HookFailure("children: Object 'Kind' is missing")
        resync = decoded.get("resyncAfterSeconds")
        if resync is not None and (isinstance(resync, bool) or not isinstance(resync, int | float)):
            raise HookFailure("resyncAfterSeconds: expected a number")
        finalized = decoded.get("finalized")
        if finalized is not None and not isinstance(finalized, bool):
            raise HookFailure("finalized: expected a bool")
        return {key: decoded[key] for key in RESPONSE_KEYS if key in decoded}

    def _check_contract(
        self, cc: CompositeController, parent: JsonObject, response: JsonObject, deleting: bool
    ) -> None:
        missing = [key for key in ("status", "children") if key not in response]
        if missing:
            raise ContractViolation(f"response lacks {missing}: Metacontroller would wipe them")
        if not isinstance(response["status"], dict):
            raise ContractViolation("status must be an object (null wipes the status)")
        if response.get("finalized") and not deleting:
            raise ContractViolation("finalized: true while not finalizing")
        declared = {(rt.api_version, rt.kind) for rt in self.child_types(cc)}
        seen: set[tuple[str, str, str]] = set()
        namespace = parent["metadata"].get("namespace", "")
        for child in response["children"]:
            if child is None:
                raise ContractViolation("null entry in children")
            meta = child.get("metadata") or {}
            name = meta.get("name")
            if not isinstance(name, str) or not name:
                raise ContractViolation(f"child without metadata.name: {child.get('kind')}")
            if (child.get("apiVersion"), child.get("kind")) not in declared:
                raise ContractViolation(
                    f"{child.get('kind')}.{child.get('apiVersion')} {name} is not a declared child type"
                )
            if meta.get("namespace", namespace) != namespace:
                raise ContractViolation(
                    f"child {name} is in namespace {meta['namespace']}, the parent in {namespace}"
                )
            identity = (str(child["apiVersion"]), str(child["kind"]), name)
            if identity in seen:
                raise ContractViolation(f"duplicate child {identity}")
            seen.add(identity)
            forbidden = [f for f in FORBIDDEN_CHILD_METADATA if f in meta]
            if LAST_APPLIED in (meta.get("annotations") or {}):
                forbidden.append(LAST_APPLIED)
            if "status" in child:
                forbidden.append("status")
            if forbidden:
                raise ContractViolation(f"child {identity} sets {forbidden}")

    def _desired(
        self, cc: CompositeController, parent: JsonObject, children: list[JsonObject]
    ) -> list[JsonObject]:
        desired = []
        namespace = parent["metadata"].get("namespace")
        for child in children:
            child = clone(child)
            meta = child.setdefault("metadata", {})
            if namespace and not meta.get("namespace"):
                meta["namespace"] = namespace
            if cc.generate_selector:
                meta.setdefault("labels", {}).setdefault(CONTROLLER_UID, parent["metadata"]["uid"])
            desired.append(child)
        return desired

    # ------------------------------------------------------------------ apply

    def _method(self, cc: CompositeController, child: JsonObject) -> str:
        for rule, rtype in zip(cc.children, self.child_types(cc), strict=True):
            if (rtype.api_version, rtype.kind) == (child["apiVersion"], child["kind"]):
                return rule.method
        return "OnDelete"

    def _manage_children(
        self,
        cc: CompositeController,
        parent: JsonObject,
        observed: dict[str, list[JsonObject]],
        desired: list[JsonObject],
    ) -> None:
        errors: list[ApiError] = []
        wanted = {key_of(child) for child in desired}
        observed_by_key = {key_of(obj): obj for objects in observed.values() for obj in objects}
        for key, obj in sorted(observed_by_key.items()):
            if key in wanted or obj["metadata"].get("deletionTimestamp"):
                continue
            try:
                self.api.delete(key, ACTOR, uid=obj["metadata"]["uid"])
            except ApiError as error:
                if error.code != 404:
                    errors.append(error)
        for child in desired:
            key = key_of(child)
            current = observed_by_key.get(key)
            try:
                if current is None:
                    self._create(parent, child)
                else:
                    self._update(cc, current, child)
            except ApiError as error:
                errors.append(error)
            except MergeError as error:
                errors.append(ApiError(500, "MergeError", str(error)))
        if errors:
            raise errors[0]

    def _create(self, parent: JsonObject, desired: JsonObject) -> None:
        obj = clone(desired)
        annotations = obj["metadata"].setdefault("annotations", {})
        annotations[LAST_APPLIED] = _dumps(desired).decode()
        obj["metadata"]["ownerReferences"] = [
            *(obj["metadata"].get("ownerReferences") or []),
            _controller_ref(parent),
        ]
        try:
            self.api.create(obj, ACTOR)
        except ApiError as error:
            if error.code != 409:
                raise

    def _update(self, cc: CompositeController, observed: JsonObject, desired: JsonObject) -> None:
        merged = apply_update(observed, desired)
        if go_equal(merged, observed) or observed["metadata"].get("deletionTimestamp"):
            return
        method = self._method(cc, desired)
        if method == "OnDelete":
            return
        try:
            if method in ("Recreate", "RollingRecreate"):
                self.api.delete(key_of(observed), ACTOR, uid=observed["metadata"]["uid"])
            elif method in ("InPlace", "RollingInPlace"):
                self.api.update(merged, ACTOR)
            else:
                raise ApiError(500, "InvalidStrategy", f"unknown update method {method!r}")
        except ApiError as error:
            if error.code not in (404, 409):
                raise

    def _update_status(self, parent: JsonObject, status: Any, record: SyncRecord) -> None:
        new_status = clone(status) if isinstance(status, dict) else {}
        new_status["observedGeneration"] = parent["metadata"].get("generation", 0)
        live = self.api.get_key(key_of(parent))
        if live is None or live["metadata"]["uid"] != parent["metadata"]["uid"]:
            return
        if go_equal(live.get("status"), new_status):
            return
        live["status"] = new_status
        try:
            self.api.update_status(live, ACTOR)
        except ApiError as error:
            if error.code not in (404, 409):
                record.error = f"can't update status: {error}"


def apply_update(observed: JsonObject, desired: JsonObject) -> JsonObject:
    """The object dynamic apply would PUT: 3-way merge, system metadata and status reverted."""
    last_raw = ((observed.get("metadata") or {}).get("annotations") or {}).get(LAST_APPLIED)
    last_applied = orjson.loads(last_raw) if last_raw else None
    merged: JsonObject = three_way_merge(observed, last_applied, desired)
    meta = merged.setdefault("metadata", {})
    old_meta = observed.get("metadata") or {}
    for name in SYSTEM_METADATA:
        if name in old_meta:
            meta[name] = clone(old_meta[name])
        else:
            meta.pop(name, None)
    if "status" in observed:
        merged["status"] = clone(observed["status"])
    else:
        merged.pop("status", None)
    meta.setdefault("annotations", {})[LAST_APPLIED] = _dumps(desired).decode()
    return merged


def _controller_uid(obj: JsonObject) -> str | None:
    for ref in obj["metadata"].get("ownerReferences") or []:
        if ref.get("controller"):
            return str(ref.get("uid"))
    return None


def _controller_ref(parent: JsonObject) -> JsonObject:
    return {
        "apiVersion": parent["apiVersion"],
        "kind": parent["kind"],
        "name": parent["metadata"]["name"],
        "uid": parent["metadata"]["uid"],
        "controller": True,
        "blockOwnerDeletion": True,
    }


def describe_difference(before: Any, after: Any, path: str = "") -> str:
    """The first place two JSON values differ, for assertion messages."""
    if isinstance(before, dict) and isinstance(after, dict):
        for key in sorted(set(before) | set(after)):
            if key not in before or key not in after or not go_equal(before[key], after[key]):
                return describe_difference(before.get(key), after.get(key), f"{path}.{key}")
        return path or "(equal)"
    if isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
        for index, (left, right) in enumerate(zip(before, after, strict=True)):
            if not go_equal(left, right):
                return describe_difference(left, right, f"{path}[{index}]")
    text = f"{path}: {json.dumps(before)[:300]} -> {json.dumps(after)[:300]}"
    return text
