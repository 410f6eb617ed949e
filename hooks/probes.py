"""The kubelet's probes, answered on a port of their own by a thread that never waits for the event loop.

The hooks compute on the event loop (a change request in well under a millisecond, the costliest
request the bounds admit in about half a second), and a probe answered by the loop waits behind
every computation queued before it: with 200 connections sending changes, 951 ms at the 99th
percentile, and the kubelet gives a probe 1 s. This listener runs on a daemon thread with its own
selector, so a probe needs the interpreter only for a moment: the loop hands it over within the
switch interval whatever it computes, or once a single C call (orjson parsing a large body) returns.
A probe takes the interpreter back after each of its system calls (select, accept, recv, send,
close), each time within that interval, so while the listener runs the switch interval is
SWITCH_INTERVAL instead of Python's 5 ms. With 200 clients sending 12-pool changes, probes took 8
to 10 ms at the median and 150 at the 99th percentile with 5 ms, 2 to 4 and 6 to 43 with 1 ms. It
costs the loop nothing while no probe is waiting: only a thread waiting for the interpreter makes
the running one give it up.

Liveness still has to see a wedged loop: the loop beats a `Heartbeat` every HEARTBEAT_INTERVAL (a
quarter of the stall timeout if that is shorter: `hooks.server.ProbeSettings`), and
`/healthz` and `/readyz` here answer 503, saying how long the loop has been silent, once the last
beat is older than the stall timeout. No legal request keeps the loop that long: the body budget
bounds the computations one turn of the loop can run, and the costliest of those we could build
within the bounds keep it for 1.2 to 3 s (README, "Probes", measures them); with the beat's own
interval the loop is silent for 4 s at most, and the default (`limits.STALL_TIMEOUT`) is 10 s.

Bounded against clients that are not the kubelet: at most PROBE_CONNECTIONS connections at once (a
new one closes the oldest), each closed READ_TIMEOUT after it was accepted whatever it sent, a
request head of at most MAX_PROBE_REQUEST_BYTES, one answer per connection (`Connection: close`).
"""

from __future__ import annotations

import asyncio
import errno
import http
import logging
import selectors
import socket
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Final

from hooks import jsonio

__all__ = ["HEARTBEAT_INTERVAL", "Heartbeat", "ProbeListener"]

LOG = logging.getLogger("pinot_control_plane.probes")

HEARTBEAT_INTERVAL: Final = 1.0  # seconds between two beats of the loop
PROBE_CONNECTIONS: Final = 8
READ_TIMEOUT: Final = 1.0  # the kubelet's probe timeout: a probe that takes longer failed anyway
MAX_PROBE_REQUEST_BYTES: Final = 8 * 1024  # a kubelet probe is about 150 bytes
PATHS: Final = ("/healthz", "/readyz")
SWITCH_INTERVAL: Final = 0.001  # seconds a probe waits at most for the interpreter, per wake-up


class Heartbeat:
    """When the event loop last ran a timer of its own, read from any thread."""

    def __init__(self, interval: float = HEARTBEAT_INTERVAL) -> None:
        self.interval = interval
        self.last = time.monotonic()  # a float, replaced whole: safe to read from another thread
        self._timer: asyncio.TimerHandle | None = None

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        """Beat now and every `interval` on `loop` (call it on the loop's thread)."""
        self._beat(loop)

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def silence(self) -> float:
        """Seconds since the last beat."""
        return time.monotonic() - self.last

    def _beat(self, loop: asyncio.AbstractEventLoop) -> None:
        self.last = time.monotonic()
        self._timer = loop.call_later(self.interval, self._beat, loop)


@dataclass
class _Connection:
    deadline: float
    received: bytearray = field(default_factory=bytearray)


class ProbeListener:
    """`GET /healthz` and `GET /readyz` on `host`:`port`, answered from a thread of its own."""

    def __init__(self, host: str, port: int, heartbeat: Heartbeat, stall_timeout: float) -> None:
        self.heartbeat = heartbeat
        self.stall_timeout = stall_timeout
        self._listener = socket.create_server((host, port), backlog=64)
        self._listener.setblocking(False)
        self._wake, self._waker = socket.socketpair()
        self._selector = selectors.DefaultSelector()
        self._selector.register(self._listener, selectors.EVENT_READ)
        self._selector.register(self._wake, selectors.EVENT_READ)
        self._open: dict[socket.socket, _Connection] = {}  # oldest first
        self._stopping = False
        self._thread = threading.Thread(target=self._serve, name="probes", daemon=True)
        self._switch_interval = sys.getswitchinterval()  # restored on close

    @property
    def port(self) -> int:
        port: int = self._listener.getsockname()[1]
        return port

    def start(self) -> None:
        sys.setswitchinterval(min(SWITCH_INTERVAL, self._switch_interval))
        self._thread.start()

    def close(self) -> None:
        """Stop answering and free the port; returns once the thread has ended."""
        self._stopping = True
        if self._thread.is_alive():
            self._waker.send(b"x")
            self._thread.join()
            sys.setswitchinterval(self._switch_interval)
        for sock in list(self._open):
            self._drop(sock)
        self._selector.close()
        for sock in (self._listener, self._wake, self._waker):
            sock.close()

    def answer(self, path: str) -> tuple[int, bytes, str]:
        """Status, body and content type of a probe of `path`."""
        silent = self.heartbeat.silence()
        if silent > self.stall_timeout:
            message = (
                f"the event loop has not run for {silent:.1f} s (more than {self.stall_timeout:g} s): "
                "hook calls are not being answered"
            )
            return 503, jsonio.dumps({"error": message}), "application/json"
        return 200, b"ok", "text/plain; charset=utf-8"

    # ---------------------------------------------------------------------------------------------

    def _serve(self) -> None:
        while not self._stopping:
            timeout = None
            if self._open:
                timeout = max(0.0, next(iter(self._open.values())).deadline - time.monotonic())
            for key, _ in self._selector.select(timeout):
                sock = key.fileobj
                if sock is self._listener:
                    self._accept()
                elif sock in self._open:  # not closed by an accept in this round
                    assert isinstance(sock, socket.socket)
                    self._read(sock)
            now = time.monotonic()
            for sock, connection in list(self._open.items()):
                if connection.deadline > now:
                    break  # the rest were accepted later
                self._time_out(sock, connection)

    def _accept(self) -> None:
        try:
            sock, _ = self._listener.accept()
        except OSError as error:  # the client gave up already, or no descriptor is left right now
            if error.errno not in (errno.EAGAIN, errno.ECONNABORTED):
                LOG.warning("probe listener: accept failed: %s", error)
            return
        sock.setblocking(False)
        if len(self._open) >= PROBE_CONNECTIONS:
            self._drop(next(iter(self._open)))
        self._open[sock] = _Connection(time.monotonic() + READ_TIMEOUT)
        self._selector.register(sock, selectors.EVENT_READ)
        self._read(sock)  # a client sends its request as it connects: usually here already

    def _read(self, sock: socket.socket) -> None:
        connection = self._open[sock]
        try:
            chunk = sock.recv(MAX_PROBE_REQUEST_BYTES + 1)
        except BlockingIOError:
            return  # nothing yet: the selector says when
        except OSError:
            chunk = b""
        if not chunk:  # closed by the client, or reset
            self._drop(sock)
            return
        connection.received += chunk
        head, ended, _ = bytes(connection.received).partition(b"\r\n\r\n")
        if len(head) > MAX_PROBE_REQUEST_BYTES:
            self._reply(sock, 431, f"request head larger than {MAX_PROBE_REQUEST_BYTES} bytes")
        elif ended:
            self._respond(sock, head)

    def _respond(self, sock: socket.socket, head: bytes) -> None:
        parts = head.split(b"\r\n", 1)[0].split(b" ")
        if len(parts) != 3 or not parts[2].startswith(b"HTTP/1."):
            self._reply(sock, 400, "not an HTTP/1 request")
            return
        method, target = parts[0], parts[1].split(b"?", 1)[0].decode("latin-1")
        if target not in PATHS:
            self._reply(sock, 404, "Not Found")
        elif method != b"GET":
            self._reply(sock, 405, "Method Not Allowed", b"allow: GET\r\n")
        else:
            self._send(sock, *self.answer(target))

    def _time_out(self, sock: socket.socket, connection: _Connection) -> None:
        if connection.received:
            self._reply(sock, 408, f"request not received within {READ_TIMEOUT:g} s")
        else:
            self._drop(sock)

    def _reply(self, sock: socket.socket, status: int, error: str, extra: bytes = b"") -> None:
        # The request may not have been read to its end: the answer goes first, then the end of
        # the stream, before closing resets the connection over the unread rest.
        self._send(sock, status, jsonio.dumps({"error": error}), "application/json", extra, unread=True)

    def _send(
        self,
        sock: socket.socket,
        status: int,
        body: bytes,
        kind: str,
        extra: bytes = b"",
        unread: bool = False,
    ) -> None:
        head = (
            f"HTTP/1.1 {status} {http.HTTPStatus(status).phrase}\r\ncontent-type: {kind}\r\n"
            f"content-length: {len(body)}\r\nconnection: close\r\n"
        ).encode("ascii")
        try:
            # A few hundred bytes into an empty send buffer: one call sends them, or the client is
            # not worth waiting for.
            sock.send(head + extra + b"\r\n" + body)
            if unread:
                sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        self._drop(sock)

    def _drop(self, sock: socket.socket) -> None:
        del self._open[sock]
        self._selector.unregister(sock)
        sock.close()
