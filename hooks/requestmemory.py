"""Parsing a hook request from the sections it shares with the last request of its parent.

Metacontroller sends a parent's whole state on every call: one JSON object with the sections
`controller`, `parent`, `children`, `related` and `finalizing`. A call usually differs from the
previous call of the same parent in one section only: the parent changed (its status was written
back, or its spec was edited) and its children did not, or one of its children changed and the
parent did not. The children are most of a request's bytes, and parsing them again was a third of
the work of answering a cluster's spec change.

`RequestMemory` keeps the last request of each parent called more than once lately: its bytes, where
each section's value lies in them, and the validated request. A new request whose bytes are those of
a kept one except within one section's value is parsed by parsing that value alone and validating it
in place of the old one. The result is exactly what parsing the whole request gives:

- every byte outside the new value equals the kept request's bytes there (compared in full);
- the new value parses on its own as exactly one JSON value, one level deep as in the request
  (so orjson's nesting limit holds as it does for the whole);
- JSON has one parse per text, so the request is the kept document with that one value replaced; and
  a model validates each field on its own (`HookRequest` has no validator across fields), so
  validating that field alone gives the model the whole would give.

The same holds one level further down for `children` and `related`, whose values are observed
objects by type key, then by name: when one object changed (a StatefulSet's status, say, the most
common change during a rollout), that object alone is parsed (three containers deep, as in the
request) and validated, and the section is the kept one's with that object replaced. A section
validates every type key, name and object on its own, and the object validator returns the object it
checked, so the unchanged objects are what validating them again would give.

Anything else takes the full parse: no kept request shares the request's first or last bytes, two
sections changed, a key changed, or the model refuses the new value (the full parse then words the
rejection as always). Kept requests are bounded in bytes, one per parent and route.

Where a fully parsed request's values lie is found by encoding each parsed section (each observed
object, for `children` and `related`) and each key again and finding it, byte for byte, in its
place: that holds for compact JSON as Metacontroller writes it (Go's encoding, which also escapes
`<`, `>`, `&`, U+2028 and U+2029 in strings) and as orjson writes it. A request written otherwise
(indented, say) is not kept. A request parsed from a kept one has its values where the kept one had
them, those after the changed one moved by its change of length.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

import orjson
from pydantic import BaseModel, TypeAdapter, ValidationError

from hooks.contract import HookRequest, KubernetesObject

Parse = Callable[[type[BaseModel], bytes], BaseModel]
Spans = tuple[tuple[str, int, int], ...]  # each section: its key, where its value starts and ends
# Each observed object of a section: its type key, its name, where it starts and ends.
Members = tuple[tuple[str, str, int, int], ...]

SECTIONS = frozenset(HookRequest.model_fields)
OBSERVED = ("children", "related")  # sections of observed objects, by type key, then by name
WINDOW = 1024  # bytes at each end of a request by which kept requests that may share sections are found
CANDIDATES = 4  # kept requests tried per window, newest first
KEPT_BYTES = 2 * 1024 * 1024  # of requests kept; they hold about 4 times that in memory (at most ~25
KEPT_REQUEST_BYTES = 512 * 1024  # times, for JSON made of the smallest values); larger requests are not kept
_OBSERVED_OBJECT: TypeAdapter[dict[str, Any]] = TypeAdapter(KubernetesObject)  # as the model checks one
# Characters Go's encoding/json escapes inside strings and orjson does not (outside strings no JSON
# text has them), with Go's escapes.
_GO_ESCAPES = ((b"&", b"\\u0026"), (b"<", b"\\u003c"), (b">", b"\\u003e"))
_GO_ESCAPES_UTF8 = (("\u2028".encode(), b"\\u2028"), ("\u2029".encode(), b"\\u2029"))


class Layout(NamedTuple):
    """Where a request's values lie in its bytes."""

    sections: Spans
    members: dict[str, Members]  # for each section in OBSERVED


class _Kept(NamedTuple):
    path: str
    parent: str
    body: bytes
    request: HookRequest
    layout: Layout


class RequestMemory:
    """The last `HookRequest` of each changing parent and route: requests of at most
    `max_request_bytes`, together at most `max_bytes`, the least recently kept dropped first.

    A parent's request is kept once the parent was called among the last `max_bytes` of requests
    (when it would still be kept): keeping the request of a parent that is not called again soon
    would only cost the finding of its sections and, later, the freeing of objects long out of the
    CPU's caches (a fleet resynced round-robin, where every call is another parent's)."""

    def __init__(self, max_bytes: int = KEPT_BYTES, max_request_bytes: int = KEPT_REQUEST_BYTES) -> None:
        self.max_bytes = max_bytes
        self.max_request_bytes = max_request_bytes
        self.size = 0  # bytes of the requests kept
        self.reused = 0  # requests parsed from a kept one (the tests read it)
        self._kept: OrderedDict[tuple[str, str], _Kept] = OrderedDict()  # by route and parent, oldest first
        self._by_window: dict[tuple[str, bool, int], list[_Kept]] = {}
        # Parents called lately, with the size of their last request: as many as could be kept.
        self._seen: OrderedDict[tuple[str, str], int] = OrderedDict()
        self._seen_size = 0

    def __len__(self) -> int:
        return len(self._kept)

    def entries(self) -> list[tuple[str, bytes, HookRequest]]:
        """The kept requests, least recently kept first: route, bytes, validated request."""
        return [(kept.path, kept.body, kept.request) for kept in self._kept.values()]

    def parse(self, path: str, model: type[BaseModel], body: bytes, full: Parse) -> BaseModel:
        """`full(model, body)`, or the same request built from a kept one."""
        if model is not HookRequest:
            return full(model, body)
        for kept in self._candidates(path, body):
            found = _spliced(kept, body)
            if found is not None:
                request, layout = found
                self.reused += 1
                self._keep(_Kept(path, _parent(request), body, request, layout))
                return request
        parsed = full(model, body)
        assert isinstance(parsed, HookRequest)
        key = (path, _parent(parsed))
        if key in self._kept or key in self._seen:
            found_layout = request_layout(body) if self._fits(body) else None
            self._drop(key)
            if found_layout is not None:
                self._keep(_Kept(path, key[1], body, parsed, found_layout))
        self._saw(key, len(body))
        return parsed

    def _saw(self, key: tuple[str, str], size: int) -> None:
        self._seen_size += size - self._seen.pop(key, 0)
        self._seen[key] = size
        while self._seen_size > self.max_bytes:
            self._seen_size -= self._seen.popitem(last=False)[1]

    def _candidates(self, path: str, body: bytes) -> Iterator[_Kept]:
        tried: set[int] = set()
        for key in _windows(path, body):
            for kept in reversed(self._by_window.get(key, ())):
                if id(kept) not in tried:
                    tried.add(id(kept))
                    yield kept

    def _fits(self, body: bytes) -> bool:
        return len(body) <= min(self.max_request_bytes, self.max_bytes)

    def _keep(self, kept: _Kept) -> None:
        self._drop((kept.path, kept.parent))
        if not self._fits(kept.body):
            return
        self._kept[(kept.path, kept.parent)] = kept
        for key in _windows(kept.path, kept.body):
            listed = self._by_window.setdefault(key, [])
            listed.append(kept)
            if len(listed) > CANDIDATES:
                del listed[0]
        self.size += len(kept.body)
        while self.size > self.max_bytes:
            self._drop(next(iter(self._kept)))

    def _drop(self, key: tuple[str, str]) -> None:
        kept = self._kept.pop(key, None)
        if kept is None:
            return
        self.size -= len(kept.body)
        for window in _windows(kept.path, kept.body):
            listed = [other for other in self._by_window.get(window, ()) if other is not kept]
            if listed:
                self._by_window[window] = listed
            else:
                self._by_window.pop(window, None)


def _parent(request: HookRequest) -> str:
    meta = request.parent.metadata
    return f"{meta.namespace}/{meta.name}"


def _windows(path: str, body: bytes) -> tuple[tuple[str, bool, int], tuple[str, bool, int]]:
    return (path, True, hash(body[:WINDOW])), (path, False, hash(body[-WINDOW:]))


def _spliced(kept: _Kept, body: bytes) -> tuple[HookRequest, Layout] | None:
    """The request `body` is, from `kept` and the one section of it whose value changed."""
    spans = kept.layout.sections
    if body == kept.body:
        return kept.request, kept.layout
    old = memoryview(kept.body)
    index = _first_changed([end for _, _, end in spans], old, body, 0)
    if index is None:
        index = len(spans) - 1  # what follows the last section differs
    key, start, end = spans[index]
    position = spans[index - 1][2] if index else 0
    if not body.startswith(old[position:start], position):
        return None  # a key, or what separates two sections, changed
    new_end = len(body) - (len(old) - end)
    if new_end < start or not body.endswith(old[end:]):
        return None  # more than this one section changed
    members = kept.layout.members
    if key in members:
        found = _member_spliced(kept, body, key, start, members[key])
        if found is not None:
            request, moved = found
            return request, _moved(kept.layout, index, new_end, {**members, key: moved})
    value = _one_value(body[start:new_end], 1)
    if value is _NOT_ONE:
        return None
    request = kept.request.sharing_indexes(key)
    try:
        HookRequest.__pydantic_validator__.validate_assignment(request, key, value)
    except ValidationError:
        return None
    return request, _moved(kept.layout, index, new_end, members)


def _member_spliced(
    kept: _Kept, body: bytes, key: str, start: int, members: Members
) -> tuple[HookRequest, Members] | None:
    """The request `body` is, when its section `key` is that of `kept` with one observed object
    changed; and where the section's objects now lie. Only the changed object is validated (the
    module's notes say why that is exact)."""
    old = memoryview(kept.body)
    index = _first_changed([end for *_, end in members], old, body, start)
    if index is None:
        return None  # every object as it was: what changed follows them (an object added, say)
    type_key, name, member_start, member_end = members[index]
    position = members[index - 1][3] if index else start
    if not body.startswith(old[position:member_start], position):
        return None  # a name, or what separates two objects, changed
    new_end = len(body) - (len(old) - member_end)
    if new_end < member_start or not body.endswith(old[member_end:]):
        return None  # more than this one object changed
    value = _one_value(body[member_start:new_end], 3)
    if value is _NOT_ONE:
        return None
    try:
        checked = _OBSERVED_OBJECT.validate_python(value)
    except ValidationError:
        return None
    section: dict[str, dict[str, Any]] = dict(getattr(kept.request, key))
    section[type_key] = {**section[type_key], name: checked}
    request = kept.request.sharing_indexes(key)
    setattr(request, key, section)  # the model does not validate assignments: set as it is
    shift = new_end - member_end
    moved = (
        *members[:index],
        (type_key, name, member_start, new_end),
        *((t, n, s + shift, e + shift) for t, n, s, e in members[index + 1 :]),
    )
    return request, moved


def _moved(layout: Layout, index: int, new_end: int, members: dict[str, Members]) -> Layout:
    """`layout` once the value of section number `index` ends at `new_end`; `members` already
    say where that section's own objects lie."""
    key, start, end = layout.sections[index]
    shift = new_end - end
    sections = (
        *layout.sections[:index],
        (key, start, new_end),
        *((k, s + shift, e + shift) for k, s, e in layout.sections[index + 1 :]),
    )
    after = {k for k, _, _ in layout.sections[index + 1 :]}
    shifted = {
        section: tuple((t, n, s + shift, e + shift) for t, n, s, e in found) if section in after else found
        for section, found in members.items()
    }
    return Layout(sections, shifted)


_NOT_ONE = object()


def _one_value(data: bytes, depth: int) -> Any:
    """The one JSON value `data` is, parsed `depth` containers deep as it sits in a request (so
    orjson's nesting limit holds as for the whole); `_NOT_ONE` when it is not exactly one value."""
    try:
        wrapped = orjson.loads(b"[" * depth + data + b"]" * depth)
    except orjson.JSONDecodeError:
        return _NOT_ONE
    for _ in range(depth):
        if len(wrapped) != 1:
            return _NOT_ONE
        wrapped = wrapped[0]
    return wrapped


def _first_changed(ends: list[int], old: memoryview, body: bytes, position: int) -> int | None:
    """Of values ending at `ends` in `old`, the first that, or what precedes it from `position`
    on, is not as in `body`; None when none is."""
    for index, end in enumerate(ends):
        if not body.startswith(old[position:end], position):
            return index
        position = end
    return None


def request_layout(body: bytes) -> Layout | None:
    """Where each section's value, and each observed object, lies in `body`, if it is a JSON object
    of the model's sections written compactly as orjson or Go writes it; None when it is not."""
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(document, dict) or any(key not in SECTIONS for key in document):
        return None
    members: dict[str, Members] = {}

    def section_end(key: str, start: int, value: Any) -> int | None:
        if key not in OBSERVED:
            return _encoded_end(body, start, value)
        found = _observed_spans(body, start, value)
        if found is None:
            return None
        members[key], end = found
        return end

    found = _object_spans(body, 0, document, section_end)
    if found is None or not found[0] or found[1] != len(body):
        return None
    return Layout(found[0], members)


ValueEnd = Callable[[str, int, Any], "int | None"]  # a member's key, where its value starts, the value


def _object_spans(body: bytes, position: int, mapping: Any, value_end: ValueEnd) -> tuple[Spans, int] | None:
    """Where each member's value lies when `mapping` is written compactly at `position` (each
    value's end found by `value_end`), and where the object ends."""
    if not isinstance(mapping, dict) or not body.startswith(b"{", position):
        return None
    position += 1
    spans: list[tuple[str, int, int]] = []
    for key, value in mapping.items():
        if spans:
            if not body.startswith(b",", position):
                return None
            position += 1
        key_end = _encoded_end(body, position, key)
        if key_end is None or not body.startswith(b":", key_end):
            return None
        end = value_end(key, key_end + 1, value)
        if end is None:
            return None
        spans.append((key, key_end + 1, end))
        position = end
    if not body.startswith(b"}", position):
        return None
    return tuple(spans), position + 1


def _observed_spans(body: bytes, start: int, section: Any) -> tuple[Members, int] | None:
    """Where each object of an observed section (by type key, then by name) written at `start`
    lies, and where the section ends."""
    members: list[tuple[str, str, int, int]] = []

    def objects_end(type_key: str, position: int, objects: Any) -> int | None:
        # Each object encoded two containers deep, as it sits in the section, so that a section
        # orjson could not write whole is still no base.
        found = _object_spans(body, position, objects, lambda _, at, value: _encoded_end(body, at, value, 2))
        if found is None:
            return None
        members.extend((type_key, name, begins, ends) for name, begins, ends in found[0])
        return found[1]

    found = _object_spans(body, start, section, objects_end)
    return None if found is None else (tuple(members), found[1])


def _encoded_end(body: bytes, start: int, value: Any, depth: int = 0) -> int | None:
    """Where `value`, written as orjson or as Go writes it `depth` containers deep, ends when it
    starts at `start`."""
    wrapped = value
    for _ in range(depth):
        wrapped = [wrapped]
    try:
        encoded = orjson.dumps(wrapped)
    except orjson.JSONEncodeError:  # nested deeper than orjson writes: never a base
        return None
    if depth:
        encoded = encoded[depth:-depth]
    if body.startswith(encoded, start):
        return start + len(encoded)
    go = encoded
    for raw, escaped in _GO_ESCAPES + _GO_ESCAPES_UTF8:
        go = go.replace(raw, escaped)
    if go != encoded and body.startswith(go, start):
        return start + len(go)
    return None
