"""A query loop through the brokers, as clients behind the broker Service see them.

Every ``interval`` seconds one query goes to the next broker the Service would route to (pods that are
ready and not terminating). An answer is full when Pinot answers 200 with the expected count, no
exceptions, and every server it queried responded.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

import httpx


@dataclass(frozen=True)
class Answer:
    at: float  # seconds since the loop started
    broker: str
    status: int  # HTTP status, 0 when nothing answered
    count: int | None
    exceptions: tuple[str, ...]
    queried: int
    responded: int
    millis: float

    def full(self, expected: int) -> bool:
        return (
            self.status == 200
            and self.count == expected
            and not self.exceptions
            and self.queried == self.responded
            and self.queried > 0
        )


@dataclass
class QueryLoop:
    sql: str
    interval: float = 0.2
    timeout: float = 20.0
    endpoints: tuple[str, ...] = ()  # broker base URLs the Service routes to now (replaced, never mutated)
    headers: dict[str, str] = field(default_factory=dict)  # sent with every query (credentials)
    answers: list[Answer] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None
    _began: float = 0.0
    _next: int = 0

    def start(self) -> None:
        self._began = time.monotonic()
        self._thread = threading.Thread(target=self._run, name="query-loop", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.timeout + 5)

    def _run(self) -> None:
        with httpx.Client(timeout=self.timeout) as client:
            while not self._stop.is_set():
                endpoints = self.endpoints
                if endpoints:
                    broker = endpoints[self._next % len(endpoints)]
                    self._next += 1
                    self.answers.append(self._ask(client, broker))
                self._stop.wait(self.interval)

    def _ask(self, client: httpx.Client, broker: str) -> Answer:
        began = time.monotonic()
        at = began - self._began
        try:
            response = client.post(f"{broker}/query/sql", json={"sql": self.sql}, headers=self.headers)
        except httpx.HTTPError as error:
            return Answer(at, broker, 0, None, (repr(error),), 0, 0, (time.monotonic() - began) * 1000)
        millis = (time.monotonic() - began) * 1000
        body: dict[str, Any] = (
            response.json() if response.headers.get("content-type", "").startswith("application/json") else {}
        )
        rows = ((body.get("resultTable") or {}).get("rows")) or []
        count = int(rows[0][0]) if rows and rows[0] else None
        exceptions = tuple(
            f"{e.get('errorCode')}: {e.get('message', '')[:300]}" for e in body.get("exceptions") or []
        )
        return Answer(
            at,
            broker,
            response.status_code,
            count,
            exceptions,
            int(body.get("numServersQueried", 0)),
            int(body.get("numServersResponded", 0)),
            millis,
        )
