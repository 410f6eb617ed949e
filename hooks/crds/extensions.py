"""What a model field says about its CRD beyond pydantic's own constraints (see `hooks.crds`).

Imported by the spec models, so it stays small: plain data for `json_schema_extra`, no generator.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

JsonObject = dict[str, Any]
Reason = Literal["FieldValueInvalid", "FieldValueForbidden", "FieldValueRequired", "FieldValueDuplicate"]

INT32_MAX = 2**31 - 1
INT64_MAX = 2**63 - 1

# Whole numbers the API server stores as int32 or int64; the hook refuses larger ones too, so a
# child never carries a number the API server would refuse.
Int32 = Annotated[int, Field(le=INT32_MAX, json_schema_extra={"format": "int32"})]
Int64 = Annotated[int, Field(le=INT64_MAX, json_schema_extra={"format": "int64"})]


# What a registered pattern means, in the words of the hook's refusals (hooks.refusals).
MEANINGS: dict[str, str] = {}


def pattern(regex: str, meaning: str) -> str:
    """`regex`, for `Field(pattern=...)`, remembered with its meaning ("must be a DNS label ..."),
    so that the hook refuses a value with words instead of the regex."""
    MEANINGS[regex] = meaning
    return regex


def rule(
    expression: str,
    message: str,
    *,
    reason: Reason = "FieldValueInvalid",
    field_path: str | None = None,
) -> JsonObject:
    """One CEL validation rule (`x-kubernetes-validations` entry) of the field it is given to."""
    entry: JsonObject = {"rule": expression, "message": message}
    if field_path is not None:
        entry["fieldPath"] = field_path
    entry["reason"] = reason
    return entry


def rules(*entries: JsonObject, **extra: Any) -> JsonObject:
    """`json_schema_extra` with these CEL rules (and any other keys)."""
    return {**extra, "x-kubernetes-validations": list(entries)}


def defaulted(**extra: Any) -> JsonObject:
    """`json_schema_extra` of an object field the API server defaults to `{}`, so that the
    defaults of the object's own fields apply when the user leaves it out."""
    return {**extra, "default": {}}


def list_map(*keys: str, **extra: Any) -> JsonObject:
    """`json_schema_extra` of a list whose items are keyed by `keys` (merged by key on apply)."""
    return {**extra, "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": list(keys)}
