"""Applying and deleting schemas against what Pinot holds."""

from __future__ import annotations

import httpx
import pytest

from hooks.pinotapi.client import PinotController
from hooks.pinotapi.schemas import apply_schema, delete_schema
from hooks.pinotapi.tables import apply_table
from tests.support.fake_pinot import FakePinot

from .documents import schema, table


def test_an_absent_schema_is_created_with_override_false(
    pinot: FakePinot, controller: PinotController
) -> None:
    outcome = apply_schema(controller, schema())

    assert (outcome.result, outcome.reason, outcome.httpStatus) == ("Succeeded", "Created", 200)
    assert outcome.message == "events successfully added"
    assert pinot.calls("POST", "/schemas")[0].url.params["override"] == "false"
    assert pinot.schemas["events"]["dimensionFieldSpecs"][0]["singleValueField"] is True


def test_the_same_schema_again_is_unchanged_despite_pinots_defaults(
    pinot: FakePinot, controller: PinotController
) -> None:
    apply_schema(controller, schema())

    outcome = apply_schema(controller, schema())

    assert (outcome.result, outcome.reason) == ("Succeeded", "Unchanged")
    assert pinot.calls("PUT") == []


def test_a_compatible_change_is_an_update(pinot: FakePinot, controller: PinotController) -> None:
    apply_schema(controller, schema())

    outcome = apply_schema(controller, schema("events", "country"))

    assert (outcome.result, outcome.reason) == ("Succeeded", "Updated")
    assert "/dimensionFieldSpecs" in outcome.message
    assert [spec["name"] for spec in pinot.schemas["events"]["dimensionFieldSpecs"]] == ["id", "country"]
    put = pinot.calls("PUT", "/schemas/events")[0]
    assert (put.url.params["reload"], put.url.params["force"]) == ("false", "false")


def test_drift_in_pinot_is_corrected_even_when_the_document_did_not_change(
    pinot: FakePinot, controller: PinotController
) -> None:
    apply_schema(controller, schema("events", "country"))
    pinot.schemas["events"]["dimensionFieldSpecs"][1]["dataType"] = "INT"  # someone changed Pinot by hand

    outcome = apply_schema(controller, schema("events", "country"), force=True)

    assert outcome.reason == "Updated"
    assert pinot.schemas["events"]["dimensionFieldSpecs"][1]["dataType"] == "STRING"


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda s: s["metricFieldSpecs"].clear(), id="a dropped column"),
        pytest.param(lambda s: s["metricFieldSpecs"][0].update(dataType="DOUBLE"), id="a changed data type"),
        pytest.param(
            lambda s: s["dimensionFieldSpecs"][0].update(singleValueField=False), id="single to multi"
        ),
    ],
)
def test_an_incompatible_change_is_refused_with_pinots_message_then_accepted_with_force(
    pinot: FakePinot, controller: PinotController, change: object
) -> None:
    apply_schema(controller, schema())
    incompatible = schema()
    change(incompatible)  # type: ignore[operator]

    refused = apply_schema(controller, incompatible)
    forced = apply_schema(controller, incompatible, force=True)

    assert (refused.result, refused.reason, refused.httpStatus) == ("Failed", "IncompatibleSchema", 400)
    assert refused.message == "Backward incompatible schema events. Only allow adding new columns"
    assert (forced.result, forced.reason) == ("Succeeded", "Updated")
    assert pinot.calls("PUT")[-1].url.params["force"] == "true"
    assert apply_schema(controller, incompatible).reason == "Unchanged"


def test_reload_after_a_compatible_change_reloads_the_tables_using_it(
    pinot: FakePinot, controller: PinotController
) -> None:
    apply_schema(controller, schema())
    apply_table(controller, table("OFFLINE"))

    outcome = apply_schema(controller, schema("events", "country"), reload=True)

    assert (outcome.result, outcome.reason) == ("Succeeded", "Updated")
    assert pinot.calls("PUT")[0].url.params["reload"] == "true"
    assert pinot.reloads == ["events_OFFLINE"]
    assert "reloading" in outcome.message


def test_reload_when_no_table_uses_the_schema_yet_is_a_success(
    pinot: FakePinot, controller: PinotController
) -> None:
    apply_schema(controller, schema())

    outcome = apply_schema(controller, schema("events", "country"), reload=True)

    assert (outcome.result, outcome.reason) == ("Succeeded", "Updated")
    assert "no tables to reload" in outcome.message
    assert "Failed to find table events to reload" in outcome.message
    assert [spec["name"] for spec in pinot.schemas["events"]["dimensionFieldSpecs"]] == ["id", "country"]


def test_a_404_on_reload_is_not_success_when_pinot_does_not_hold_the_new_schema(
    pinot: FakePinot, controller: PinotController
) -> None:
    apply_schema(controller, schema())
    pinot.fail_next(1, status=404, method="PUT")  # as if the schema vanished between GET and PUT

    outcome = apply_schema(controller, schema("events", "country"), reload=True)

    assert (outcome.result, outcome.reason, outcome.httpStatus) == ("Failed", "PinotError", 404)


@pytest.mark.parametrize(
    ("status", "reason"),
    [(500, "PinotError"), (401, "Unauthorized"), (403, "Unauthorized"), (400, "Rejected")],
)
def test_an_error_reading_the_schema_is_never_taken_for_absent(
    pinot: FakePinot, controller: PinotController, status: int, reason: str
) -> None:
    pinot.fail_next(10, status=status, method="GET")

    outcome = apply_schema(controller, schema())

    assert (outcome.result, outcome.reason, outcome.httpStatus) == ("Failed", reason, status)
    assert pinot.calls("POST") == [] and pinot.calls("PUT") == []


def test_a_schema_created_meanwhile_is_compared_instead_of_failing(
    pinot: FakePinot, controller: PinotController
) -> None:
    pinot.fail_next(1, status=404, method="GET")  # our GET sees nothing...
    pinot.schemas["events"] = {
        **schema(),
        "enableColumnBasedNullHandling": False,
    }  # ...someone else creates it

    outcome = apply_schema(controller, schema())

    assert (outcome.result, outcome.reason) == ("Succeeded", "Unchanged")


@pytest.mark.parametrize(
    "document",
    [
        pytest.param({"dimensionFieldSpecs": []}, id="no schemaName"),
        pytest.param({"schemaName": ""}, id="empty schemaName"),
        pytest.param({"schemaName": 7}, id="schemaName not a string"),
        pytest.param(["events"], id="not an object"),
    ],
)
def test_a_document_without_a_schema_name_is_invalid_input(
    pinot: FakePinot, controller: PinotController, document: object
) -> None:
    outcome = apply_schema(controller, document)

    assert (outcome.result, outcome.reason) == ("Failed", "InvalidInput")
    assert pinot.requests == []


def test_unrecognised_properties_fail_the_apply_and_are_listed(
    pinot: FakePinot, controller: PinotController
) -> None:
    outcome = apply_schema(controller, {**schema(), "dimensonFieldSpecs": []})

    assert (outcome.result, outcome.reason) == ("Failed", "Rejected")
    assert '"/dimensonFieldSpecs"' in outcome.message


def test_unreachable_controller(pinot: FakePinot, controller: PinotController) -> None:
    pinot.drop_next(10, error=httpx.ConnectError)

    outcome = apply_schema(controller, schema())

    assert (outcome.result, outcome.reason, outcome.httpStatus) == ("Failed", "Unreachable", None)
    assert "ConnectError" in outcome.message


@pytest.mark.parametrize(
    ("setup", "reason", "result"),
    [
        pytest.param([], "AlreadyAbsent", "Succeeded", id="absent"),
        pytest.param(["schema"], "Deleted", "Succeeded", id="present"),
        pytest.param(["schema", "table"], "Rejected", "Failed", id="in use by a table"),
    ],
)
def test_delete_schema(
    pinot: FakePinot, controller: PinotController, setup: list[str], reason: str, result: str
) -> None:
    if "schema" in setup:
        apply_schema(controller, schema())
    if "table" in setup:
        apply_table(controller, table())

    outcome = delete_schema(controller, "events")

    assert (outcome.result, outcome.reason) == (result, reason)
    assert ("events" in pinot.schemas) == (reason == "Rejected")


def test_a_schema_in_use_keeps_pinots_reason(pinot: FakePinot, controller: PinotController) -> None:
    apply_schema(controller, schema())
    apply_table(controller, table())

    outcome = delete_schema(controller, "events")

    assert outcome.httpStatus == 409
    assert outcome.message == "Cannot delete schema events, as it is associated with table events_OFFLINE"
