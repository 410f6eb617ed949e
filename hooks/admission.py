"""How many hook calls, and how many bytes of their requests and answers, the server holds at once.

A hook call is admitted before its body is read: it reserves the bytes of its request (its declared
`Content-Length`, or the body limit when it declares none), grows the reservation to its answer's
size once the answer is computed, and returns it when the answer has been handed to the connection.
Calls that do not fit wait, first come first served, without their bodies being read (the
connection stops reading at 64 KiB, uvicorn's flow control; the rest stays with the client). So
the bytes held in bodies stay within the budget whatever the number of connections: 30 clients
each sending 15 MiB and stalling before the last byte held 450 MiB before this existed. Answers
larger than their request hold back new calls until they are written.

A call beyond `max_calls` in flight, or one that waited `wait_timeout` seconds without being
admitted, is `Busy` (the server answers 503): waiting calls still hold a connection and the start
of their body, and a client (Metacontroller gives up after 10 s) does not wait forever either.

Parsing costs memory beyond the body: `parse_cost` estimates it, so that a body made of tiny JSON
containers (which parse to 40 times their size) is refused before it is parsed.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Final

__all__ = ["MIN_RESERVATION", "Admission", "Busy", "Reservation", "parse_cost"]

MIN_RESERVATION: Final = 64 * 1024
# Bytes, beyond its text, that one parsed JSON value takes at most (an empty dict: 64, plus its
# slot), and one object member's key with its entry.
COST_PER_VALUE: Final = 100
COST_PER_KEY: Final = 64


class Busy(Exception):
    """The call was not admitted; the message says why."""


class Admission:
    """At most `max_calls` calls in flight and `capacity` bytes reserved at once; waiting calls
    are admitted in arrival order, or given up after `wait_timeout` seconds."""

    def __init__(self, capacity: int, max_calls: int, wait_timeout: float) -> None:
        if capacity < MIN_RESERVATION or max_calls < 1 or wait_timeout <= 0:
            raise ValueError(f"admission needs at least {MIN_RESERVATION} bytes, one call and a wait")
        self.capacity = capacity
        self.available = capacity
        self.max_calls = max_calls
        self.wait_timeout = wait_timeout
        self.calls = 0
        self._waiters: deque[tuple[int, asyncio.Future[None]]] = deque()

    @property
    def waiting(self) -> int:
        return len(self._waiters)

    @property
    def held(self) -> int:
        return self.capacity - self.available

    async def admit(self, size: int) -> Reservation:
        """A reservation of `size` bytes (at least MIN_RESERVATION, at most the capacity)."""
        if self.calls >= self.max_calls:
            raise Busy(f"{self.max_calls} hook calls are in flight; try again shortly")
        amount = min(self.capacity, max(MIN_RESERVATION, size))
        self.calls += 1
        if not self._waiters and amount <= self.available:  # the usual case: no timer to set
            self.available -= amount
            return Reservation(self, amount)
        try:
            async with asyncio.timeout(self.wait_timeout):
                await self._take(amount)
        except TimeoutError:
            self.calls -= 1
            raise Busy(f"not admitted within {self.wait_timeout:g} s; try again shortly") from None
        except BaseException:
            self.calls -= 1
            raise
        return Reservation(self, amount)

    async def _take(self, amount: int) -> None:
        if not self._waiters and amount <= self.available:
            self.available -= amount
            return
        granted: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        entry = (amount, granted)
        self._waiters.append(entry)
        try:
            await granted
        except asyncio.CancelledError:
            if granted.done() and not granted.cancelled():
                self._give(amount)  # granted just as it was given up: hand it on
            else:
                if entry in self._waiters:  # `_wake` may have dropped it already
                    self._waiters.remove(entry)
                self._wake()  # a large waiter ahead may have held smaller ones back
            raise

    def _give(self, amount: int) -> None:
        self.available += amount
        self._wake()

    def _wake(self) -> None:
        while self._waiters and self._waiters[0][0] <= self.available:
            amount, granted = self._waiters.popleft()
            if granted.done():  # given up (its wait timed out) and not yet resumed: skip it
                continue
            self.available -= amount
            granted.set_result(None)


class Reservation:
    """Bytes held by one admitted call until `release`; `release` may be called more than once."""

    def __init__(self, admission: Admission, amount: int) -> None:
        self._admission = admission
        self.amount = amount
        self._released = False

    def grow(self, size: int) -> None:
        """Hold at least `size` bytes at once, even beyond the budget: the answer that needs them
        exists already, and waiting here for others to finish could wait forever (they may be
        waiting too). New calls are then admitted only once the total is back under the budget."""
        if size > self.amount and not self._released:
            self._admission.available -= size - self.amount
            self.amount = size

    def release(self) -> None:
        if not self._released:
            self._released = True
            self._admission.calls -= 1
            self._admission._give(self.amount)


def parse_cost(body: bytes) -> int:
    """An upper bound of the memory parsing `body` takes: every JSON value is a container's first
    element or follows a comma, every member key precedes a colon, and none costs more than its
    text and COST_PER_VALUE (COST_PER_KEY) bytes. Colons and commas inside strings only raise the
    bound: for real requests it is about 7 times their size, 3 times what they parse to."""
    values = body.count(b",") + body.count(b"[") + body.count(b"{") + 1
    return values * COST_PER_VALUE + body.count(b":") * COST_PER_KEY + len(body)
