"""The HTTP server: uvicorn, with the bounds on connections that uvicorn itself does not set.

uvicorn's httptools protocol (the one `serve` runs; `httptools` is a dependency) reads headers for
as long as a client keeps sending them, keeps a connection that never sends a request forever,
accepts any number of connections (`limit_concurrency` only answers 503 once a request's headers are
complete, and counts idle keep-alive connections against it), and keeps reading the rest of a body
after the answer was sent. Measured before these bounds: 200 connections trickling one header line
a second were all still open after 31 s. `BoundedHttpToolsProtocol` adds, per connection:

- a connection limit: beyond `max_connections`, a new connection gets 503 and is closed at once;
- a header deadline: a request's headers (or a new connection's first request) must arrive within
  `header_timeout` seconds of its first byte (of the connection), else 408 and close;
- a header size limit: more than `max_header_bytes` before the headers end gets 431 and close;
- a write deadline: a client that reads nothing of an answer for `write_timeout` seconds is
  disconnected, so an answer never waits in memory for a reader that does not read;
- an early answer (sent before its request's body was read, such as 413) closes the connection
  instead of reading and discarding the rest of the body.

The body's own deadline and the bytes held in bodies are the app's (`hooks.app`, `hooks.admission`):
only it knows when it starts reading. Refusals are counted by reason (`on_refusal`).

`HookServer` runs uvicorn with the probe listener of `hooks.probes` beside it, on a port of its own.
"""

from __future__ import annotations

import asyncio
import http
import logging
import socket
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, Final

import uvicorn
from uvicorn.config import STARTUP_FAILURE
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from hooks import jsonio, limits
from hooks.probes import HEARTBEAT_INTERVAL, Heartbeat, ProbeListener

__all__ = [
    "DEFAULT_LIMITS",
    "BoundedHttpToolsProtocol",
    "ConnectionLimits",
    "HookServer",
    "ProbeSettings",
    "protocol_class",
    "serve",
]

LOG = logging.getLogger("pinot_control_plane.server")


@dataclass(frozen=True)
class ConnectionLimits:
    max_connections: int = limits.MAX_CONNECTIONS
    header_timeout: float = limits.HEADER_TIMEOUT
    max_header_bytes: int = limits.MAX_HEADER_BYTES
    write_timeout: float = limits.WRITE_TIMEOUT
    keep_alive: int = limits.KEEP_ALIVE

    def __post_init__(self) -> None:
        if self.max_connections < 1 or self.max_header_bytes < 1024:
            raise ValueError("at least one connection and 1 KiB of headers")
        if min(self.header_timeout, self.write_timeout, self.keep_alive) <= 0:
            raise ValueError("timeouts must be positive")


DEFAULT_LIMITS: Final = ConnectionLimits()

Refusal = Callable[[str], None]


def _ignore(_reason: str) -> None:
    return None


class _HeadTooLarge(Exception):
    """Raised from a parser callback to stop parsing a head that exceeds its limit."""


class BoundedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with the bounds of the module docstring."""

    limits: ClassVar[ConnectionLimits] = DEFAULT_LIMITS
    # Connections with no request in progress (new, idle between requests, or still sending
    # headers), oldest first: at the connection limit the oldest of them makes room for a new one.
    idle: ClassVar[dict[BoundedHttpToolsProtocol, None]] = {}

    @staticmethod
    def on_refusal(reason: str) -> None:
        """Called with the reason of every connection closed by a bound (`protocol_class` sets it)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._header_timer: asyncio.TimerHandle | None = None
        self._write_timer: asyncio.TimerHandle | None = None
        self._head_bytes = 0  # of the request line and headers parsed so far
        self._head_too_large = False
        self._request_begun = False

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if len(self.connections) > self.limits.max_connections and not self._evict_oldest_idle():
            self._refuse("connections", 503, "too many connections; try again shortly")
            return
        self.idle[self] = None
        self._arm_header_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self.idle.pop(self, None)
        self._cancel_timers()
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._head_bytes, self._request_begun = 0, True
        if self._header_timer is None:
            self._arm_header_timer()

    def on_url(self, url: bytes) -> None:
        self._count_head(len(url))
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._count_head(len(name) + len(value) + 4)
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self.idle.pop(self, None)
        self._cancel_header_timer()
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._request_begun = False

    def send_400_response(self, msg: str) -> None:
        if self._head_too_large:  # the parse was stopped by `_count_head`, not by bad syntax
            self._refuse(
                "header_size", 431, f"request headers larger than {self.limits.max_header_bytes} bytes"
            )
        else:
            super().send_400_response(msg)

    def on_response_complete(self) -> None:
        cycle = self.cycle
        early = cycle is not None and cycle.response_complete and cycle.more_body
        waiting_next = not self.pipeline
        super().on_response_complete()
        if self.transport.is_closing():
            return
        if early:
            # Answered before the body was read (413, 408, a route that takes no body): reading and
            # dropping the rest would let a client keep the connection busy for as long as it likes.
            self.transport.close()
        elif waiting_next:
            self.idle[self] = None

    def pause_writing(self) -> None:
        super().pause_writing()
        if self._write_timer is None:
            self._write_timer = self.loop.call_later(self.limits.write_timeout, self._reader_too_slow)

    def resume_writing(self) -> None:
        super().resume_writing()
        if self._write_timer is not None:
            self._write_timer.cancel()
            self._write_timer = None

    # ---------------------------------------------------------------------------------------------

    def _arm_header_timer(self) -> None:
        self._header_timer = self.loop.call_later(self.limits.header_timeout, self._headers_too_slow)

    def _cancel_header_timer(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _cancel_timers(self) -> None:
        self._cancel_header_timer()
        if self._write_timer is not None:
            self._write_timer.cancel()
            self._write_timer = None

    def _count_head(self, size: int) -> None:
        self._head_bytes += size
        if self._head_bytes > self.limits.max_header_bytes:
            self._head_too_large = True
            raise _HeadTooLarge  # httptools stops parsing; uvicorn then calls send_400_response

    def _evict_oldest_idle(self) -> bool:
        """Close the connection that has waited longest without a request in progress, if any."""
        for victim in self.idle:
            if victim is not self:
                if victim._request_begun:
                    victim._refuse("evicted", 503, "too many connections; this one sent no request in time")
                else:
                    victim.on_refusal("evicted")
                    victim._close()
                return True
        return False

    def _headers_too_slow(self) -> None:
        self._header_timer = None
        if self.transport.is_closing():
            return
        if self._request_begun:
            self._refuse(
                "header_timeout", 408, f"request headers not received within {self.limits.header_timeout:g} s"
            )
        else:  # a connection that never sent anything: nothing to answer
            self.on_refusal("idle")
            self._close()

    def _reader_too_slow(self) -> None:
        self._write_timer = None
        self.on_refusal("write_timeout")
        LOG.warning("closing a connection whose client read nothing for %g s", self.limits.write_timeout)
        self.transport.abort()

    def _refuse(self, reason: str, status: int, message: str) -> None:
        """Answer `status` with a JSON error and close, whatever the request's state."""
        self.on_refusal(reason)
        body = jsonio.dumps({"error": message})
        head = [
            f"HTTP/1.1 {status} {http.HTTPStatus(status).phrase}",
            "content-type: application/json",
            f"content-length: {len(body)}",
            "connection: close",
        ]
        if status == 503:
            head.append("retry-after: 1")
        self.transport.write(("\r\n".join(head) + "\r\n\r\n").encode("ascii") + body)
        self._close()

    def _close(self) -> None:
        self.idle.pop(self, None)
        self._cancel_timers()
        self.transport.close()


def protocol_class(
    bounds: ConnectionLimits = DEFAULT_LIMITS, on_refusal: Refusal = _ignore
) -> type[BoundedHttpToolsProtocol]:
    """A protocol class for uvicorn's `http=` that applies `bounds` and reports refusals."""
    return type(
        "BoundedHttpToolsProtocol",
        (BoundedHttpToolsProtocol,),
        {"limits": bounds, "on_refusal": staticmethod(on_refusal), "idle": {}},
    )


def config(
    app: Any,
    host: str,
    port: int,
    bounds: ConnectionLimits = DEFAULT_LIMITS,
    on_refusal: Refusal = _ignore,
    log_level: str = "info",
) -> uvicorn.Config:
    """uvicorn's configuration as `serve` runs it: one process, our protocol, our logging."""
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        workers=1,
        http=protocol_class(bounds, on_refusal),
        timeout_keep_alive=bounds.keep_alive,
        access_log=False,
        log_config=None,  # logging is configured once, by `hooks.logs`
        log_level=log_level,
    )


@dataclass(frozen=True)
class ProbeSettings:
    """Where the probe listener answers, and how long the event loop may be silent."""

    port: int = limits.PROBE_PORT
    stall_timeout: float = limits.STALL_TIMEOUT

    def __post_init__(self) -> None:
        if not 0 <= self.port <= 65535 or self.stall_timeout <= 0:
            raise ValueError("a port number and a positive stall timeout")

    @property
    def heartbeat_interval(self) -> float:
        """Beats often enough that a loop that turns never looks silent for the stall timeout."""
        return min(HEARTBEAT_INTERVAL, self.stall_timeout / 4)


class HookServer(uvicorn.Server):
    """uvicorn's server, whose event loop beats a heartbeat while it serves, with the probe
    listener (`hooks.probes`) on a port of its own from the moment the hooks are served until the
    server begins to shut down: readiness then fails at once, and no new call is routed here."""

    STARTUP_FAILURE = STARTUP_FAILURE  # uvicorn's exit status when it cannot bind its own port

    def __init__(self, config: uvicorn.Config, probes: ProbeSettings | None = None) -> None:
        super().__init__(config)
        self.heartbeat = Heartbeat(HEARTBEAT_INTERVAL if probes is None else probes.heartbeat_interval)
        self.probe_settings = probes
        self.probes: ProbeListener | None = None

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        settings = self.probe_settings
        if settings is not None:
            try:
                self.probes = ProbeListener(
                    self.config.host, settings.port, self.heartbeat, settings.stall_timeout
                )
            except OSError as error:
                LOG.error("cannot listen for probes on %s:%d: %s", self.config.host, settings.port, error)
                sys.exit(self.STARTUP_FAILURE)
        try:
            await super().startup(sockets)
        finally:
            if not self.started:  # uvicorn could not start: shutdown() will not be called
                self._close_probes()
        if not self.started:
            return
        self.heartbeat.start(asyncio.get_running_loop())
        if self.probes is not None:
            self.probes.start()

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        self._close_probes()
        self.heartbeat.stop()
        await super().shutdown(sockets)

    def _close_probes(self) -> None:
        if self.probes is not None:
            self.probes.close()
            self.probes = None


def serve(
    app: Any,
    host: str,
    port: int,
    limits: ConnectionLimits,
    on_refusal: Refusal,
    log_level: str,
    probes: ProbeSettings | None = None,
) -> None:
    HookServer(config(app, host, port, limits, on_refusal, log_level), probes).run()
