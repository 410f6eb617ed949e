"""`PinotController`: the only place that speaks HTTP to a Pinot controller.

Every request carries an explicit timeout (the old operator had none and hung forever on a dead
controller). Failures that may heal by themselves are retried with exponential backoff: connection
errors, timeouts and 5xx answers. A 4xx answer is Pinot's verdict on our request and is returned at once.

Retrying a request whose answer was lost is only safe when repeating it cannot do more than doing it once.
Callers say so with `idempotent`. For a request that is not idempotent (creating a tenant retags *another*
batch of untagged instances each time it succeeds) only errors that prove the request never reached the
controller (failure to connect) and 5xx answers are retried; a read timeout is reported as `Unreachable`,
and the next run of the Job compares with what Pinot then holds.

Paths are given as segments (`("tables", raw_name)`) and encoded here, each segment whole: a name can
never add, remove or end a segment. A request whose path a URL library would still change on the way
(a `.` or `..` segment is removed or resolved) is refused with `UnsafePath` before anything is sent, so a
DELETE can never reach a shorter path than the one meant.

Every text taken from an answer (and from a transport error) passes through the `Redactor` of the
credentials in use before anything else reads or shortens it (`redaction.py`).

The sleep function is injected so tests never sleep.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import quote

import httpx
import orjson

from hooks.pinotapi.redaction import NOTHING, Redactor

__all__ = [
    "DEFAULT_TIMEOUT",
    "ControllerUnreachable",
    "PinotController",
    "Reply",
    "RetryPolicy",
    "UnsafePath",
    "encoded_path",
]

DEFAULT_TIMEOUT: Final = 10.0
MAX_VERBATIM: Final = 2000
"""Characters of an unrecognised answer body kept in a message."""

Params = Mapping[str, str]
Segments = Sequence[str]
"""A REST path as its segments, e.g. `("tables", "events")` for `/tables/events`."""

# Transport errors that prove the request was never sent, so even a non-idempotent request may be repeated.
_NOT_SENT: Final = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


@dataclass(frozen=True)
class RetryPolicy:
    """`retries` repeats after the first attempt; waits are `base_delay * 2**n`, capped at `max_delay`."""

    retries: int = 4
    base_delay: float = 0.5
    max_delay: float = 8.0

    def __post_init__(self) -> None:
        if self.retries < 0:
            raise ValueError("retries must not be negative")

    def delay(self, retry: int) -> float:
        """The wait before retry number `retry` (0 for the first retry)."""
        return float(min(self.max_delay, self.base_delay * 2**retry))


@dataclass(frozen=True)
class Reply:
    """An HTTP answer from the controller, with Pinot's message extracted from whichever shape it used."""

    status: int
    body: Any
    """The parsed JSON body, or None when the body was empty or not JSON."""
    text: str
    """The body as text, with the credentials in use redacted."""
    redact: Redactor = NOTHING

    @classmethod
    def from_response(cls, response: httpx.Response, redact: Redactor | None = None) -> Reply:
        redact = redact or NOTHING
        try:
            body = orjson.loads(response.content) if response.content else None
        except orjson.JSONDecodeError:
            body = None
        return cls(response.status_code, body, redact(response.text), redact)

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def message(self) -> str:
        """Pinot's words: `error` of an error answer, `status` of a success answer, else the body verbatim."""
        if isinstance(self.body, dict):
            for key in ("error", "status"):
                value = self.body.get(key)
                if isinstance(value, str) and value:
                    return self.redact(value)
        return verbatim(self.text) if self.text.strip() else f"HTTP {self.status} with an empty body"

    @property
    def unrecognized(self) -> dict[str, Any]:
        """`unrecognizedProperties` of a config answer: keys Pinot did not understand and ignored."""
        if isinstance(self.body, dict):
            value = self.body.get("unrecognizedProperties")
            if isinstance(value, dict):
                return value
        return {}


class ControllerUnreachable(Exception):
    """No usable HTTP answer: the controller could not be reached, did not answer in time, or sent an
    answer that could not be decoded, on every attempt."""

    def __init__(
        self, method: str, url: str, attempts: int, cause: httpx.RequestError, redact: Redactor
    ) -> None:
        kind = type(cause).__name__
        detail = redact(str(cause)) or kind
        super().__init__(
            f"no answer from the Pinot controller for {method} {url} after {attempts} attempt(s): "
            f"{kind}: {detail}"
        )
        self.attempts = attempts
        self.cause = cause


def _repeatable(error: httpx.RequestError, idempotent: bool) -> bool:
    """Transport failures may heal; an undecodable answer or a redirect loop will not."""
    if not isinstance(error, httpx.TransportError):
        return False
    return idempotent or isinstance(error, _NOT_SENT)


def verbatim(text: str) -> str:
    """An answer body as it came, shortened to a size that suits a status message."""
    text = text.strip()
    return text if len(text) <= MAX_VERBATIM else text[:MAX_VERBATIM] + " …[truncated]"


class UnsafePath(ValueError):
    """A path that would not reach Pinot as written; nothing was sent."""


def encoded_path(segments: Segments) -> str:
    """`/a/b` from segments, each percent-encoded whole: `/` `?` `#` `%` in a name stay inside it.
    An empty segment would address the collection instead of an object in it, and is refused."""
    if not all(segments):
        raise UnsafePath(f"refusing to send a request to a path with an empty segment: {list(segments)!r}")
    return "".join("/" + quote(part, safe="") for part in segments)


class PinotController:
    """The REST API of one Pinot controller, over an injected `httpx.Client`."""

    def __init__(
        self,
        client: httpx.Client,
        base_url: str,
        *,
        auth: tuple[str, str] | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if timeout <= 0:
            raise ValueError("timeout must be positive")
        self._client = client
        self.base_url = base_url.rstrip("/")
        self._auth = httpx.BasicAuth(*auth) if auth is not None else None
        self.redact = Redactor.for_basic_auth(*auth) if auth is not None else NOTHING
        self._timeout = httpx.Timeout(timeout)
        self._retry = retry or RetryPolicy()
        self._sleep = sleep

    def get(self, path: Segments, params: Params | None = None) -> Reply:
        return self.request("GET", path, params=params)

    def post(
        self, path: Segments, body: Any = None, params: Params | None = None, *, idempotent: bool
    ) -> Reply:
        return self.request("POST", path, params=params, body=body, idempotent=idempotent)

    def put(self, path: Segments, body: Any, params: Params | None = None) -> Reply:
        return self.request("PUT", path, params=params, body=body)

    def delete(self, path: Segments, params: Params | None = None) -> Reply:
        return self.request("DELETE", path, params=params)

    def request(
        self,
        method: str,
        path: Segments,
        *,
        params: Params | None = None,
        body: Any = None,
        idempotent: bool = True,
    ) -> Reply:
        """Send one request, retried as the module docstring says.

        Raises `ControllerUnreachable`, or `UnsafePath` (before sending) when the path would change."""
        url = self.base_url + encoded_path(path)
        content = orjson.dumps(body) if body is not None else None
        headers = {"Accept": "application/json"}
        if content is not None:
            headers["Content-Type"] = "application/json"
        request = self._client.build_request(
            method, url, params=dict(params or {}), content=content, headers=headers, timeout=self._timeout
        )
        _check_path(request, url)
        attempts = self._retry.retries + 1
        for attempt in range(attempts):
            last = attempt == attempts - 1
            try:
                response = self._client.send(
                    request, auth=self._auth if self._auth is not None else httpx.USE_CLIENT_DEFAULT
                )
            except httpx.RequestError as error:
                if last or not _repeatable(error, idempotent):
                    raise ControllerUnreachable(method, url, attempt + 1, error, self.redact) from error
                self._sleep(self._retry.delay(attempt))
                continue
            reply = Reply.from_response(response, self.redact)
            if reply.status >= 500 and not last:
                self._sleep(self._retry.delay(attempt))
                continue
            return reply
        raise AssertionError("unreachable: the loop returns or raises")  # pragma: no cover


def _check_path(request: httpx.Request, url: str) -> None:
    """The path the request will carry is exactly the one written, byte for byte."""
    meant = "/" + url.partition("://")[2].partition("/")[2]
    sent = request.url.raw_path.partition(b"?")[0]
    if sent != meant.encode("ascii", "replace"):
        raise UnsafePath(
            f"refusing to send {request.method} {url}: it would reach Pinot as {sent.decode('ascii')}"
        )
