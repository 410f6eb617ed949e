"""The echo floor: the same stack as the hook server doing the least a hook must do.

One FastAPI route per workload reads the request body, parses it with orjson and answers with a
precomputed response of the same size (the hook's own answer to that workload). What the hook
server spends beyond this server, request for request, is the cost of the hook itself.
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from pathlib import Path

import orjson
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import PlainTextResponse, Response

from hooks.heap import freeze_startup_heap

Endpoint = Callable[[Request], Awaitable[Response]]


def _endpoint(payload: bytes) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        orjson.loads(await request.body())
        return Response(payload, media_type="application/json")

    return endpoint


def create_floor_app(responses: Mapping[str, bytes]) -> FastAPI:
    """`responses` maps a path (`/floor/<workload>/<kind>`) to the bytes it answers with."""
    app = FastAPI(title="echo floor")
    for path, payload in sorted(responses.items()):
        app.add_api_route(path, _endpoint(payload), methods=["POST"], name=path)

    @app.get("/healthz", response_class=PlainTextResponse)
    def healthz() -> str:
        return "ok"

    return app


def load_responses(directory: Path) -> dict[str, bytes]:
    """Files `<workload>.<kind>.json` become routes `/floor/<workload>/<kind>`."""
    responses = {}
    for path in sorted(directory.glob("*.json")):
        workload, kind = path.name.removesuffix(".json").split(".", 1)
        responses[f"/floor/{workload}/{kind}"] = path.read_bytes()
    return responses


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.floor", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--responses", type=Path, required=True, help="directory of <workload>.<kind>.json")
    args = parser.parse_args(argv)
    logging.basicConfig(level="WARNING")
    app = create_floor_app(load_responses(args.responses))
    freeze_startup_heap()  # the process set up as `serve` sets it up, so that only the hook differs
    # As `pinot-control-plane serve` runs: one worker, no access log, uvicorn's default loop and HTTP.
    uvicorn.run(app, host=args.host, port=args.port, workers=1, access_log=False, log_level="warning")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
