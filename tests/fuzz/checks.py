"""What every answer of a hook endpoint must look like, whatever it was sent (contract §7, rules 1,
4-7 and 24): never a 5xx, never a 200 carrying an error, and a 200 in exactly the success shape."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from typing import Any

import orjson

from hooks.contract import HookRequest

SYNC_KEYS = {"status", "children", "resyncAfterSeconds", "finalized"}
CUSTOMIZE_KEYS = {"relatedResources"}
MAX_REJECTION_BYTES = 64 * 1024  # a rejection says what is wrong, it does not repeat the request
REASON = re.compile(r"^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$")


class BadAnswer(AssertionError):
    pass


def finalizing_of(body: bytes) -> bool:
    """Whether the hooks read `body` as a call for a parent being deleted (`finalizing`, as
    pydantic parses a bool: "true", 1 and "yes" count too)."""
    try:
        return HookRequest.model_validate(orjson.loads(body)).finalizing
    except ValueError:  # also pydantic's ValidationError and orjson's JSONDecodeError
        return False


def check_answer(
    hook: str,
    status: int,
    headers: Mapping[str, str],
    body: bytes,
    *,
    finalizing: bool = False,
    allowed: frozenset[int] | None = None,
) -> Any:
    """Fail unless the answer is well-formed; return its JSON body."""
    if status >= 500:
        raise BadAnswer(f"{status} answer: {body[:2000]!r}")
    if allowed is not None and status not in allowed:
        raise BadAnswer(f"status {status} is none of {sorted(allowed)}: {body[:2000]!r}")
    content_type = headers.get("content-type", "")
    if not content_type.startswith("application/json"):
        raise BadAnswer(f"{status} answer is not JSON but {content_type!r}: {body[:500]!r}")
    try:
        document = json.loads(body)
    except ValueError as exc:
        raise BadAnswer(f"{status} answer does not parse: {exc}: {body[:500]!r}") from None
    if not isinstance(document, dict):
        raise BadAnswer(f"{status} answer is no JSON object: {body[:500]!r}")
    if status != 200:
        if not isinstance(document.get("error"), str):
            raise BadAnswer(f"{status} answer without an error message: {body[:500]!r}")
        if len(body) > MAX_REJECTION_BYTES:
            raise BadAnswer(f"{status} answer of {len(body)} bytes: {body[:500]!r}")
        return document
    if "error" in document:
        raise BadAnswer(f"200 carrying an error: {body[:2000]!r}")
    if hook == "customize":
        _check_customize(document)
    else:
        _check_sync(document, finalizing)
    return document


def _check_customize(document: dict[str, Any]) -> None:
    if set(document) != CUSTOMIZE_KEYS:
        raise BadAnswer(f"customize answer keys {sorted(document)}")
    rules = document["relatedResources"]
    if not isinstance(rules, list):
        raise BadAnswer(f"relatedResources is no list: {rules!r}")
    for rule in rules:
        if not isinstance(rule, dict) or not all(
            isinstance(rule.get(key), str) and rule[key] for key in ("apiVersion", "resource")
        ):
            raise BadAnswer(f"related rule without apiVersion and resource: {rule!r}")


def _check_sync(document: dict[str, Any], finalizing: bool) -> None:
    if set(document) != SYNC_KEYS:
        raise BadAnswer(f"sync answer keys {sorted(document)}")
    status, children = document["status"], document["children"]
    resync, finalized = document["resyncAfterSeconds"], document["finalized"]
    if not isinstance(status, dict):
        raise BadAnswer(f"status is no object: {status!r}"[:500])
    if not isinstance(children, list):
        raise BadAnswer(f"children is no list: {children!r}"[:500])
    if (
        isinstance(resync, bool)
        or not isinstance(resync, int | float)
        or not math.isfinite(resync)
        or resync < 0
    ):
        raise BadAnswer(f"resyncAfterSeconds is no number >= 0: {resync!r}")
    if not isinstance(finalized, bool):
        raise BadAnswer(f"finalized is no boolean: {finalized!r}")
    if finalized and not finalizing:
        raise BadAnswer("finalized while the request was not finalizing (rule 22)")
    for child in children:
        _check_child(child)
    for condition in conditions(status):
        if not isinstance(condition, dict) or not all(
            isinstance(condition.get(key), str) for key in ("type", "status", "reason", "message")
        ):
            raise BadAnswer(f"condition of the wrong shape: {condition!r}"[:500])
        if condition["status"] not in ("True", "False", "Unknown") or not REASON.match(condition["reason"]):
            raise BadAnswer(f"condition with an invalid status or reason: {condition!r}"[:500])


def _check_child(child: Any) -> None:
    metadata = child.get("metadata") if isinstance(child, dict) else None
    if not (
        isinstance(child, dict)
        and isinstance(child.get("apiVersion"), str)
        and isinstance(child.get("kind"), str)
        and isinstance(metadata, dict)
        and isinstance(metadata.get("name"), str)
        and metadata["name"]
    ):
        raise BadAnswer(f"child without apiVersion, kind and metadata.name (rule 7): {child!r}"[:500])


def conditions(status: Mapping[str, Any]) -> list[Any]:
    found = status.get("conditions", [])
    if not isinstance(found, list):
        raise BadAnswer(f"status.conditions is no list: {found!r}"[:500])
    return found


def reports_invalid_spec(document: Mapping[str, Any]) -> bool:
    return any(c.get("reason") == "InvalidSpec" for c in conditions(document["status"]))
