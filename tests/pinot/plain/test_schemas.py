"""Schema Jobs against the real controller: create, re-apply, compatible and incompatible changes, delete.

The tests run in file order and build on each other (one schema, ``events``); every step reads back
what Pinot holds through its REST API.
"""

from __future__ import annotations

from ..documents import offline_table, schema, schema_spec, table_spec
from ..harness import Cluster
from ..jobs import JobRunner
from ..rest import PinotRest, columns

NAME = "events"
DIM, METRIC, DATETIME = "dimensionFieldSpecs", "metricFieldSpecs", "dateTimeFieldSpecs"
EXAMPLE_COLUMNS = {"id": (DIM, "STRING"), "v": (METRIC, "LONG"), "ts": (DATETIME, "LONG")}


def test_create(jobs: JobRunner, rest: PinotRest) -> None:
    assert rest.schema(NAME) is None

    result = jobs.apply("schema", schema_spec(schema(NAME)))

    assert (result.exit_code, result.reason) == (0, "Created"), result
    assert result.message == f"{NAME} successfully added"  # Pinot's words
    assert result.argv[:2] == ["apply", "schema"] and "--reload" in result.argv  # the CRD's default
    held_schema = rest.schema(NAME)
    assert held_schema is not None and columns(held_schema) == EXAMPLE_COLUMNS
    assert held_schema[DATETIME][0]["format"] == "1:MILLISECONDS:EPOCH"


def test_reapply_is_unchanged(jobs: JobRunner, rest: PinotRest) -> None:
    before = rest.schema(NAME)

    result = jobs.apply("schema", schema_spec(schema(NAME)))

    assert (result.exit_code, result.reason) == (0, "Unchanged"), result
    assert rest.schema(NAME) == before


def test_defaults_that_pinot_drops_still_compare_unchanged(
    pinot: Cluster, jobs: JobRunner, rest: PinotRest
) -> None:
    document = schema(NAME)
    document[DIM][0] |= {"singleValueField": True, "defaultNullValue": "null", "maxLength": 512}
    document[METRIC][0] |= {"defaultNullValue": 0}
    document[DATETIME][0] |= {"singleValueField": True}

    result = jobs.apply("schema", schema_spec(document))

    assert (result.exit_code, result.reason) == (0, "Unchanged"), result
    held_schema = rest.schema(NAME)
    assert held_schema is not None

    # What makes this a real test: Pinot's answer leaves every one of those defaults out. Pinot 1.x
    # adds two of its own to every field: its kind and notNull.
    def held(kind: str) -> dict[str, object]:
        return {} if pinot.version < (1,) else {"fieldType": kind, "notNull": False}

    assert held_schema[DIM][0] == {"name": "id", "dataType": "STRING", **held("DIMENSION")}
    assert held_schema[METRIC][0] == {"name": "v", "dataType": "LONG", **held("METRIC")}


def test_a_new_column_before_any_table_exists(jobs: JobRunner, rest: PinotRest) -> None:
    result = jobs.apply("schema", schema_spec(schema(NAME, "country")))

    assert (result.exit_code, result.reason) == (0, "Updated"), result
    assert "Failed to find table events to reload" in result.message  # Pinot's words, then ours
    assert "no table uses it yet" in result.message
    held_schema = rest.schema(NAME)
    assert held_schema is not None and columns(held_schema)["country"] == (DIM, "STRING")
    assert jobs.apply("schema", schema_spec(schema(NAME, "country"))).reason == "Unchanged"


def test_a_new_column_reloads_the_table_that_uses_it(jobs: JobRunner, rest: PinotRest) -> None:
    table = jobs.apply("table", table_spec(offline_table(NAME)))
    assert table.reason == "Created", table

    result = jobs.apply("schema", schema_spec(schema(NAME, "country", "city")))

    assert (result.exit_code, result.reason) == (0, "Updated"), result
    assert "--reload" in result.argv
    assert result.message.startswith(f"{NAME} successfully added; changed /dimensionFieldSpecs")
    assert "reloading their segments" in result.message
    held_schema = rest.schema(NAME)
    assert held_schema is not None
    assert columns(held_schema) == EXAMPLE_COLUMNS | {"country": (DIM, "STRING"), "city": (DIM, "STRING")}


def test_an_incompatible_change_is_refused_with_pinots_message(jobs: JobRunner, rest: PinotRest) -> None:
    before = rest.schema(NAME)
    document = schema(NAME, "country", "city")
    document[METRIC][0]["dataType"] = "DOUBLE"  # v: LONG -> DOUBLE

    result = jobs.apply("schema", schema_spec(document))

    assert (result.exit_code, result.reason) == (1, "IncompatibleSchema"), result
    assert result.outcome["httpStatus"] == 400
    assert "Backward incompatible schema events" in result.message
    assert rest.schema(NAME) == before


def test_force_cannot_bypass_the_check_on_this_pinot_and_the_outcome_says_so(
    jobs: JobRunner, rest: PinotRest
) -> None:
    before = rest.schema(NAME)
    document = schema(NAME, "country")  # drops "city"

    result = jobs.apply("schema", schema_spec(document, force=True))

    assert "--force" in result.argv
    assert (result.exit_code, result.result, result.reason) == (1, "Failed", "IncompatibleSchema"), result
    assert "even with --force" in result.message
    assert "Backward incompatible schema events" in result.message
    assert rest.schema(NAME) == before


def test_delete(jobs: JobRunner, rest: PinotRest) -> None:
    assert rest.table(NAME, "OFFLINE") is not None

    result = jobs.delete("schema", schema_spec(schema(NAME)))

    # Pinot 0.11 deletes a schema that a table still uses (1.x refuses with 409, which the CLI reports
    # as Rejected with Pinot's words; see tests/pinotapi). The table itself is left alone.
    assert result.argv[:4] == ["delete", "schema", "--name", NAME]
    assert (result.exit_code, result.reason) == (0, "Deleted"), result
    assert result.message == f"Schema {NAME} deleted"
    assert rest.schema(NAME) is None
    assert rest.table(NAME, "OFFLINE") is not None

    again = jobs.delete("schema", schema_spec(schema(NAME)))
    assert (again.exit_code, again.reason) == (0, "AlreadyAbsent"), again
    assert again.outcome["httpStatus"] == 404

    table = jobs.delete("table", table_spec(offline_table(NAME)))
    assert table.reason == "Deleted", table
    assert rest.table(NAME, "OFFLINE") is None
