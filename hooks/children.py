"""Helpers for children we keep as they are."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hooks.contract import fits_an_answer, is_kubernetes_object
from hooks.jsonio import Encoded, dumps_nested, loads
from hooks.memo import Memo

ChildKey = tuple[str, str, str]  # apiVersion, kind, metadata.name: the order of answered children

SERVER_METADATA = (
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "managedFields",
    "ownerReferences",
    "selfLink",
)
LAST_APPLIED = "metacontroller.k8s.io/last-applied-configuration"


def as_observed(obj: dict[str, Any]) -> dict[str, Any]:
    """An observed child returned so that Metacontroller keeps it exactly as it is.

    Server-owned metadata and status are dropped (Metacontroller reverts them anyway, and the
    contract forbids sending them); everything else is the stored object, so the 3-way merge
    finds nothing to change.
    """
    kept = {key: value for key, value in obj.items() if key != "status"}
    metadata = {k: v for k, v in (obj.get("metadata") or {}).items() if k not in SERVER_METADATA}
    annotations = {k: v for k, v in (metadata.get("annotations") or {}).items() if k != LAST_APPLIED}
    if annotations:
        metadata["annotations"] = annotations
    else:
        metadata.pop("annotations", None)
    kept["metadata"] = metadata
    return kept


@dataclass(frozen=True)
class EncodedChild:
    """A child encoded once (it is alike on every call that wants it), with what it is sorted by."""

    key: ChildKey
    data: bytes  # the child as `jsonio.dumps` encodes it
    json: Encoded = field(compare=False)  # the same, to place in an answer


def child_key(child: dict[str, Any]) -> ChildKey:
    return (child["apiVersion"], child["kind"], child["metadata"]["name"])


CHILD_DEPTH = 2  # an answered child sits in the answer's object and its `children` list


def encoded_child(child: dict[str, Any]) -> EncodedChild:
    data = dumps_nested(child, CHILD_DEPTH)
    return EncodedChild(child_key(child), data, Encoded(data))


def sort_children(children: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(children, key=child_key)


def answered_children(children: list[dict[str, Any] | EncodedChild]) -> list[dict[str, Any] | Encoded]:
    """Children in answer order, the encoded ones as their JSON."""
    keyed = [(c.key, c.json) if isinstance(c, EncodedChild) else (child_key(c), c) for c in children]
    keyed.sort(key=lambda entry: entry[0])
    return [child for _, child in keyed]


def applied_child(obj: dict[str, Any]) -> dict[str, Any] | EncodedChild:
    """`as_applied(obj)`, a record encoded once: a child kept through a rollout is kept on every
    sync of it, from the same record."""
    meta = obj.get("metadata") or {}
    raw = (meta.get("annotations") or {}).get(LAST_APPLIED)
    if not isinstance(raw, str):
        return as_observed(obj)
    key = (obj.get("kind"), meta.get("name"), raw)  # all that _recorded reads
    found = APPLIED.get(key)
    if found is None:
        record = _recorded(obj)
        found = (None if record is None else encoded_child(record),)
        APPLIED.put(key, found)
    return as_observed(obj) if found[0] is None else found[0]


APPLIED: Memo[tuple[EncodedChild | None]] = Memo(256)


def as_applied(obj: dict[str, Any]) -> dict[str, Any]:
    """A child to keep as it is: what we last applied to it, as Metacontroller recorded it.

    Returning the whole observed object would make dynamic apply record all of it as our
    last-applied configuration; fields other actors set (such as the `kubectl rollout restart`
    annotation on a pod template) would then count as ours and be removed by the next normal sync,
    restarting a whole pool outside the rollout order. An object without a record (adopted) is
    returned as observed."""
    record = _recorded(obj)
    return as_observed(obj) if record is None else record


def _recorded(obj: dict[str, Any]) -> dict[str, Any] | None:
    """The last-applied record of `obj`, if it is one of the same object that an answer can carry."""
    meta = obj.get("metadata") or {}
    raw = (meta.get("annotations") or {}).get(LAST_APPLIED)
    if not isinstance(raw, str):
        return None
    try:
        applied = loads(raw)
    except ValueError:
        return None
    if (
        is_kubernetes_object(applied)
        and applied.get("kind") == obj.get("kind")
        and applied["metadata"]["name"] == meta.get("name")
        and fits_an_answer(applied)
    ):
        return applied
    return None
