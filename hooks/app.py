"""The HTTP shell: FastAPI routes over pure hook functions.

Everything here is transport: admit the call (`hooks.admission`), read the body (bounded in size
and time), parse + hook + serialise (on the event loop: the kubelet's probes are answered off it,
by `hooks.probes`), log one line, count and observe. Failures never produce a 200: a request that
is not Metacontroller-shaped gets 422, an oversized one 413, a body not sent in time 408, our own
bug 500, every one with a JSON body `{"error": ...}`, as are FastAPI's own 404 and 405.

Answers a hook marks clock-free are kept by exact request bytes, so an identical resync is
answered on the event loop without calling the hook again, and carry an ETag naming their bytes: a
request whose `If-None-Match` names the answer we would send gets 304 (Metacontroller's hook `etag`
option). An answer that depends on the clock carries no ETag, as it would not be sent alike later.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NamedTuple

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from pydantic import BaseModel, ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.types import Receive, Scope, Send

from hooks import jsonio, limits, logs
from hooks.admission import Admission, Busy, Reservation, parse_cost
from hooks.answers import AnswerCache, CachedAnswer, etag_matches, etag_of
from hooks.apidocs import docs_page
from hooks.contract import (
    ECHO_HEADROOM,
    MAX_ANSWER_DEPTH,
    TOO_DEEP_TO_ENCODE,
    CustomizeRequest,
    HookRequest,
)
from hooks.decision import ClockFreeDecision, Decision
from hooks.metrics import Metrics, new_jobs
from hooks.requestmemory import RequestMemory

LOG = logging.getLogger("pinot_control_plane.hooks")
VERSION = "0.1.0"
DEFAULT_MAX_BODY_BYTES = limits.MAX_BODY_BYTES
DEFAULT_BODY_BUDGET_BYTES = limits.BODY_BUDGET_BYTES
DEFAULT_BODY_TIMEOUT = limits.BODY_TIMEOUT
DENSITY_CHECKED_FROM = 1024 * 1024  # smaller bodies cannot parse to much, whatever they hold
DEFAULT_ANSWER_CACHE_BYTES = 16 * 1024 * 1024
ANSWER_SLICE = 256 * 1024  # an answer is written in slices of this size, each once the client took the last
MAX_LOC_PART = 100  # characters of one key or index in the `loc` of a rejection's details
MAX_DETAIL = 1000  # characters of a whole `loc` or `msg`
CLIENT_GONE = 499  # logged (never sent) for a client that left before its request was read

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Route:
    """One hook endpoint: which request model it reads and the pure function that answers it."""

    path: str
    hook: str
    model: type[BaseModel]
    handle: Callable[[Any, datetime], Decision]


class RequestRejected(Exception):
    def __init__(self, status: int, message: str, details: Any = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.details = details


def default_routes() -> list[Route]:
    from hooks.cluster.routes import cluster_routes
    from hooks.resources.routes import resource_routes

    return [Route(path, hook, model, fn) for path, hook, model, fn in (*cluster_routes(), *resource_routes())]


@dataclass(frozen=True)
class Limits:
    """What one hook call may hold, and for how long (see `hooks.admission`)."""

    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    body_timeout: float = DEFAULT_BODY_TIMEOUT
    parse_budget_bytes: int = limits.PARSE_BUDGET_BYTES


def create_app(
    clock: Clock = utc_now,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    routes: list[Route] | None = None,
    answer_cache_bytes: int = DEFAULT_ANSWER_CACHE_BYTES,
    body_budget_bytes: int = DEFAULT_BODY_BUDGET_BYTES,
    body_timeout: float = DEFAULT_BODY_TIMEOUT,
    max_requests: int = limits.MAX_REQUESTS,
    parse_budget_bytes: int = limits.PARSE_BUDGET_BYTES,
) -> FastAPI:
    app = FastAPI(
        title="pinot-control-plane hooks",
        version=VERSION,
        description="Metacontroller hooks for PinotCluster, PinotSchema, PinotTable and PinotTenant.",
        docs_url=None,  # Swagger UI loads from a CDN; `/docs` below needs nothing but itself
        redoc_url=None,
    )
    metrics = Metrics(VERSION)
    admission = Admission(body_budget_bytes, max_requests, body_timeout)
    metrics.watch_admission(admission)
    bounds = Limits(max_body_bytes, body_timeout, parse_budget_bytes)
    answers = AnswerCache(answer_cache_bytes)
    app.state.answers = answers
    memory = RequestMemory()
    app.state.requests = memory
    app.state.metrics = metrics
    app.state.admission = admission
    defs: dict[str, Any] = {}
    for route in routes if routes is not None else default_routes():
        defs.update(_add_hook_route(app, route, clock, bounds, admission, metrics, answers, memory))
    _publish_schemas(app, defs)
    _answer_errors_as_json(app)

    # Answered by the event loop, behind whatever it computes: for `curl` and `make run`. The
    # Deployment's probes ask the probe port (`hooks.probes`), which does not wait for the loop.
    # Coroutines: FastAPI would run a plain function on a thread pool.
    @app.get("/healthz", response_class=PlainTextResponse, description="Liveness: the server answers.")
    async def healthz() -> str:
        return "ok"

    @app.get("/readyz", response_class=PlainTextResponse, description="Readiness: the server answers.")
    async def readyz() -> str:
        return "ok"

    @app.get("/metrics", description="Prometheus metrics (text format).")
    async def metrics_page() -> Response:
        return Response(metrics.exposition(), media_type="text/plain; version=0.0.4; charset=utf-8")

    @app.get(
        "/docs", response_class=HTMLResponse, description="This API on one page, without internet access."
    )
    async def docs() -> str:
        return docs_page(app.openapi())

    return app


class Computed(NamedTuple):
    """What the hook made of one request."""

    payload: bytes
    etag: str | None  # None: the answer came from the clock
    parent: str
    generation: int | None
    summary: str
    jobs: tuple[str, ...]


def _compute(
    route: Route, body: bytes, now: datetime, bounds: Limits, memory: RequestMemory | None = None
) -> Computed:
    """Parse, decide, serialise: the CPU-bound part of a call, run on the event loop. With a
    `memory`, the request is parsed from what it shares with its parent's last one.

    One call at a time: the memos of pure functions (`hooks.memo`) assume that no two run at once."""
    if len(body) >= DENSITY_CHECKED_FROM:
        cost = parse_cost(body)
        if cost > bounds.parse_budget_bytes:
            raise RequestRejected(
                413,
                f"request body too dense: parsing it could take {cost // limits.MIB} MiB of memory, "
                f"more than {bounds.parse_budget_bytes // limits.MIB} MiB",
            )
    parsed = (
        _parse(route.model, body) if memory is None else memory.parse(route.path, route.model, body, _parse)
    )
    parent, generation = _identify(parsed)
    decision, payload = _answer(route, parsed, now)
    etag = etag_of(payload) if isinstance(decision, ClockFreeDecision) else None
    jobs = new_jobs(parsed, decision.answer.get("children") or ())
    return Computed(payload, etag, parent, generation, decision.summary, jobs)


class Answer(Response):
    """A hook's answer, written in slices so that each waits until the client took the previous
    ones (uvicorn's flow control), holding the call's reservation until the last is handed over:
    an answer waiting for a client that does not read counts against the budget."""

    def __init__(self, payload: bytes, headers: dict[str, str], reservation: Reservation) -> None:
        super().__init__(payload, media_type="application/json", headers=headers)
        self.reservation = reservation

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await send(
                {"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers}
            )
            body = self.body
            for start in range(0, max(len(body), 1), ANSWER_SLICE):
                end = start + ANSWER_SLICE
                await send(
                    {"type": "http.response.body", "body": body[start:end], "more_body": end < len(body)}
                )
        finally:
            self.reservation.release()


def _add_hook_route(
    app: FastAPI,
    route: Route,
    clock: Clock,
    bounds: Limits,
    admission: Admission,
    metrics: Metrics,
    answers: AnswerCache,
    memory: RequestMemory,
) -> dict[str, Any]:
    schema = route.model.model_json_schema(ref_template="#/components/schemas/{model}")
    request_body = {
        "required": True,
        "content": {"application/json": {"schema": {k: v for k, v in schema.items() if k != "$defs"}}},
    }
    counted = metrics.for_hook(route.hook)

    async def endpoint(request: Request) -> Response:
        started = time.perf_counter()
        outcome = "error"
        parent = "-"
        generation: int | None = None
        decision_text = "-"
        status_code = 500
        reservation: Reservation | None = None
        try:
            declared = _declared_length(request, bounds.max_body_bytes)
            reservation = await admission.admit(bounds.max_body_bytes if declared is None else declared)
            body = await _read_body(request, bounds)
            found: CachedAnswer | Computed | None = answers.get(route.path, body)
            if found is not None:
                counted.cache_hit()
            else:
                found = _compute(route, body, clock(), bounds, memory)
                if found.etag is not None:
                    kept = CachedAnswer(found.payload, found.etag, *found[2:])
                    answers.put(route.path, body, kept)
            payload, etag, parent, generation, decision_text, jobs = found
            outcome, status_code = "ok", 200
            if jobs:
                metrics.count_jobs(jobs)
            if etag is None:
                # An answer taken from the clock is not sent alike a second later: nothing to name.
                headers = {}
            elif etag_matches(request.headers.get("if-none-match"), etag):
                # Metacontroller (hook `etag.enabled`) reuses the body it cached under this tag.
                counted.not_modified()
                status_code = 304
                return Response(status_code=304, headers={"ETag": etag})
            else:
                headers = {"ETag": etag}
            reservation.grow(len(payload))
            answer, reservation = Answer(payload, headers, reservation), None  # it releases once written
            return answer
        except RequestRejected as rejected:
            outcome, status_code = "rejected", rejected.status
            decision_text = rejected.message
            content: dict[str, Any] = {"error": rejected.message}
            if rejected.details is not None:
                content["details"] = rejected.details
            return JSONResponse(content, status_code=rejected.status)
        except Busy as busy:
            outcome, status_code = "rejected", 503
            decision_text = str(busy)
            return JSONResponse({"error": str(busy)}, status_code=503, headers={"Retry-After": "1"})
        except ClientDisconnect:
            outcome, status_code = "rejected", CLIENT_GONE
            decision_text = "the client left before sending its whole request"
            return Response(status_code=400)  # never sent: the connection is gone
        except Exception as exc:
            LOG.exception("hook %s failed", route.hook)
            decision_text = f"{type(exc).__name__}: {exc}"
            return JSONResponse({"error": f"internal error: {type(exc).__name__}: {exc}"}, status_code=500)
        finally:
            if reservation is not None:
                reservation.release()
            elapsed = time.perf_counter() - started
            counted.observe[outcome](elapsed)
            counted.count[outcome]()
            LOG.info(
                logs.event(
                    logging.INFO,
                    "hook call",
                    {
                        "hook": route.hook,
                        "parent": parent,
                        "generation": generation,
                        "decision": decision_text,
                        "status": status_code,
                        "durationMs": round(elapsed * 1000, 3),
                    },
                    time.time(),
                )
            )

    app.add_api_route(
        route.path,
        endpoint,
        methods=["POST"],
        name=route.hook,
        description=f"The {route.hook} hook: a Metacontroller request in, its answer out.",
        openapi_extra={"requestBody": request_body},
        responses={
            200: {"description": "The desired children and status (with an ETag naming them)"},
            304: {"description": "If-None-Match names the answer: unchanged, no body"},
            408: {"description": "The body was not received in time"},
            413: {"description": "Body too large, or too dense to parse within the memory budget"},
            422: {"description": "Not a Metacontroller request"},
            500: {"description": "Internal error"},
            503: {"description": "Too many hook calls in flight, or not admitted in time: retry"},
        },
    )
    return dict(schema.get("$defs", {}))


def _answer_errors_as_json(app: FastAPI) -> None:
    """FastAPI's own answers (404 for an unknown path, 405 for a wrong method, a failed parameter)
    and any error outside the hooks in the same shape as the hooks' errors: `{"error": ...}`."""

    async def http_error(_request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        if exc.status_code in (204, 304):
            return Response(status_code=exc.status_code, headers=exc.headers)
        return JSONResponse({"error": str(exc.detail)}, status_code=exc.status_code, headers=exc.headers)

    async def invalid(_request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        details = [
            {"loc": _location(tuple(e["loc"])), "msg": _shortened(str(e["msg"]), MAX_DETAIL)}
            for e in exc.errors()[:20]
        ]
        return JSONResponse({"error": "invalid request", "details": details}, status_code=422)

    async def internal(_request: Request, exc: Exception) -> Response:
        return JSONResponse({"error": f"internal error: {type(exc).__name__}: {exc}"}, status_code=500)

    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(RequestValidationError, invalid)
    app.add_exception_handler(Exception, internal)


def _publish_schemas(app: FastAPI, defs: dict[str, Any]) -> None:
    """Make the `$ref`s of our raw-body routes resolvable in /openapi.json."""
    original = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            spec = original()
            spec.setdefault("components", {}).setdefault("schemas", {}).update(defs)
            app.openapi_schema = spec
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _declared_length(request: Request, limit: int) -> int | None:
    """The request's declared Content-Length; 413 before anything is read when it exceeds `limit`."""
    declared = request.headers.get("content-length")
    if declared is None or not declared.isdigit():
        return None
    length = int(declared)
    if length > limit:
        raise RequestRejected(413, f"request body larger than {limit} bytes")
    return length


async def _read_body(request: Request, bounds: Limits) -> bytes:
    """The whole body, at most `max_body_bytes` (413), within `body_timeout` seconds (408)."""
    try:
        async with asyncio.timeout(bounds.body_timeout):
            chunks = []
            size = 0
            async for chunk in request.stream():
                size += len(chunk)
                if size > bounds.max_body_bytes:
                    raise RequestRejected(413, f"request body larger than {bounds.max_body_bytes} bytes")
                chunks.append(chunk)
    except TimeoutError:
        raise RequestRejected(408, f"request body not received within {bounds.body_timeout:g} s") from None
    return b"".join(chunks)


def _parse(model: type[BaseModel], body: bytes) -> BaseModel:
    if not body:
        raise RequestRejected(422, "empty request body: expected a Metacontroller hook request")
    try:
        # Strict JSON (RFC 8259) as the API server stores it: no NaN or Infinity, and an integer
        # beyond 64 bits becomes a float, so whatever we echo back can be encoded again. Then
        # validation of the Python objects: faster than model_validate_json on large bodies,
        # which are mostly untyped objects.
        document = jsonio.loads(body)
    except ValueError as exc:
        strict = f"invalid JSON: {exc}"
    else:
        try:
            return model.model_validate(document)
        except ValidationError:
            strict = ""
    # Refused: validated again in JSON mode only for the wording, so rejections read as they
    # always did. Never the answer itself, as that parser is laxer (NaN, 1e400, huge integers).
    try:
        model.model_validate_json(body)
    except ValidationError as exc:
        details = [
            {"loc": _location(err["loc"]), "msg": _shortened(err["msg"], MAX_DETAIL)}
            for err in exc.errors(include_url=False, include_input=False)[:20]
        ]
        raise RequestRejected(422, "not a Metacontroller hook request", details) from None
    except (ValueError, RecursionError) as exc:
        raise RequestRejected(422, f"invalid JSON: {exc}") from None
    raise RequestRejected(422, strict or "not a Metacontroller hook request")


def _answer(route: Route, parsed: BaseModel, now: datetime) -> tuple[Decision, bytes]:
    """The hook's decision and its bytes. A request may nest values deeper than an answer can
    carry them (orjson encodes at most MAX_ANSWER_DEPTH levels) only where the hook never copies
    them: the first encoding that meets one, in the hook or of the answer, refuses the request.
    Finding it here costs nothing for the requests that are fine, unlike walking every body."""
    try:
        decision = route.handle(parsed, now)
        return decision, decision.encode()
    except (TypeError, RecursionError) as exc:
        if isinstance(exc, TypeError) and str(exc) != TOO_DEEP_TO_ENCODE:
            raise
        limit = MAX_ANSWER_DEPTH - ECHO_HEADROOM
        raise RequestRejected(422, f"a value in the request is nested deeper than {limit} levels") from None


def _location(loc: tuple[int | str, ...]) -> str:
    """Where an error is, bounded: a map key from the request may be megabytes long, and repeating
    it in each of 20 errors made a 422 twenty times the size of the request."""
    return _shortened(".".join(_shortened(str(part), MAX_LOC_PART) for part in loc), MAX_DETAIL)


def _shortened(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _identify(parsed: BaseModel) -> tuple[str, int | None]:
    if isinstance(parsed, HookRequest | CustomizeRequest):
        meta = parsed.parent.metadata
        return f"{meta.namespace}/{meta.name}", meta.generation
    return "-", None
