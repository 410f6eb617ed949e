"""The hook server's bounds, in one place: what `serve` defaults to and what the README sizes.

Memory: at most BODY_BUDGET_BYTES of request bodies (and of answers being written) are held at
once (`hooks.admission`), and at most MAX_REQUESTS hook calls are in flight, the rest answered 503
at once; one request is parsed at a time (on the event loop), and a request whose parse would take
more than PARSE_BUDGET_BYTES is refused before it is parsed; each of at most MAX_CONNECTIONS
connections holds at most MAX_HEADER_BYTES of a head. Time: a connection must send its headers
within HEADER_TIMEOUT, an admitted body within BODY_TIMEOUT, and read its answer steadily (no
progress for WRITE_TIMEOUT closes it); a call waits at most BODY_TIMEOUT to be admitted.
"""

from __future__ import annotations

from typing import Final

MIB: Final = 1024 * 1024

MAX_BODY_BYTES: Final = 16 * MIB  # a larger request gets 413
BODY_BUDGET_BYTES: Final = 32 * MIB  # two of the largest requests at once, or many small ones
MAX_REQUESTS: Final = 128  # hook calls in flight (admitted or waiting); beyond: 503 at once
BODY_TIMEOUT: Final = (
    10.0  # seconds to be admitted, and again to read the body: Metacontroller's call timeout
)
PARSE_BUDGET_BYTES: Final = 128 * MIB  # estimated memory to parse one request; beyond: 413
MAX_CONNECTIONS: Final = 512  # beyond: the oldest connection without a request in progress is closed
HEADER_TIMEOUT: Final = 5.0  # seconds from a request's first byte (or the connection) to its last header
MAX_HEADER_BYTES: Final = 16 * 1024  # of a request's line and headers: beyond, 431
WRITE_TIMEOUT: Final = 10.0  # seconds a client may take nothing of an answer
KEEP_ALIVE: Final = 5  # seconds an idle connection is kept between requests (uvicorn's default)
STALL_TIMEOUT: Final = 10.0  # seconds the event loop may be silent before the probes fail (hooks.probes)
PROBE_PORT: Final = 8081  # liveness and readiness, answered off the event loop (hooks.probes)
