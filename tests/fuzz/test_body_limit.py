"""The request body limit through a real uvicorn server: a body one byte over `max_body_bytes`
gets 413, one at or under it does not, whether its length is declared or it comes chunked."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from hooks.app import create_app
from tests.cluster import builders as cluster
from tests.conftest import serve
from tests.resources import builders as resources

LIMIT = 4096


@pytest.fixture(scope="module")
def small_server() -> Iterator[str]:
    yield from serve(create_app(clock=lambda: cluster.NOW, max_body_bytes=LIMIT))


REQUESTS: dict[str, Any] = {
    "/sync/pinotcluster": cluster.request_body(cluster.parent()),
    "/customize/pinottable": {"controller": {}, "parent": resources.parent("PinotTable")},
    "/finalize/pinottenant": resources.request_body(resources.parent("PinotTenant"), finalizing=True),
}


def padded(request: Any, size: int) -> bytes:
    """`request` as exactly `size` bytes of JSON: an unknown top-level field takes up the rest."""
    empty = json.dumps({**request, "padding": ""}, separators=(",", ":")).encode()
    assert len(empty) <= size, f"the request alone has {len(empty)} bytes"
    body = json.dumps({**request, "padding": "x" * (size - len(empty))}, separators=(",", ":")).encode()
    assert len(body) == size
    return body


def chunked(body: bytes, size: int = 1000) -> Iterator[bytes]:
    for start in range(0, len(body), size):
        yield body[start : start + size]


@pytest.mark.parametrize("path", sorted(REQUESTS))
@pytest.mark.parametrize(("size", "expected"), [(LIMIT - 1, 200), (LIMIT, 200), (LIMIT + 1, 413)])
@pytest.mark.parametrize("transfer", ["content-length", "chunked"])
def test_one_byte_over_the_limit_is_413_and_at_the_limit_is_answered(
    small_server: str, path: str, size: int, expected: int, transfer: str
) -> None:
    body = padded(REQUESTS[path], size)
    content: bytes | Iterator[bytes] = body if transfer == "content-length" else chunked(body)
    response = httpx.post(
        f"{small_server}{path}", content=content, headers={"content-type": "application/json"}, timeout=30
    )
    sent = response.request.headers
    assert ("content-length" in sent) == (transfer == "content-length")
    assert ("chunked" in sent.get("transfer-encoding", "")) == (transfer == "chunked")
    assert response.status_code == expected, response.text[:300]
    answer = response.json()
    if expected == 413:
        assert answer["error"] == f"request body larger than {LIMIT} bytes"
    else:
        assert "error" not in answer


def test_a_declared_length_over_the_limit_is_refused_before_the_body_is_read(small_server: str) -> None:
    """Headers that announce 1 GiB and ten bytes of it: 413 at once, without waiting for the rest."""
    host, port = small_server.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as connection:
        connection.sendall(
            b"POST /sync/pinotcluster HTTP/1.1\r\nHost: hooks\r\nContent-Type: application/json\r\n"
            + f"Content-Length: {2**30}\r\n\r\n".encode()
            + b"{" * 10
        )
        reply = b""
        while b"\r\n\r\n" not in reply or not reply.rstrip().endswith(b"}"):
            received = connection.recv(65536)
            if not received:
                break
            reply += received
    head, _, body = reply.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413 "), head
    assert json.loads(body)["error"] == f"request body larger than {LIMIT} bytes"
