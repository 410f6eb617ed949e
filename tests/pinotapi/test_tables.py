"""Applying and deleting one half of a table; the other half of a hybrid table is never touched."""

from __future__ import annotations

import httpx
import pytest

from hooks.pinotapi.client import PinotController
from hooks.pinotapi.schemas import apply_schema
from hooks.pinotapi.tables import TableName, apply_table, delete_table, table_name
from tests.support.fake_pinot import FakePinot

from .documents import schema, table

KINDS = ["OFFLINE", "REALTIME"]


@pytest.fixture(autouse=True)
def events_schema(controller: PinotController) -> None:
    assert apply_schema(controller, schema()).reason == "Created"


@pytest.mark.parametrize("kind", KINDS)
def test_an_absent_table_is_validated_then_created(
    pinot: FakePinot, controller: PinotController, kind: str
) -> None:
    outcome = apply_table(controller, table(kind))

    assert (outcome.result, outcome.reason, outcome.pinotName) == ("Succeeded", "Created", f"events_{kind}")
    assert outcome.message == f"Table events_{kind} successfully added"
    paths = [(r.method, r.url.path) for r in pinot.requests if r.url.path.startswith("/tables")]
    assert paths == [("POST", "/tables/validate"), ("GET", "/tables/events"), ("POST", "/tables")]
    assert pinot.calls("GET", "/tables/events")[0].url.params["type"] == kind.lower()


@pytest.mark.parametrize("kind", KINDS)
def test_the_same_table_again_is_unchanged_despite_pinots_defaults(
    pinot: FakePinot, controller: PinotController, kind: str
) -> None:
    apply_table(controller, table(kind))
    assert pinot.tables["events", kind]["tableIndexConfig"]["loadMode"] == "MMAP"  # Pinot added a default

    outcome = apply_table(controller, table(kind))

    assert (outcome.result, outcome.reason) == ("Succeeded", "Unchanged")
    assert pinot.calls("PUT") == []


@pytest.mark.parametrize("kind", KINDS)
def test_a_changed_config_is_updated_with_its_type_in_the_body(
    pinot: FakePinot, controller: PinotController, kind: str
) -> None:
    apply_table(controller, table(kind))

    outcome = apply_table(controller, table(kind, replication="2"))

    assert (outcome.result, outcome.reason) == ("Succeeded", "Updated")
    assert "/segmentsConfig/replication" in outcome.message
    put = pinot.calls("PUT", "/tables/events")[0]
    assert b'"tableType":"' + kind.encode() + b'"' in put.content
    assert pinot.tables["events", kind]["segmentsConfig"]["replication"] == "2"


@pytest.mark.parametrize("name", ["events", "events_OFFLINE"])
def test_the_table_name_may_carry_its_type_suffix(controller: PinotController, name: str) -> None:
    first = apply_table(controller, table("OFFLINE", name=name))
    again = apply_table(controller, table("OFFLINE", name="events"))

    assert (first.reason, first.pinotName, again.reason) == ("Created", "events_OFFLINE", "Unchanged")


@pytest.mark.parametrize("table_get_404", [True, False], ids=["missing answers 404", "missing answers {}"])
def test_creating_the_realtime_half_when_the_offline_half_exists(table_get_404: bool) -> None:
    pinot = FakePinot(table_get_404=table_get_404)
    controller = PinotController(
        httpx.Client(transport=pinot.transport()), "http://pinot:9000", sleep=lambda _: None
    )
    apply_schema(controller, schema())
    apply_table(controller, table("OFFLINE"))
    offline_before = dict(pinot.tables["events", "OFFLINE"])

    outcome = apply_table(controller, table("REALTIME"))

    assert (outcome.result, outcome.reason, outcome.pinotName) == ("Succeeded", "Created", "events_REALTIME")
    assert set(pinot.tables) == {("events", "OFFLINE"), ("events", "REALTIME")}
    assert pinot.tables["events", "OFFLINE"] == offline_before


def test_an_existing_offline_half_is_not_compared_with_a_realtime_document(
    pinot: FakePinot, controller: PinotController
) -> None:
    apply_table(controller, table("OFFLINE"))
    apply_table(controller, table("REALTIME"))

    assert apply_table(controller, table("REALTIME")).reason == "Unchanged"
    assert apply_table(controller, table("OFFLINE")).reason == "Unchanged"


def test_deleting_the_offline_half_leaves_the_realtime_half(
    pinot: FakePinot, controller: PinotController
) -> None:
    apply_table(controller, table("OFFLINE"))
    apply_table(controller, table("REALTIME"))

    outcome = delete_table(controller, "events", "OFFLINE")

    assert (outcome.result, outcome.reason, outcome.pinotName) == ("Succeeded", "Deleted", "events_OFFLINE")
    assert outcome.message == "Tables: [events_OFFLINE] deleted"
    assert set(pinot.tables) == {("events", "REALTIME")}
    assert pinot.calls("DELETE")[0].url.params["type"] == "OFFLINE"


@pytest.mark.parametrize("kind", KINDS)
def test_deleting_an_absent_half_is_already_absent(
    pinot: FakePinot, controller: PinotController, kind: str
) -> None:
    other = "REALTIME" if kind == "OFFLINE" else "OFFLINE"
    apply_table(controller, table(other))

    outcome = delete_table(controller, "events", kind)

    assert (outcome.result, outcome.reason, outcome.httpStatus) == ("Succeeded", "AlreadyAbsent", 404)
    assert set(pinot.tables) == {("events", other)}


def test_a_table_whose_schema_is_missing(pinot: FakePinot, controller: PinotController) -> None:
    outcome = apply_table(controller, table("OFFLINE", name="clicks"))

    assert (outcome.result, outcome.reason, outcome.httpStatus) == ("Failed", "SchemaNotFound", 400)
    assert (
        outcome.message
        == "Invalid table config: clicks_OFFLINE. Failed to find schema for table: clicks_OFFLINE"
    )
    assert pinot.calls("POST", "/tables") == []


def test_an_invalid_config_is_rejected_with_pinots_message_before_anything_is_written(
    pinot: FakePinot, controller: PinotController
) -> None:
    config = table("REALTIME")
    del config["ingestionConfig"]

    outcome = apply_table(controller, config)

    assert (outcome.result, outcome.reason, outcome.httpStatus) == ("Failed", "Rejected", 400)
    assert "Must have exactly 1 stream config" in outcome.message
    assert pinot.tables == {}


def test_unrecognised_properties_are_rejected_before_anything_is_written(
    pinot: FakePinot, controller: PinotController
) -> None:
    outcome = apply_table(controller, {**table(), "replicaton": "3"})

    assert (outcome.result, outcome.reason) == ("Failed", "Rejected")
    assert "nothing was written" in outcome.message
    assert '"/replicaton":"3"' in outcome.message
    assert pinot.tables == {}


def test_a_table_without_instances_for_its_tenant_waits_for_them(
    pinot: FakePinot, controller: PinotController
) -> None:
    config = table()
    config["tenants"]["server"] = "analytics"

    outcome = apply_table(controller, config)

    # Retried (hooks.resources.retry): the tenant may be created a moment later.
    assert (outcome.result, outcome.reason, outcome.httpStatus) == ("Failed", "InsufficientInstances", 400)
    assert "Failed to find instances with tag: analytics_OFFLINE" in outcome.message


def test_reload_after_an_update(pinot: FakePinot, controller: PinotController) -> None:
    apply_table(controller, table())
    config = table()
    config["tableIndexConfig"]["invertedIndexColumns"] = ["id"]

    outcome = apply_table(controller, config, reload=True)

    assert (outcome.result, outcome.reason) == ("Succeeded", "Updated")
    assert pinot.reloads == ["events_OFFLINE"]
    reload = pinot.calls("POST", "/segments/events/reload")[0]
    assert reload.url.params["type"] == "OFFLINE"
    assert "segment reload started" in outcome.message


@pytest.mark.parametrize("change", [False, True], ids=["unchanged", "created"])
def test_no_reload_without_an_update(pinot: FakePinot, controller: PinotController, change: bool) -> None:
    if not change:
        apply_table(controller, table())

    apply_table(controller, table(), reload=True)

    assert pinot.reloads == []


def test_a_failed_reload_fails_the_outcome_and_says_the_update_happened(
    pinot: FakePinot, controller: PinotController
) -> None:
    apply_table(controller, table())
    pinot.fail_next(10, status=500, path="/segments")

    outcome = apply_table(controller, table(replication="2"), reload=True)

    assert (outcome.result, outcome.reason, outcome.httpStatus) == ("Failed", "PinotError", 500)
    assert outcome.message.startswith("Table config updated for events")
    assert "reloading its segments failed: injected fault: HTTP 500" in outcome.message


def test_a_table_created_meanwhile_is_compared_instead_of_failing(
    pinot: FakePinot, controller: PinotController
) -> None:
    apply_table(controller, table())
    pinot.fail_next(1, status=404, method="GET", path="/tables")  # our read misses it; the create answers 409

    outcome = apply_table(controller, table())

    assert (outcome.result, outcome.reason) == ("Succeeded", "Unchanged")
    assert [r.method for r in pinot.requests if r.url.path == "/tables"] == ["POST", "POST"]


@pytest.mark.parametrize(
    ("document", "message"),
    [
        pytest.param({"tableType": "OFFLINE"}, "no tableName", id="no name"),
        pytest.param({"tableName": "events"}, "needs a type", id="no type"),
        pytest.param({"tableName": "events", "tableType": "HYBRID"}, "OFFLINE or REALTIME", id="bad type"),
        pytest.param(
            {"tableName": "events_REALTIME", "tableType": "OFFLINE"},
            "ends in _REALTIME",
            id="suffix disagrees",
        ),
        pytest.param("events", "JSON object", id="not an object"),
    ],
)
def test_invalid_documents_never_reach_pinot(
    pinot: FakePinot, controller: PinotController, document: object, message: str
) -> None:
    before = len(pinot.requests)

    outcome = apply_table(controller, document)

    assert (outcome.result, outcome.reason) == ("Failed", "InvalidInput")
    assert message in outcome.message
    assert len(pinot.requests) == before


@pytest.mark.parametrize(
    ("name", "kind", "expected"),
    [
        ("events", "offline", TableName("events", "OFFLINE")),
        ("events_REALTIME", None, TableName("events", "REALTIME")),
        ("events_REALTIME", "REALTIME", TableName("events", "REALTIME")),
        ("my_OFFLINE_events", "REALTIME", TableName("my_OFFLINE_events", "REALTIME")),
    ],
)
def test_table_names(name: str, kind: str | None, expected: TableName) -> None:
    assert table_name(name, kind) == expected


def test_delete_requires_a_type_that_agrees_with_the_name(
    pinot: FakePinot, controller: PinotController
) -> None:
    before = len(pinot.requests)

    outcome = delete_table(controller, "events_REALTIME", "OFFLINE")

    assert (outcome.result, outcome.reason) == ("Failed", "InvalidInput")
    assert len(pinot.requests) == before


def test_only_this_half_is_read_even_when_pinot_answers_with_both(pinot: FakePinot) -> None:
    """Older controllers may ignore `?type=` and answer with every half that exists."""

    def ignoring_type(request: httpx.Request) -> httpx.Response:
        url = request.url.copy_remove_param("type") if request.method == "GET" else request.url
        return pinot.handle(
            httpx.Request(request.method, url, headers=request.headers, content=request.content)
        )

    controller = PinotController(
        httpx.Client(transport=httpx.MockTransport(ignoring_type)), "http://pinot:9000"
    )
    apply_table(controller, table("REALTIME"))

    outcome = apply_table(controller, table("OFFLINE"))

    assert (outcome.result, outcome.reason) == ("Succeeded", "Created")
    assert set(pinot.tables) == {("events", "OFFLINE"), ("events", "REALTIME")}
