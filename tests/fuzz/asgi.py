"""Raw bodies to the ASGI app in-process: no client library between the bytes and the app.

Requests run on an event loop of their own thread, so each one is bounded in time: a handler that
never answers fails the test instead of hanging the run. The body can be sent whole or in chunks,
with or without a `Content-Length` header, and an exception that escapes the app is recorded.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pytest

Message = dict[str, Any]
# Metacontroller's default webhook timeout is 10 s; a request of the fuzzer's sizes takes milliseconds.
TIME_LIMIT_SECONDS = 20.0


@dataclass(frozen=True)
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes
    escaped: str | None  # an exception the app let out, after (or instead of) answering


class AsgiClient:
    """A client that drives one ASGI app on a private event loop thread."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="fuzz-asgi", daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=5)
        if not self.thread.is_alive():
            self.loop.close()

    def post(
        self,
        path: str,
        body: bytes,
        *,
        content_length: int | bool | None = True,
        chunks: Sequence[int] = (),
        timeout: float = TIME_LIMIT_SECONDS,
    ) -> Reply:
        """POST `body` to `path`.

        `content_length`: True sends the real length, False none, an int that (possibly lying) value.
        `chunks`: sizes of the first body messages; the rest follows in one message.
        """
        future = asyncio.run_coroutine_threadsafe(
            self._request(path, body, content_length, chunks), self.loop
        )
        try:
            return future.result(timeout=timeout)
        except concurrent.futures.TimeoutError:
            future.cancel()
            pytest.fail(
                f"POST {path} with a {len(body)}-byte body got no answer within {timeout} s "
                f"(body starts {body[:120]!r})"
            )

    async def _request(
        self, path: str, body: bytes, content_length: int | bool | None, chunks: Sequence[int]
    ) -> Reply:
        headers = [(b"host", b"hooks"), (b"content-type", b"application/json")]
        if content_length is True:
            headers.append((b"content-length", str(len(body)).encode()))
        elif content_length is not False and content_length is not None:
            headers.append((b"content-length", str(content_length).encode()))
        scope: Message = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": "1.1",
            "method": "POST",
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
            "root_path": "",
            "headers": headers,
            "client": ("127.0.0.1", 40000),
            "server": ("hooks", 80),
            "state": {},
        }
        messages = _body_messages(body, chunks)
        answered = asyncio.Event()
        status = 0
        reply_headers: dict[str, str] = {}
        parts: list[bytes] = []

        async def receive() -> Message:
            if messages:
                return messages.pop(0)
            await answered.wait()
            return {"type": "http.disconnect"}

        async def send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                for key, value in message.get("headers", []):
                    reply_headers[key.decode("latin-1").lower()] = value.decode("latin-1")
            elif message["type"] == "http.response.body":
                parts.append(message.get("body", b""))
                if not message.get("more_body", False):
                    answered.set()

        escaped: str | None = None
        try:
            await self.app(scope, receive, send)
        except Exception as exc:  # the app's own error handling let it through
            escaped = f"{type(exc).__name__}: {exc}"
            status = status or 500
        finally:
            answered.set()
        return Reply(status, reply_headers, b"".join(parts), escaped)


def _body_messages(body: bytes, chunks: Sequence[int]) -> list[Message]:
    pieces: list[bytes] = []
    rest = body
    for size in chunks:
        if not rest:
            break
        pieces.append(rest[:size])
        rest = rest[size:]
    if rest or not pieces:
        pieces.append(rest)
    return [
        {"type": "http.request", "body": piece, "more_body": index < len(pieces) - 1}
        for index, piece in enumerate(pieces)
    ]
