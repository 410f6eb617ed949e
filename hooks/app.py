"""The HTTP shell: FastAPI routes over pure hook functions.

Everything here is transport: read the body (bounded), parse it, call a pure function with the
current time, serialise once, log one line, observe latency. Failures never produce a 200: a
request that is not Metacontroller-shaped gets 422, an oversized one 413, our own bug 500.

Answers a hook marks clock-free are kept by exact request bytes, so an identical resync is
answered without calling the hook again, and carry an ETag naming their bytes: a request whose
`If-None-Match` names the answer we would send gets 304 (Metacontroller's hook `etag` option).
An answer that depends on the clock carries no ETag, as it would not be sent alike later.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Histogram, generate_latest
from pydantic import BaseModel, ValidationError

from hooks import jsonio
from hooks.answers import AnswerCache, CachedAnswer, etag_matches, etag_of
from hooks.contract import (
    ECHO_HEADROOM,
    MAX_ANSWER_DEPTH,
    TOO_DEEP_TO_ENCODE,
    CustomizeRequest,
    HookRequest,
)
from hooks.decision import ClockFreeDecision, Decision

LOG = logging.getLogger("pinot_control_plane.hooks")
DEFAULT_MAX_BODY_BYTES = 16 * 1024 * 1024
DEFAULT_ANSWER_CACHE_BYTES = 16 * 1024 * 1024
MAX_LOC_PART = 100  # characters of one key or index in the `loc` of a rejection's details
MAX_DETAIL = 1000  # characters of a whole `loc` or `msg`

Clock = Callable[[], datetime]
OUTCOMES = ("ok", "rejected", "error")


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
    from hooks.cluster.sync import sync_cluster

    routes = [Route("/sync/pinotcluster", "sync-pinotcluster", HookRequest, sync_cluster)]
    try:
        from hooks.resources.routes import resource_routes  # type: ignore[import-not-found,unused-ignore]
    except ImportError:  # pragma: no cover - only while the resource hooks are not installed
        return routes
    return routes + [Route(path, hook, model, fn) for path, hook, model, fn in resource_routes()]


def create_app(
    clock: Clock = utc_now,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    routes: list[Route] | None = None,
    answer_cache_bytes: int = DEFAULT_ANSWER_CACHE_BYTES,
) -> FastAPI:
    app = FastAPI(
        title="pinot-control-plane hooks",
        version="0.1.0",
        description="Metacontroller hooks for PinotCluster, PinotSchema, PinotTable and PinotTenant.",
    )
    registry = CollectorRegistry()
    latency = Histogram(
        "pinot_control_plane_hook_duration_seconds",
        "Time spent answering one hook call.",
        ["hook", "outcome"],
        registry=registry,
        buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
    )

    answers = AnswerCache(answer_cache_bytes)
    app.state.answers = answers
    defs: dict[str, Any] = {}
    for route in routes if routes is not None else default_routes():
        defs.update(_add_hook_route(app, route, clock, max_body_bytes, latency, answers))
    _publish_schemas(app, defs)

    @app.get("/healthz", response_class=PlainTextResponse)
    def healthz() -> str:
        return "ok"

    @app.get("/readyz", response_class=PlainTextResponse)
    def readyz() -> str:
        return "ok"

    @app.get("/metrics")
    def metrics() -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return app


def _add_hook_route(
    app: FastAPI, route: Route, clock: Clock, max_body_bytes: int, latency: Histogram, answers: AnswerCache
) -> dict[str, Any]:
    schema = route.model.model_json_schema(ref_template="#/components/schemas/{model}")
    request_body = {
        "required": True,
        "content": {"application/json": {"schema": {k: v for k, v in schema.items() if k != "$defs"}}},
    }

    # One labelled child per outcome, looked up once: labels() takes a lock and a dict per call.
    observe = {outcome: latency.labels(route.hook, outcome).observe for outcome in OUTCOMES}

    async def endpoint(request: Request) -> Response:
        started = time.perf_counter()
        outcome = "error"
        parent = "-"
        generation: int | None = None
        decision_text = "-"
        status_code = 500
        etag: str | None = None
        try:
            body = await _read_bounded(request, max_body_bytes)
            cached = answers.get(route.path, body)
            if cached is not None:
                payload, etag, parent, generation = (
                    cached.payload,
                    cached.etag,
                    cached.parent,
                    cached.generation,
                )
                decision_text = cached.summary
            else:
                parsed = _parse(route.model, body)
                parent, generation = _identify(parsed)
                decision, payload = _answer(route, parsed, clock())
                decision_text = decision.summary
                if isinstance(decision, ClockFreeDecision):
                    etag = etag_of(payload)
                    answers.put(
                        route.path, body, CachedAnswer(payload, etag, parent, generation, decision_text)
                    )
            outcome, status_code = "ok", 200
            if etag is None:
                # An answer taken from the clock is not sent alike a second later: nothing to name.
                return Response(payload, media_type="application/json")
            if etag_matches(request.headers.get("if-none-match"), etag):
                # Metacontroller (hook `etag.enabled`) reuses the body it cached under this tag.
                status_code = 304
                return Response(status_code=304, headers={"ETag": etag})
            return Response(payload, media_type="application/json", headers={"ETag": etag})
        except RequestRejected as rejected:
            outcome, status_code = "rejected", rejected.status
            decision_text = rejected.message
            content: dict[str, Any] = {"error": rejected.message}
            if rejected.details is not None:
                content["details"] = rejected.details
            return JSONResponse(content, status_code=rejected.status)
        except Exception as exc:
            LOG.exception("hook %s failed", route.hook)
            decision_text = f"{type(exc).__name__}: {exc}"
            return JSONResponse({"error": f"internal error: {type(exc).__name__}: {exc}"}, status_code=500)
        finally:
            elapsed = time.perf_counter() - started
            observe[outcome](elapsed)
            LOG.info(
                jsonio.dumps(
                    {
                        "hook": route.hook,
                        "parent": parent,
                        "generation": generation,
                        "decision": decision_text,
                        "status": status_code,
                        "durationMs": round(elapsed * 1000, 3),
                    }
                ).decode()
            )

    app.add_api_route(
        route.path,
        endpoint,
        methods=["POST"],
        name=route.hook,
        openapi_extra={"requestBody": request_body},
        responses={
            200: {"description": "The desired children and status (with an ETag naming them)"},
            304: {"description": "If-None-Match names the answer: unchanged, no body"},
            413: {"description": "Body too large"},
            422: {"description": "Not a Metacontroller request"},
            500: {"description": "Internal error"},
        },
    )
    return dict(schema.get("$defs", {}))


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


async def _read_bounded(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise RequestRejected(413, f"request body larger than {limit} bytes")
    chunks = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise RequestRejected(413, f"request body larger than {limit} bytes")
        chunks.append(chunk)
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
