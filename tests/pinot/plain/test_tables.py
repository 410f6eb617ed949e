"""Table Jobs against the real controller: missing schema, create, update, unchanged, both halves, delete.

The tests run in file order on one raw table name, ``orders`` (OFFLINE half, then a REALTIME half on the
empty test stream); every step reads back what Pinot holds through its REST API.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ..documents import offline_table, realtime_table, schema, schema_spec, table_spec
from ..jobs import JobRunner
from ..rest import PinotRest

NAME = "orders"


@pytest.fixture(scope="module", autouse=True)
def orders_schema(jobs: JobRunner) -> Iterator[None]:
    created = jobs.apply("schema", schema_spec(schema(NAME)))
    assert created.reason == "Created", created
    yield
    deleted = jobs.delete("schema", schema_spec(schema(NAME)))
    assert deleted.reason == "Deleted", deleted


def test_a_table_without_its_schema_is_refused_and_nothing_is_created(
    jobs: JobRunner, rest: PinotRest
) -> None:
    result = jobs.apply("table", table_spec(offline_table("ghost")))

    assert (result.exit_code, result.reason) == (1, "SchemaNotFound"), result
    assert result.outcome["pinotName"] == "ghost_OFFLINE"
    assert "Got empty schema" in result.message  # Pinot 0.11's words
    assert rest.table("ghost", "OFFLINE") is None
    assert "ghost_OFFLINE" not in rest.tables() and "ghost" not in rest.tables()


def test_create_offline(jobs: JobRunner, rest: PinotRest) -> None:
    result = jobs.apply("table", table_spec(offline_table(NAME)))

    assert (result.exit_code, result.reason) == (0, "Created"), result
    assert result.message == f"Table {NAME}_OFFLINE successfully added"
    held = rest.table(NAME, "OFFLINE")
    assert held is not None
    assert (held["tableName"], held["tableType"]) == (f"{NAME}_OFFLINE", "OFFLINE")
    assert held["segmentsConfig"]["replication"] == "1"
    assert held["segmentsConfig"]["timeColumnName"] == "ts"
    assert held["tenants"] == {"broker": "DefaultTenant", "server": "DefaultTenant"}
    assert rest.table(NAME, "REALTIME") is None


def test_reapply_is_unchanged_although_pinot_adds_keys(jobs: JobRunner, rest: PinotRest) -> None:
    held = rest.table(NAME, "OFFLINE")
    assert held is not None
    # What Pinot holds is not what was sent: it adds defaults the document never mentions.
    assert held["isDimTable"] is False
    assert held["segmentsConfig"]["minimizeDataMovement"] is False
    assert held["tableIndexConfig"]["nullHandlingEnabled"] is False

    result = jobs.apply("table", table_spec(offline_table(NAME)))

    assert (result.exit_code, result.reason) == (0, "Unchanged"), result
    assert rest.table(NAME, "OFFLINE") == held


def test_update_then_reapply(jobs: JobRunner, rest: PinotRest) -> None:
    document = offline_table(NAME, retentionTimeUnit="DAYS", retentionTimeValue="30")
    document["tableIndexConfig"] = {"invertedIndexColumns": ["id"]}

    result = jobs.apply("table", table_spec(document))

    assert (result.exit_code, result.reason) == (0, "Updated"), result
    assert result.message.startswith(f"Table config updated for {NAME}; changed ")
    for path in ("/segmentsConfig/retentionTimeUnit", "/segmentsConfig/retentionTimeValue"):
        assert path in result.message
    assert "/tableIndexConfig/invertedIndexColumns" in result.message
    held = rest.table(NAME, "OFFLINE")
    assert held is not None
    assert (held["segmentsConfig"]["retentionTimeUnit"], held["segmentsConfig"]["retentionTimeValue"]) == (
        "DAYS",
        "30",
    )
    assert held["tableIndexConfig"]["invertedIndexColumns"] == ["id"]

    again = jobs.apply("table", table_spec(document))
    assert (again.exit_code, again.reason) == (0, "Unchanged"), again


def test_a_misspelt_key_is_rejected_before_anything_is_written(jobs: JobRunner, rest: PinotRest) -> None:
    before = rest.table(NAME, "OFFLINE")
    document = offline_table(NAME)
    document["segmentsConfig"]["replicaton"] = document["segmentsConfig"].pop("replication")

    result = jobs.apply("table", table_spec(document))

    assert (result.exit_code, result.reason) == (1, "Rejected"), result
    assert result.message.startswith("nothing was written")
    assert '"/segmentsConfig/replicaton":"1"' in result.message  # Pinot's unrecognizedProperties
    assert rest.table(NAME, "OFFLINE") == before


def test_create_the_realtime_half_next_to_the_offline_one(jobs: JobRunner, rest: PinotRest) -> None:
    offline = rest.table(NAME, "OFFLINE")

    result = jobs.apply("table", table_spec(realtime_table(NAME)))

    assert (result.exit_code, result.reason) == (0, "Created"), result
    assert result.outcome["pinotName"] == f"{NAME}_REALTIME"
    held = rest.table(NAME, "REALTIME")
    assert held is not None and held["tableType"] == "REALTIME"
    assert rest.table(NAME, "OFFLINE") == offline
    # A real REALTIME table: Pinot asked the stream for its partition and started consuming it.
    ideal = rest.json(f"/tables/{NAME}/idealstate", tableType="realtime")["REALTIME"]
    assert [state for segment in ideal.values() for state in segment.values()] == ["CONSUMING"]

    again = jobs.apply("table", table_spec(realtime_table(NAME)))
    assert (again.exit_code, again.reason) == (0, "Unchanged"), again


def test_delete_one_half_leaves_the_other(jobs: JobRunner, rest: PinotRest) -> None:
    realtime = rest.table(NAME, "REALTIME")
    assert realtime is not None and rest.table(NAME, "OFFLINE") is not None

    result = jobs.delete("table", table_spec(offline_table(NAME)))

    assert result.argv[:6] == ["delete", "table", "--name", NAME, "--type", "OFFLINE"]
    assert (result.exit_code, result.reason) == (0, "Deleted"), result
    assert result.message == f"Tables: [{NAME}_OFFLINE] deleted"
    assert rest.table(NAME, "OFFLINE") is None
    assert rest.table(NAME, "REALTIME") == realtime

    again = jobs.delete("table", table_spec(offline_table(NAME)))
    assert (again.exit_code, again.reason) == (0, "AlreadyAbsent"), again
    assert rest.table(NAME, "REALTIME") == realtime


def test_delete_the_other_half(jobs: JobRunner, rest: PinotRest) -> None:
    result = jobs.delete("table", table_spec(realtime_table(NAME)))

    assert (result.exit_code, result.reason) == (0, "Deleted"), result
    assert rest.table(NAME, "REALTIME") is None
    assert rest.status(f"/tables/{NAME}") in (200, 404)
    assert not [t for t in rest.tables() if t.startswith(NAME)]
