"""A deep store shared by two controllers (``spec.deepStore`` with ``file://`` on a shared volume).

A segment built by Pinot's own ``CreateSegment`` is uploaded through the second controller; it lands
in the shared directory, the first controller serves it too, the server downloads it (with the
token the init container wrote) and the broker answers a query over it.
"""

from __future__ import annotations

import csv
import json
import subprocess
import tarfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from ..documents import offline_table, schema, schema_spec, table_spec
from ..harness import Cluster, java_command, load_classpath
from ..jobs import JobRunner
from .principals import ADMIN, READER

TABLE = "shared"
ROWS = 25


def build_segment(workdir: Path) -> Path:
    """A segment of TABLE with ROWS rows, as Pinot's CreateSegment writes it, tarred for upload."""
    data, out = workdir / "csv", workdir / "segment"
    data.mkdir(parents=True)
    with (data / "rows.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "v", "ts"])
        writer.writerows([f"id-{i}", i, 1_700_000_000_000 + i] for i in range(ROWS))
    (workdir / "schema.json").write_text(json.dumps(schema(TABLE)))
    (workdir / "table.json").write_text(json.dumps(offline_table(TABLE)))
    command = java_command(
        load_classpath(),
        ["-Xmx256m"],
        [
            "CreateSegment",
            *("-dataDir", str(data), "-format", "CSV", "-outDir", str(out), "-overwrite"),
            *("-tableConfigFile", str(workdir / "table.json"), "-schemaFile", str(workdir / "schema.json")),
        ],
    )
    done = subprocess.run(command, capture_output=True, text=True, check=False, timeout=180)
    (segment,) = [path for path in out.iterdir() if path.is_dir()] if out.is_dir() else [None]
    assert done.returncode == 0 and segment is not None, done.stdout[-3000:] + done.stderr[-3000:]
    tarred = workdir / f"{segment.name}.tar.gz"
    with tarfile.open(tarred, "w:gz") as archive:
        archive.add(segment, arcname=segment.name)
    return tarred


def wait_for(check: Callable[[], bool], timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(1)


def test_a_segment_uploaded_through_one_controller_is_served_everywhere(
    pinot: Cluster, jobs: JobRunner, tmp_path: Path
) -> None:
    assert jobs.apply("schema", schema_spec(schema(TABLE))).reason == "Created"
    assert jobs.apply("table", table_spec(offline_table(TABLE))).reason == "Created"
    tarred = build_segment(tmp_path)
    segment = tarred.name.removesuffix(".tar.gz")
    first, second = (controller.base_url for controller in pinot.replicas["controller"])

    with httpx.Client(auth=ADMIN, timeout=60) as admin:
        uploaded = admin.post(
            f"{second}/segments",
            params={"tableName": TABLE},
            files={"file": (tarred.name, tarred.read_bytes(), "application/octet-stream")},
        )
        assert uploaded.status_code == 200, uploaded.text

        stored = pinot.workdir / "shared" / "deepstore" / TABLE / segment
        assert stored.is_file(), sorted(p.name for p in stored.parent.iterdir())
        served = admin.get(f"{first}/segments/{TABLE}/{segment}")  # not the controller it was uploaded to
        assert served.status_code == 200 and served.content == stored.read_bytes()

        def online() -> bool:
            view = admin.get(f"{first}/tables/{TABLE}/externalview").json()
            return set((view.get("OFFLINE") or {}).get(segment, {}).values()) == {"ONLINE"}

        wait_for(online)

    query = {"sql": f"SELECT COUNT(*) FROM {TABLE}"}
    with httpx.Client(auth=READER, timeout=60) as reader:
        answer = reader.post(f"{pinot.broker_url}/query/sql", json=query).json()
    assert answer["resultTable"]["rows"] == [[ROWS]], answer
    anonymous = httpx.post(f"{pinot.broker_url}/query/sql", json=query, timeout=60)
    if pinot.version < (1,):  # 0.11 checks only inside the query: 200 with ACCESS_DENIED (180)
        assert [e["errorCode"] for e in anonymous.json()["exceptions"]] == [180], anonymous.text
    else:
        assert anonymous.status_code == 401, anonymous.text
