"""Answers the HTTP layer may send again without calling a hook.

- ETags: every answer carries a tag derived from its bytes; a request whose `If-None-Match` names
  the answer we would send now gets 304 (Metacontroller then reuses its cached body).
- The answer cache: clock-free answers (`ClockFreeDecision`) are replayed for byte-identical
  requests, bounded in bytes and to one entry per parent and route.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import NamedTuple

from hooks.hashing import digest_of


class CachedAnswer(NamedTuple):
    payload: bytes
    etag: str
    parent: str
    generation: int | None
    summary: str
    jobs: tuple[str, ...] = ()  # kinds of the Jobs in it that its request did not observe


def etag_of(payload: bytes) -> str:
    """A strong entity tag naming exactly these answer bytes (128 bits of their SHA-256)."""
    return '"' + digest_of(payload, 32) + '"'


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """`If-None-Match` (RFC 9110, weak comparison) names the answer we would send now."""
    if not if_none_match:
        return False
    for candidate in if_none_match.split(","):
        tag = candidate.strip()
        if tag == "*" or tag.removeprefix("W/") == etag:
            return True
    return False


SAMPLE = 256  # bytes of a request read from each of its start, middle and end to find candidates


def fingerprint(body: bytes) -> tuple[int, int]:
    """What tells most requests apart without reading all of them: their length and a few samples.
    Hashing a whole 200 KiB request cost more than the rest of answering a cached one."""
    middle = len(body) // 2
    return len(body), hash(body[:SAMPLE] + body[middle : middle + SAMPLE] + body[-SAMPLE:])


class AnswerCache:
    """Clock-free answers (`ClockFreeDecision`) by route and exact request body.

    A hit needs the very same bytes (candidates found by `fingerprint` are compared in full), so
    it is the answer the hook would compute now. One entry per parent and route (a newer request
    of a parent replaces the older one), least recently used evicted first, requests and answers
    together at most `max_bytes`.
    """

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.size = 0
        self._entries: OrderedDict[tuple[str, bytes], CachedAnswer] = OrderedDict()
        self._by_parent: dict[tuple[str, str], bytes] = {}
        self._by_print: dict[tuple[str, tuple[int, int]], list[bytes]] = {}

    def get(self, path: str, body: bytes) -> CachedAnswer | None:
        for stored in self._by_print.get((path, fingerprint(body)), ()):
            if stored == body:
                # The stored bytes hash once, when they are kept; the request's never are.
                self._entries.move_to_end((path, stored))
                return self._entries[(path, stored)]
        return None

    def put(self, path: str, body: bytes, answer: CachedAnswer) -> None:
        if len(body) + len(answer.payload) > self.max_bytes:
            return
        older = self._by_parent.get((path, answer.parent))
        if older is not None:
            self._drop((path, older))
        self._drop((path, body))
        self._entries[(path, body)] = answer
        self._by_parent[(path, answer.parent)] = body
        self._by_print.setdefault((path, fingerprint(body)), []).append(body)
        self.size += len(body) + len(answer.payload)
        while self.size > self.max_bytes:
            self._drop(next(iter(self._entries)))

    def __len__(self) -> int:
        return len(self._entries)

    def _drop(self, key: tuple[str, bytes]) -> None:
        answer = self._entries.pop(key, None)
        if answer is None:
            return
        path, body = key
        self.size -= len(body) + len(answer.payload)
        if self._by_parent.get((path, answer.parent)) is body:
            del self._by_parent[(path, answer.parent)]
        printed = (path, fingerprint(body))
        kept = [stored for stored in self._by_print[printed] if stored is not body]
        if kept:
            self._by_print[printed] = kept
        else:
            del self._by_print[printed]
