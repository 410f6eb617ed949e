"""Metacontroller's dynamic-apply three-way merge (contract §3 "Applying children", Update).

A port of `pkg/dynamic/apply/apply.go`: the observed object is the destination; a field present
in the last-applied configuration but absent from the desired object is removed; every desired
field is merged in; maps merge recursively; a list whose items are all objects sharing one of the
conventional keys (checked in the order `containerPort`, `port`, `mountPath`, `name`, `uid`, `ip`,
`path`) merges as a map keyed by that field, keeping the observed order and appending new items in
desired order; any other list, and any scalar, is replaced by the desired value. Fields the hook
never set (server defaults, other controllers' fields) therefore survive.
"""

from __future__ import annotations

from typing import Any

from tests.sim.jsondata import clone

KNOWN_MERGE_KEYS = ("containerPort", "port", "mountPath", "name", "uid", "ip", "path")


class MergeError(ValueError):
    """A type mismatch the Go code refuses (e.g. observed map, desired list)."""


def three_way_merge(
    observed: dict[str, Any], last_applied: dict[str, Any] | None, desired: dict[str, Any]
) -> Any:
    destination = clone(observed)
    return _merge("", destination, last_applied, clone(desired))


def _merge(path: str, destination: Any, last_applied: Any, desired: Any) -> Any:
    if isinstance(destination, dict):
        if last_applied is not None and not isinstance(last_applied, dict):
            raise MergeError(f"{path}: last-applied is not an object")
        if desired is not None and not isinstance(desired, dict):
            raise MergeError(f"{path}: desired is not an object")
        return _merge_object(path, destination, last_applied, desired)
    if isinstance(destination, list):
        if last_applied is not None and not isinstance(last_applied, list):
            raise MergeError(f"{path}: last-applied is not a list")
        if desired is not None and not isinstance(desired, list):
            raise MergeError(f"{path}: desired is not a list")
        return _merge_array(path, destination, last_applied or [], desired or [])
    # A scalar or null: take the desired value (we are only called when there is one).
    return desired


def _merge_object(
    path: str,
    destination: dict[str, Any],
    last_applied: dict[str, Any] | None,
    desired: dict[str, Any] | None,
) -> dict[str, Any]:
    desired = desired or {}
    for key in list(last_applied or {}):
        if key not in desired:
            destination.pop(key, None)
    for key, value in desired.items():
        if key not in destination:
            destination[key] = value
            continue
        previous = (last_applied or {}).get(key)
        destination[key] = _merge(f"{path}.{key}", destination[key], previous, value)
    return destination


def _merge_array(path: str, destination: list[Any], last_applied: list[Any], desired: list[Any]) -> list[Any]:
    key = detect_list_map_key(destination, last_applied, desired)
    if not key:
        return desired
    dest_map = _list_map(key, destination)
    last_map = _list_map(key, last_applied)
    des_map = _list_map(key, desired)
    _merge_object(path, dest_map, last_map, des_map)
    merged: list[Any] = []
    added: set[str] = set()
    for item in destination:
        item_key = _string_key(item[key])
        if item_key in dest_map and item_key not in added:
            merged.append(dest_map[item_key])
            added.add(item_key)
    for item in desired:
        item_key = _string_key(item[key])
        if item_key not in added:
            merged.append(dest_map[item_key])
            added.add(item_key)
    return merged


def detect_list_map_key(*lists: list[Any]) -> str:
    """The conventional key every item of every list shares, or "" (then the list is replaced)."""
    common: set[str] | None = None
    for items in lists:
        for item in items:
            if not isinstance(item, dict):
                return ""
            common = set(item) if common is None else common & set(item)
    for key in KNOWN_MERGE_KEYS:
        if common and key in common:
            return key
    return ""


def _list_map(key: str, items: list[Any]) -> dict[str, Any]:
    return {_string_key(item[key]): item for item in items}


def _string_key(value: Any) -> str:
    """Go's `fmt.Sprintf("%v", v)` for the scalars that appear as merge keys."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
