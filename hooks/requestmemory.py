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

Anything else takes the full parse: no kept request shares the request's first or last bytes, two
sections changed, a key changed, or the model refuses the new value (the full parse then words the
rejection as always). Kept requests are bounded in bytes, one per parent and route.

Where a fully parsed request's sections lie is found by encoding each parsed section again and
finding it, byte for byte, in its place: that holds for compact JSON as Metacontroller writes it (Go's
encoding, which also escapes `<`, `>`, `&`, U+2028 and U+2029 in strings) and as orjson writes it. A
request written otherwise (indented, say) is not kept. A request parsed from a kept one has its
sections where the kept one had them, those after the changed one moved by its change of length.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

import orjson
from pydantic import BaseModel, ValidationError

from hooks.contract import HookRequest

Parse = Callable[[type[BaseModel], bytes], BaseModel]
Spans = tuple[tuple[str, int, int], ...]  # each section: its key, where its value starts and ends

SECTIONS = frozenset(HookRequest.model_fields)
WINDOW = 1024  # bytes at each end of a request by which kept requests that may share sections are found
CANDIDATES = 4  # kept requests tried per window, newest first
KEPT_BYTES = 2 * 1024 * 1024  # of requests kept; they hold about 4 times that in memory (at most ~25
KEPT_REQUEST_BYTES = 512 * 1024  # times, for JSON made of the smallest values); larger requests are not kept
# Characters Go's encoding/json escapes inside strings and orjson does not (outside strings no JSON
# text has them), with Go's escapes.
_GO_ESCAPES = ((b"&", b"\\u0026"), (b"<", b"\\u003c"), (b">", b"\\u003e"))
_GO_ESCAPES_UTF8 = (("\u2028".encode(), b"\\u2028"), ("\u2029".encode(), b"\\u2029"))


class _Kept(NamedTuple):
    path: str
    parent: str
    body: bytes
    request: HookRequest
    spans: Spans


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
                request, spans = found
                self.reused += 1
                self._keep(_Kept(path, _parent(request), body, request, spans))
                return request
        parsed = full(model, body)
        assert isinstance(parsed, HookRequest)
        key = (path, _parent(parsed))
        if key in self._kept or key in self._seen:
            spans = section_spans(body) if self._fits(body) else ()
            self._drop(key)
            if spans:
                self._keep(_Kept(path, key[1], body, parsed, spans))
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


def _spliced(kept: _Kept, body: bytes) -> tuple[HookRequest, Spans] | None:
    """The request `body` is, from `kept` and the one section of it whose value changed."""
    spans = kept.spans
    if body == kept.body:
        return kept.request, spans
    old = memoryview(kept.body)
    index = _first_changed(spans, old, body)
    key, start, end = spans[index]
    position = spans[index - 1][2] if index else 0
    if not body.startswith(old[position:start], position):
        return None  # a key, or what separates two sections, changed
    rest = old[end:]
    new_end = len(body) - len(rest)
    if new_end < start or not body.endswith(rest):
        return None  # more than this one section changed
    try:
        wrapped = orjson.loads(b"[" + body[start:new_end] + b"]")
    except orjson.JSONDecodeError:
        return None
    if len(wrapped) != 1:
        return None
    request = kept.request.sharing_indexes(key)
    try:
        HookRequest.__pydantic_validator__.validate_assignment(request, key, wrapped[0])
    except ValidationError:
        return None
    shift = new_end - end
    moved = (
        *spans[:index],
        (key, start, new_end),
        *((k, s + shift, e + shift) for k, s, e in spans[index + 1 :]),
    )
    return request, moved


def _first_changed(spans: Spans, old: memoryview, body: bytes) -> int:
    """The first section whose value, or what precedes it, is not as in `old` (the last one when
    all are: then what follows the last differs)."""
    position = 0
    for index, (_key, _start, end) in enumerate(spans):
        if not body.startswith(old[position:end], position):
            return index
        position = end
    return len(spans) - 1


def section_spans(body: bytes) -> Spans:
    """Where each section's value lies in `body`, if it is a JSON object of the model's sections
    written compactly as orjson or Go writes it; `()` when it is not."""
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError:
        return ()
    if not isinstance(document, dict) or not body.startswith(b"{"):
        return ()
    spans: list[tuple[str, int, int]] = []
    position = 1
    last = len(document) - 1
    for index, (key, value) in enumerate(document.items()):
        marker = b'"' + key.encode() + b'":'
        if key not in SECTIONS or not body.startswith(marker, position):
            return ()
        start = position + len(marker)
        end = _encoded_end(body, start, value)
        if end is None or not body.startswith(b"}" if index == last else b",", end):
            return ()
        spans.append((key, start, end))
        position = end + 1
    return tuple(spans) if spans and position == len(body) else ()


def _encoded_end(body: bytes, start: int, value: Any) -> int | None:
    """Where `value`, written as orjson or as Go writes it, ends when it starts at `start`."""
    try:
        encoded = orjson.dumps(value)
    except orjson.JSONEncodeError:  # nested deeper than orjson writes: never a base
        return None
    if body.startswith(encoded, start):
        return start + len(encoded)
    go = encoded
    for raw, escaped in _GO_ESCAPES + _GO_ESCAPES_UTF8:
        go = go.replace(raw, escaped)
    if go != encoded and body.startswith(go, start):
        return start + len(go)
    return None
