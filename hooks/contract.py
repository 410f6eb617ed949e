"""The Metacontroller CompositeController wire contract: what a hook receives and what it answers.

Only the parts we read are typed; everything else passes through untouched. Children are looked
up by `metadata` inside the objects, never by parsing map keys, so v1 (keyed by name) and v2
(keyed by namespace/name) requests are handled alike.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal, TypeGuard, TypeVar

import orjson
from pydantic import BaseModel, ConfigDict, Field, PlainValidator, PrivateAttr, WithJsonSchema
from pydantic_core import PydanticCustomError

JsonObject = dict[str, Any]
T = TypeVar("T")
INT64 = 2**63
MAX_DERIVED = 32  # values derived from one observation (`Observed.derive`)
_SERIALS = itertools.count()
MAX_ANSWER_DEPTH = 254  # orjson's nesting limit when encoding
# An answer nests a value taken from the request at most this much deeper than the request did:
# a pool's env ends up in a StatefulSet's containers[0], a last-applied record becomes a child.
ECHO_HEADROOM = 2
TOO_DEEP_TO_ENCODE = "Recursion limit reached"  # orjson's message (a TypeError) beyond that depth


class ObjectMeta(BaseModel):
    model_config = ConfigDict(extra="allow")

    name: str = Field(min_length=1)
    namespace: str = ""
    uid: str = ""
    # An int64 in Kubernetes; the answer echoes it as observedGeneration, which must encode.
    generation: int = Field(default=0, ge=-INT64, le=INT64 - 1)
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)
    deletionTimestamp: str | None = None


class ParentObject(BaseModel):
    model_config = ConfigDict(extra="allow")

    apiVersion: str
    kind: str
    metadata: ObjectMeta
    spec: JsonObject = Field(default_factory=dict)
    status: JsonObject | None = None


def as_object(value: Any) -> JsonObject:
    """`value` if it is a JSON object, else an empty one.

    Observed objects are typed down to their identity only (see KubernetesObject): a reader of
    their spec or status goes through these helpers, so a field of the wrong type reads as absent.
    """
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def as_int(value: Any, default: int = 0) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def is_kubernetes_object(value: Any) -> TypeGuard[JsonObject]:
    if not isinstance(value, dict):
        return False
    try:
        _kubernetes_object(value)
    except ValueError:
        return False
    return True


def fits_an_answer(value: Any) -> bool:
    """Whether `value` can still be encoded when an answer nests it ECHO_HEADROOM levels deeper."""
    wrapped = value
    for _ in range(ECHO_HEADROOM):
        wrapped = [wrapped]
    try:
        orjson.dumps(wrapped)  # unsorted: only whether it encodes matters
    except orjson.JSONEncodeError:  # TOO_DEEP_TO_ENCODE
        return False
    return True


def _kubernetes_object(obj: JsonObject) -> JsonObject:
    """An observed object as the API server serves it, down to what the hooks read of any object.

    Deeper fields (spec, status) stay untyped: each reader checks the few it uses.
    """
    if not isinstance(obj.get("apiVersion"), str) or not isinstance(obj.get("kind"), str):
        raise ValueError("an observed object needs apiVersion and kind")
    meta = obj.get("metadata")
    if not isinstance(meta, dict) or not isinstance(meta.get("name"), str) or not meta["name"]:
        raise ValueError("an observed object needs metadata.name")
    for key in ("labels", "annotations"):
        found = meta.get(key, {})
        if not isinstance(found, dict) or not _strings_only(found):
            raise ValueError(f"metadata.{key} of an observed object must map strings to strings")
    return obj


def _strings_only(mapping: dict[Any, Any]) -> bool:
    # A plain loop: run for every observed object of every request, where a generator under
    # all() cost twice as much.
    for value in mapping.values():  # noqa: SIM110
        if not isinstance(value, str):
            return False
    return True


_STRING_MAP = {"type": "object", "additionalProperties": {"type": "string"}}


def _observed_object(value: Any) -> JsonObject:
    """`_kubernetes_object`, for a value that must be a JSON object: checked in place, where
    validating it as a dict first copied every observed object of every request."""
    if not isinstance(value, dict):
        raise PydanticCustomError("dict_type", "Input should be an object")  # as JSON validation says
    return _kubernetes_object(value)


KubernetesObject = Annotated[
    JsonObject,
    PlainValidator(_observed_object),
    WithJsonSchema(
        {
            "type": "object",
            "required": ["apiVersion", "kind", "metadata"],
            "properties": {
                "apiVersion": {"type": "string"},
                "kind": {"type": "string"},
                "metadata": {
                    "type": "object",
                    "required": ["name"],
                    "properties": {
                        "name": {"type": "string", "minLength": 1},
                        "labels": _STRING_MAP,
                        "annotations": _STRING_MAP,
                    },
                },
            },
        }
    ),
]


class HookRequest(BaseModel):
    """A sync or finalize request. Unknown keys are tolerated (contract rule 3)."""

    model_config = ConfigDict(extra="allow")

    controller: JsonObject = Field(default_factory=dict)
    parent: ParentObject
    # Observed objects by type key, then by name (v1) or namespace/name (v2).
    children: dict[str, dict[str, KubernetesObject]] = Field(default_factory=dict)
    related: dict[str, dict[str, KubernetesObject]] = Field(default_factory=dict)
    finalizing: bool = False
    # `observed(section)`, once per section value: a request parsed from an earlier one
    # (hooks.requestmemory) keeps the index of each section it shares with it.
    _indexes: dict[str, Observed] = PrivateAttr(default_factory=dict)

    def observed(self, section: Literal["children", "related"]) -> Observed:
        found = self._indexes.get(section)
        if found is None:
            found = self._indexes[section] = Observed.index(getattr(self, section))
        return found

    def sharing_indexes(self, changed: str) -> HookRequest:
        """A shallow copy to validate `changed` into, keeping the indexes of the other sections."""
        copied = self.model_copy()
        copied._indexes = {section: index for section, index in self._indexes.items() if section != changed}
        return copied


class CustomizeRequest(BaseModel):
    model_config = ConfigDict(extra="allow")

    controller: JsonObject = Field(default_factory=dict)
    parent: ParentObject


def type_key(api_version: str, kind: str) -> str:
    """The map key Metacontroller uses for a child type: `Kind.version` or `Kind.group/version`."""
    return f"{kind}.{api_version}"


@dataclass(frozen=True)
class Observed:
    """Observed objects of one request, indexed by type key and then by name.

    The parent is namespaced and Metacontroller only sends objects from its namespace (v1) or
    keyed `namespace/name` (v2); either way `metadata.name` identifies the object.
    """

    by_type: Mapping[str, Mapping[str, JsonObject]] = field(default_factory=dict)
    _derived: dict[Hashable, Any] = field(default_factory=dict, compare=False, repr=False)
    # Names this index for the life of the process, where a value derived from another index
    # depends on this one too (an id could be reused once this one is gone).
    serial: int = field(default_factory=lambda: next(_SERIALS), compare=False, repr=False)

    @classmethod
    def index(cls, groups: Mapping[str, Mapping[str, JsonObject]]) -> Observed:
        by_type: dict[str, dict[str, JsonObject]] = {}
        for key, objects in groups.items():
            named: dict[str, JsonObject] = {}
            for obj in objects.values():
                name = (obj.get("metadata") or {}).get("name") if isinstance(obj, dict) else None
                if isinstance(name, str):
                    named[name] = obj
            by_type[key] = dict(sorted(named.items()))
        return cls(by_type)

    def of(self, api_version: str, kind: str) -> Mapping[str, JsonObject]:
        return self.by_type.get(type_key(api_version, kind), {})

    def get(self, api_version: str, kind: str, name: str) -> JsonObject | None:
        return self.of(api_version, kind).get(name)

    def derive(self, key: Hashable, compute: Callable[[], T]) -> T:
        """`compute()`, once per `key` for these observed objects: `key` must name everything
        `compute` reads besides them. The value is shared by every request that observes the same
        objects (`HookRequest.observed`), so its readers must not change it."""
        if key in self._derived:
            found: T = self._derived[key]
            return found
        if len(self._derived) >= MAX_DERIVED:
            self._derived.clear()
        value = self._derived[key] = compute()
        return value


@dataclass(frozen=True)
class HookResponse:
    """A sync/finalize answer. All four keys are always present (contract rules 4-6)."""

    status: JsonObject
    children: Sequence[JsonObject | orjson.Fragment]  # a child may be encoded already (jsonio.Encoded)
    resync_after_seconds: float = 0
    finalized: bool = False

    def to_json_object(self) -> JsonObject:
        resync: float | int = self.resync_after_seconds
        if float(resync).is_integer():
            resync = int(resync)
        return {
            "status": self.status,
            "children": self.children,
            "resyncAfterSeconds": resync,
            "finalized": self.finalized,
        }
