"""Real data for the membership tests: OFFLINE tables with segments made by Pinot's own tools, and a
query loop against the broker that records every answer (pinot-membership.md §6).

Segments: a CSV file per segment, `PinotAdministrator CreateSegment` (one untarred segment directory
per file), then `UploadSegment`, from the same jars as the cluster, with
`-Dpinot.admin.system.exit=true` so that a failed command exits non-zero.
"""

from __future__ import annotations

import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson

from ..harness import LOOPBACK, MAIN_CLASS, java_binary
from ..overlay import LAUNCHER_FLAGS

JsonObject = dict[str, Any]
ROWS_PER_SEGMENT = 100


def schema(name: str) -> JsonObject:
    return {
        "schemaName": name,
        "dimensionFieldSpecs": [{"name": "id", "dataType": "INT"}, {"name": "city", "dataType": "STRING"}],
        "metricFieldSpecs": [{"name": "v", "dataType": "LONG"}],
    }


def table(name: str, tenant: str, replication: int) -> JsonObject:
    return {
        "tableName": name,
        "tableType": "OFFLINE",
        "segmentsConfig": {"replication": str(replication), "schemaName": name},
        "tenants": {"broker": "DefaultTenant", "server": tenant},
        "tableIndexConfig": {},
        "metadata": {},
    }


def admin(classpath: str, workdir: Path, *args: str) -> str:
    """Run one PinotAdministrator command; its output, or an error with it."""
    command = [
        java_binary(),
        *LAUNCHER_FLAGS,
        "-Xmx256m",
        "-Dpinot.admin.system.exit=true",
        "-cp",
        classpath,
        MAIN_CLASS,
        *args,
    ]
    done = subprocess.run(command, cwd=workdir, capture_output=True, text=True, timeout=300, check=False)
    if done.returncode != 0:
        raise AssertionError(
            f"{args[0]} exited {done.returncode}:\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
        )
    return done.stdout


def load_segments(
    classpath: str,
    workdir: Path,
    controller_port: int,
    name: str,
    tenant: str,
    replication: int,
    segments: int,
) -> int:
    """Create `segments` segments of ROWS_PER_SEGMENT rows for table `name` and upload them; the row count."""
    here = workdir / f"data-{name}"
    (here / "csv").mkdir(parents=True, exist_ok=True)
    for part in range(segments):
        rows = [f"{part * ROWS_PER_SEGMENT + i},city{i % 7},{i}" for i in range(ROWS_PER_SEGMENT)]
        (here / "csv" / f"part-{part}.csv").write_text(
            "id,city,v\n" + "\n".join(rows) + "\n", encoding="utf-8"
        )
    (here / "schema.json").write_bytes(orjson.dumps(schema(name)))
    (here / "table.json").write_bytes(orjson.dumps(table(name, tenant, replication)))
    admin(
        classpath,
        here,
        "CreateSegment",
        "-dataDir", str(here / "csv"),
        "-format", "CSV",
        "-outDir", str(here / "segments"),
        "-overwrite",
        "-tableConfigFile", str(here / "table.json"),
        "-schemaFile", str(here / "schema.json"),
    )  # fmt: skip
    admin(
        classpath,
        here,
        "UploadSegment",
        "-controllerHost", LOOPBACK,
        "-controllerPort", str(controller_port),
        "-segmentDir", str(here / "segments"),
        "-tableName", name,
    )  # fmt: skip
    return segments * ROWS_PER_SEGMENT


def online(controller: str, name: str, replication: int, segments: int) -> bool:
    """Every segment of the table ONLINE on `replication` instances in the external view."""
    reply = httpx.get(f"{controller}/tables/{name}/externalview", params={"tableType": "offline"}, timeout=10)
    view = (reply.json() or {}).get("OFFLINE") or {} if reply.status_code == 200 else {}
    return len(view) == segments and all(
        sum(1 for s in states.values() if s == "ONLINE") == replication for states in view.values()
    )


def wait_online(controller: str, name: str, replication: int, segments: int, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not online(controller, name, replication, segments):
        if time.monotonic() > deadline:
            raise AssertionError(f"{name}: segments not ONLINE after {timeout:.0f}s")
        time.sleep(0.5)


@dataclass(frozen=True)
class Answer:
    count: int | None
    exceptions: list[Any]
    queried: int
    responded: int

    @property
    def whole(self) -> bool:
        return not self.exceptions and self.queried == self.responded


@dataclass
class QueryLoop:
    """`SELECT COUNT(*)` against the broker every `interval` seconds, in a thread, until stopped."""

    broker: str
    table: str
    interval: float = 0.1
    answers: list[Answer] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __enter__(self) -> QueryLoop:
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)

    def _loop(self) -> None:
        with httpx.Client(timeout=10) as client:
            while not self._stop.is_set():
                body = client.post(
                    f"{self.broker}/query/sql", json={"sql": f"SELECT COUNT(*) FROM {self.table}"}
                ).json()
                rows = ((body.get("resultTable") or {}).get("rows")) or [[None]]
                self.answers.append(
                    Answer(
                        rows[0][0],
                        list(body.get("exceptions") or []),
                        int(body.get("numServersQueried", 0)),
                        int(body.get("numServersResponded", 0)),
                    )
                )
                self._stop.wait(self.interval)
