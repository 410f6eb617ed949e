"""Raw-socket helpers for tests that talk to a server below HTTP clients."""

from __future__ import annotations

import socket
import time


def read_until_closed(sock: socket.socket) -> tuple[bytes, float]:
    """Everything the server sends until it closes, and how long that took."""
    started = time.monotonic()
    received = b""
    while chunk := sock.recv(65536):
        received += chunk
    return received, time.monotonic() - started
