"""The `pinot-control-plane` console script: serve the hooks, preview manifests, run Job commands."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from hooks import limits
from hooks.render import render_command


def _serve(args: argparse.Namespace) -> int:
    from hooks import logs
    from hooks.app import create_app
    from hooks.heap import freeze_startup_heap
    from hooks.server import ConnectionLimits, ProbeSettings, serve

    logs.configure(args.log_level, sys.stderr)
    app = create_app(
        max_body_bytes=args.max_body_bytes,
        body_budget_bytes=args.body_budget_bytes,
        body_timeout=args.body_timeout,
        max_requests=args.max_requests,
    )
    limits = ConnectionLimits(
        max_connections=args.max_connections,
        header_timeout=args.header_timeout,
        write_timeout=args.write_timeout,
    )
    freeze_startup_heap()
    probes = ProbeSettings(port=args.probe_port, stall_timeout=args.stall_timeout)
    serve(app, args.host, args.port, limits, app.state.metrics.refusal, args.log_level, probes)
    return 0


SERVE_BOUNDS: list[tuple[str, type[int] | type[float], int | float, str]] = [
    ("--max-body-bytes", int, limits.MAX_BODY_BYTES, "larger requests get 413"),
    (
        "--body-budget-bytes",
        int,
        limits.BODY_BUDGET_BYTES,
        "bytes of requests held at once; more wait, unread",
    ),
    ("--max-requests", int, limits.MAX_REQUESTS, "hook calls in flight; more get 503"),
    (
        "--max-connections",
        int,
        limits.MAX_CONNECTIONS,
        "beyond, the oldest connection without a request is closed",
    ),
    ("--header-timeout", float, limits.HEADER_TIMEOUT, "seconds to receive a request's headers"),
    ("--body-timeout", float, limits.BODY_TIMEOUT, "seconds to receive an admitted body"),
    ("--write-timeout", float, limits.WRITE_TIMEOUT, "seconds a client may read nothing of its answer"),
    (
        "--stall-timeout",
        float,
        limits.STALL_TIMEOUT,
        "seconds the event loop may be silent before the probe port's /healthz and /readyz fail",
    ),
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pinot-control-plane",
        description="Metacontroller hooks for Apache Pinot, and the commands their Jobs run.",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="serve the hooks over HTTP")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8080, help="port to bind (default 8080)")
    serve.add_argument(
        "--probe-port",
        type=int,
        default=limits.PROBE_PORT,
        help=f"port for the kubelet's /healthz and /readyz, answered off the event loop "
        f"(default {limits.PROBE_PORT})",
    )
    serve.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    for flag, kind, default, meaning in SERVE_BOUNDS:
        shown = f"{default // limits.MIB} MiB" if flag.endswith("-bytes") else f"{default:g}"
        serve.add_argument(flag, type=kind, default=default, help=f"{meaning} (default {shown})")
    serve.set_defaults(run=_serve)

    render = commands.add_parser(
        "render",
        help="print the children the sync hooks return for PinotClusters, schemas, tables and tenants",
        description="Print, as a YAML stream, what the sync hooks return for every PinotCluster, "
        "PinotSchema, PinotTable and PinotTenant in the files (other kinds are skipped), or every "
        "problem found, one per line. Exit status: 0 rendered, 1 problems, 2 a file that cannot be read.",
    )
    render.add_argument(
        "-f",
        "--file",
        required=True,
        action="append",
        help="a YAML file, one or more documents ('-' for stdin); may be given several times",
    )
    render.add_argument(
        "--ready",
        action="store_true",
        help="render clusters as if every earlier pool were ready, so that every pool appears",
    )
    render.add_argument(
        "--namespace", default=None, help="namespace of objects that name none (default 'default')"
    )
    render.set_defaults(run=render_command)

    try:
        from hooks.pinotapi.command import register  # type: ignore[import-not-found,unused-ignore]
    except ImportError:  # pragma: no cover - only while the Job commands are not installed
        pass
    else:
        register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(list(argv) if argv is not None else None)
    result: int = args.run(args)
    return result


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
