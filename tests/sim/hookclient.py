"""HTTP calls into the real FastAPI app, in-process, through `httpx.ASGITransport`.

The simulator is synchronous; one event loop (an `asyncio.Runner`) per client serves every call,
so routing, body parsing, serialisation and error handling are the app's own (contract §2 "Wire
format": POST, application/json, success is HTTP 200 exactly).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from types import TracebackType

import httpx
import orjson
from fastapi import FastAPI


@dataclass(frozen=True)
class HookReply:
    status: int
    body: bytes
    content_type: str


class HookClient:
    def __init__(self, app: FastAPI) -> None:
        self._runner = asyncio.Runner()
        self._client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hooks.sim")
        self._app = app
        self.calls = 0

    def post(self, path: str, body: bytes) -> HookReply:
        self.calls += 1
        response = self._runner.run(
            self._client.post(path, content=body, headers={"content-type": "application/json"})
        )
        self._check_kept_request_intact()
        return HookReply(response.status_code, response.content, response.headers.get("content-type", ""))

    def _check_kept_request_intact(self) -> None:
        """The request the app keeps to parse the next one from (`hooks.requestmemory`) is still what
        its bytes say: no hook changed anything it was given, which later requests share."""
        memory = getattr(self._app.state, "requests", None)
        kept = memory.entries() if memory is not None else []
        if kept:
            _path, body, request = kept[-1]
            fresh = type(request).model_validate(orjson.loads(body))
            assert vars(request) == vars(fresh), "a hook changed what its request holds"

    def close(self) -> None:
        self._runner.run(self._client.aclose())
        self._runner.close()

    def __enter__(self) -> HookClient:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()
