"""Applying and deleting tenants: instance counts over tags, with Pinot's untagged pool."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from hooks.pinotapi.client import PinotController, RetryPolicy
from hooks.pinotapi.schemas import apply_schema
from hooks.pinotapi.tables import apply_table
from hooks.pinotapi.tenants import apply_tenant, delete_tenant
from tests.support.fake_pinot import FakePinot

from .documents import broker_tenant, schema, server_tenant, table


@pytest.fixture
def pinot() -> FakePinot:
    """A cluster without tenant isolation: three brokers and four servers waiting untagged."""
    return FakePinot(brokers=3, servers=4, tenant_isolation=False)


@pytest.fixture
def http(pinot: FakePinot) -> Iterator[httpx.Client]:
    with httpx.Client(transport=pinot.transport()) as client:
        yield client


@pytest.mark.parametrize(
    ("document", "tags"),
    [
        pytest.param(broker_tenant(instances=2), {"analytics_BROKER": 2}, id="broker"),
        pytest.param(
            server_tenant(instances=2, offline=1, realtime=1),
            {"analytics_OFFLINE": 1, "analytics_REALTIME": 1},
            id="server, separate",
        ),
        pytest.param(
            server_tenant(instances=2, offline=2, realtime=2),
            {"analytics_OFFLINE": 2, "analytics_REALTIME": 2},
            id="server, co-located",
        ),
    ],
)
def test_an_absent_tenant_is_created_from_untagged_instances(
    pinot: FakePinot, controller: PinotController, document: dict[str, object], tags: dict[str, int]
) -> None:
    outcome = apply_tenant(controller, document)

    assert (outcome.result, outcome.reason, outcome.pinotName) == ("Succeeded", "Created", "analytics")
    assert outcome.message.startswith("Successfully created tenant")
    assert {tag: len(pinot.tagged(tag)) for tag in tags} == tags


@pytest.mark.parametrize(
    "document",
    [
        pytest.param(broker_tenant(), id="broker"),
        pytest.param(server_tenant(), id="server"),
        pytest.param(server_tenant(instances=3, offline=2, realtime=2), id="co-located"),
        pytest.param(server_tenant(instances=4, offline=1, realtime=1), id="more instances than tags"),
    ],
)
def test_the_same_tenant_again_is_unchanged_and_never_posted_twice(
    pinot: FakePinot, controller: PinotController, document: dict[str, object]
) -> None:
    apply_tenant(controller, document)
    tags_before = {name: set(tags) for name, tags in pinot.instances.items()}

    outcome = apply_tenant(controller, document)

    assert (outcome.result, outcome.reason) == ("Succeeded", "Unchanged")
    assert len(pinot.calls("POST", "/tenants")) == 1
    assert pinot.calls("PUT") == []
    assert pinot.instances == tags_before


@pytest.mark.parametrize(
    ("before", "after", "tag", "count"),
    [
        pytest.param(
            broker_tenant(instances=1), broker_tenant(instances=3), "analytics_BROKER", 3, id="grow broker"
        ),
        pytest.param(
            broker_tenant(instances=3), broker_tenant(instances=1), "analytics_BROKER", 1, id="shrink broker"
        ),
        pytest.param(
            server_tenant(instances=2, offline=1, realtime=1),
            server_tenant(instances=4, offline=2, realtime=2),
            "analytics_OFFLINE",
            2,
            id="grow server",
        ),
    ],
)
def test_a_different_size_is_an_update(
    pinot: FakePinot,
    controller: PinotController,
    before: dict[str, object],
    after: dict[str, object],
    tag: str,
    count: int,
) -> None:
    apply_tenant(controller, before)

    outcome = apply_tenant(controller, after)

    assert (outcome.result, outcome.reason) == ("Succeeded", "Updated")
    assert "resized from" in outcome.message
    assert len(pinot.tagged(tag)) == count
    assert len(pinot.calls("PUT", "/tenants")) == 1


@pytest.mark.parametrize(
    "document",
    [
        pytest.param(broker_tenant(instances=5), id="broker"),
        pytest.param(server_tenant(instances=5, offline=3, realtime=2), id="server"),
    ],
)
def test_too_few_untagged_instances_is_reported_plainly_with_pinots_words(
    pinot: FakePinot, controller: PinotController, sleeps: list[float], document: dict[str, object]
) -> None:
    outcome = apply_tenant(controller, document)

    assert (outcome.result, outcome.reason, outcome.httpStatus) == ("Failed", "InsufficientInstances", 500)
    assert outcome.message.startswith("not enough untagged ")
    assert outcome.message.endswith("(Pinot: Failed to create tenant)")
    assert len(pinot.calls("POST", "/tenants")) == 4  # the normal budget: first try plus 3 retries, no more
    assert len(sleeps) == 3


def test_too_few_instances_to_grow_is_insufficient_too(pinot: FakePinot, controller: PinotController) -> None:
    apply_tenant(controller, broker_tenant(instances=2))

    outcome = apply_tenant(controller, broker_tenant(instances=4))

    assert (outcome.reason, outcome.httpStatus) == ("InsufficientInstances", 500)
    assert "(Pinot: Failed to update tenant)" in outcome.message
    assert len(pinot.tagged("analytics_BROKER")) == 2


def test_switching_between_co_located_and_separate_is_refused_before_asking_pinot(
    pinot: FakePinot, controller: PinotController
) -> None:
    apply_tenant(controller, server_tenant(instances=2, offline=2, realtime=2))

    outcome = apply_tenant(controller, server_tenant(instances=4, offline=2, realtime=2))

    assert (outcome.result, outcome.reason) == ("Failed", "Rejected")
    assert "co-located" in outcome.message
    assert pinot.calls("PUT") == []


def test_a_tenant_created_by_pinot_itself_is_adopted_not_recreated() -> None:
    pinot = FakePinot(brokers=2, servers=2, tenant_isolation=True)  # DefaultTenant exists from the start
    controller = PinotController(httpx.Client(transport=pinot.transport()), "http://pinot:9000")

    outcome = apply_tenant(controller, server_tenant("DefaultTenant", instances=2, offline=2, realtime=2))

    assert outcome.reason == "Unchanged"
    assert pinot.calls("POST") == []


def test_a_lost_answer_to_a_create_is_not_repeated(pinot: FakePinot, sleeps: list[float]) -> None:
    """Repeating POST /tenants after a success would tag a second batch of instances."""
    pinot.drop_next(1, error=httpx.ReadTimeout, method="POST")
    controller = PinotController(
        httpx.Client(transport=pinot.transport()),
        "http://pinot:9000",
        retry=RetryPolicy(3),
        sleep=sleeps.append,
    )

    outcome = apply_tenant(controller, broker_tenant(instances=1))

    assert (outcome.result, outcome.reason) == ("Failed", "Unreachable")
    assert len(pinot.calls("POST", "/tenants")) == 1


@pytest.mark.parametrize(
    ("document", "message"),
    [
        pytest.param({"tenantRole": "BROKER", "numberOfInstances": 1}, "no tenantName", id="no name"),
        pytest.param(
            {"tenantName": "t", "tenantRole": "MINION", "numberOfInstances": 1}, "SERVER or BROKER", id="role"
        ),
        pytest.param({"tenantName": "t", "tenantRole": "BROKER"}, "numberOfInstances", id="no count"),
        pytest.param(
            {"tenantName": "t", "tenantRole": "BROKER", "numberOfInstances": 0}, "at least 1", id="zero"
        ),
        pytest.param(
            {"tenantName": "t", "tenantRole": "BROKER", "numberOfInstances": True}, "whole", id="bool"
        ),
        pytest.param(
            {"tenantName": "t", "tenantRole": "SERVER", "numberOfInstances": 2},
            "offlineInstances",
            id="untagged",
        ),
    ],
)
def test_invalid_tenants_never_reach_pinot(
    pinot: FakePinot, controller: PinotController, document: dict[str, object], message: str
) -> None:
    outcome = apply_tenant(controller, document)

    assert (outcome.result, outcome.reason) == ("Failed", "InvalidInput")
    assert message in outcome.message
    assert pinot.requests == []


def test_counts_may_be_quoted_as_in_pinots_examples(pinot: FakePinot, controller: PinotController) -> None:
    outcome = apply_tenant(controller, {"tenantRole": "broker", "tenantName": "t", "numberOfInstances": "2"})

    assert outcome.reason == "Created"
    assert len(pinot.tagged("t_BROKER")) == 2


@pytest.mark.parametrize(
    ("document", "role", "untagged"), [(broker_tenant(), "BROKER", 3), (server_tenant(), "SERVER", 4)]
)
def test_delete_returns_instances_to_the_untagged_pool(
    pinot: FakePinot, controller: PinotController, document: dict[str, object], role: str, untagged: int
) -> None:
    apply_tenant(controller, document)

    outcome = delete_tenant(controller, "analytics", role)

    assert (outcome.result, outcome.reason) == ("Succeeded", "Deleted")
    assert pinot.calls("DELETE")[0].url.params["type"] == role
    assert len(pinot.tagged(f"{role.lower()}_untagged")) == untagged


def test_deleting_an_absent_tenant_is_already_absent(pinot: FakePinot, controller: PinotController) -> None:
    outcome = delete_tenant(controller, "analytics", "SERVER")

    assert (outcome.result, outcome.reason, outcome.httpStatus) == ("Succeeded", "AlreadyAbsent", 404)
    assert pinot.calls("DELETE") == []


def test_a_tenant_a_table_uses_is_not_deleted(pinot: FakePinot, controller: PinotController) -> None:
    apply_tenant(controller, broker_tenant())
    apply_tenant(controller, server_tenant())
    apply_schema(controller, schema())
    config = table()
    config["tenants"] = {"broker": "analytics", "server": "analytics"}
    assert apply_table(controller, config).reason == "Created"

    outcome = delete_tenant(controller, "analytics", "BROKER")

    assert (outcome.result, outcome.reason, outcome.httpStatus) == ("Failed", "Rejected", 400)
    assert outcome.message == "Broker tenant is not null, can not delete it"
    assert len(pinot.tagged("analytics_BROKER")) == 2
