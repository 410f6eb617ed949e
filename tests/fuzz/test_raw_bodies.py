"""Hostile bodies beyond the published schema, straight into the ASGI app.

Every answer is 200, 422 or 413 (never a 5xx, never a hang), a 200 has the success shape and
no error, and a 200 for a spec that cannot be valid says InvalidSpec.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import assume, currently_in_test_context, event, given
from hypothesis import strategies as st

from hooks.app import create_app
from tests.cluster.builders import NOW
from tests.fuzz.asgi import AsgiClient
from tests.fuzz.budget import MAX_BODY_BYTES, fuzz_settings
from tests.fuzz.checks import BadAnswer, check_answer, finalizing_of, reports_invalid_spec
from tests.fuzz.strategies import (
    OBSERVING_TARGETS,
    SYNC_TARGETS,
    TARGETS,
    Case,
    Target,
    broken_specs,
    hostile_anywhere,
    hostile_observed,
    hostile_specs,
    invalid_names,
    raw_bodies,
)

pytestmark = pytest.mark.fuzz
ANSWERS = frozenset({200, 413, 422})


@pytest.fixture(scope="module")
def client() -> Iterator[AsgiClient]:
    app_client = AsgiClient(create_app(clock=lambda: NOW, max_body_bytes=MAX_BODY_BYTES))
    yield app_client
    app_client.close()


def answer(client: AsgiClient, target: Target, body: bytes, finalizing: bool = False) -> tuple[int, object]:
    reply = client.post(target.path, body)
    if reply.escaped is not None:
        raise BadAnswer(f"exception escaped the app: {reply.escaped}")
    document = check_answer(
        target.hook, reply.status, reply.headers, reply.body, finalizing=finalizing, allowed=ANSWERS
    )
    if currently_in_test_context():
        event(f"{target.hook} answered {reply.status}")
    if len(body) > MAX_BODY_BYTES and reply.status != 413:
        raise BadAnswer(f"{len(body)}-byte body over the {MAX_BODY_BYTES}-byte limit got {reply.status}")
    return reply.status, document


def answer_case(client: AsgiClient, case: Case) -> None:
    status, document = answer(client, case.target, case.body, case.finalizing)
    if status == 200 and case.spec_broken and not case.finalizing and case.target.hook == "sync":
        assert isinstance(document, dict)
        if not reports_invalid_spec(document):
            raise BadAnswer(f"200 for an invalid spec without an InvalidSpec condition: {document['status']}")


def per_target(total: int, targets: list[Target]) -> int:
    return max(1, total // len(targets))


@pytest.mark.parametrize("target", TARGETS, ids=[t.path for t in TARGETS])
@fuzz_settings(per_target(600, TARGETS))
@given(data=st.data())
def test_a_hostile_spec_is_answered_never_with_a_5xx(
    client: AsgiClient, target: Target, data: st.DataObject
) -> None:
    answer_case(client, data.draw(hostile_specs(target), label="case"))


@pytest.mark.parametrize("target", SYNC_TARGETS, ids=[t.path for t in SYNC_TARGETS])
@fuzz_settings(per_target(250, SYNC_TARGETS))
@given(data=st.data())
def test_a_spec_missing_a_required_field_says_invalid_spec(
    client: AsgiClient, target: Target, data: st.DataObject
) -> None:
    case = data.draw(broken_specs(target), label="case")
    assume(case.spec_broken)  # a later mutation may have made the field a string again
    answer_case(client, case)


@pytest.mark.parametrize("target", SYNC_TARGETS, ids=[t.path for t in SYNC_TARGETS])
@fuzz_settings(per_target(200, SYNC_TARGETS))
@given(data=st.data())
def test_a_name_label_or_image_kubernetes_or_pinot_refuses_says_invalid_spec(
    client: AsgiClient, target: Target, data: st.DataObject
) -> None:
    answer_case(client, data.draw(invalid_names(target), label="case"))


@pytest.mark.parametrize("target", OBSERVING_TARGETS, ids=[t.path for t in OBSERVING_TARGETS])
@fuzz_settings(per_target(600, OBSERVING_TARGETS))
@given(data=st.data())
def test_hostile_children_and_related_are_answered_never_with_a_5xx(
    client: AsgiClient, target: Target, data: st.DataObject
) -> None:
    answer_case(client, data.draw(hostile_observed(target), label="case"))


@pytest.mark.parametrize("target", TARGETS, ids=[t.path for t in TARGETS])
@fuzz_settings(per_target(400, TARGETS))
@given(data=st.data())
def test_hostile_metadata_status_and_controller_are_answered_never_with_a_5xx(
    client: AsgiClient, target: Target, data: st.DataObject
) -> None:
    answer_case(client, data.draw(hostile_anywhere(target), label="case"))


@pytest.mark.parametrize("target", TARGETS, ids=[t.path for t in TARGETS])
@fuzz_settings(per_target(600, TARGETS))
@given(data=st.data())
def test_arbitrary_bytes_are_answered_never_with_a_5xx(
    client: AsgiClient, target: Target, data: st.DataObject
) -> None:
    body = data.draw(raw_bodies(target), label="body")
    answer(client, target, body, finalizing_of(body))


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 100_000,
        b"[" * 100_000 + b"]" * 100_000,
        b'{"a":' * 100_000 + b"1" + b"}" * 100_000,
        b'{"parent":' * 50_000,
        b'{"parent": {"apiVersion": "v", "kind": "K", "metadata": {"name": "n"}, "spec": '
        + b"[" * 100_000
        + b"]" * 100_000
        + b"}}",
    ],
    ids=["open-brackets", "closed-brackets", "objects", "parents", "deep-spec"],
)
@pytest.mark.parametrize("target", TARGETS, ids=[t.path for t in TARGETS])
def test_extreme_nesting_gets_422(client: AsgiClient, target: Target, body: bytes) -> None:
    status, _ = answer(client, target, body)
    assert status == 422


@fuzz_settings(150)
@given(st.sampled_from(TARGETS), st.data())
def test_the_body_limit_holds_whatever_the_chunks_and_the_declared_length(
    client: AsgiClient, target: Target, data: st.DataObject
) -> None:
    size = data.draw(
        st.integers(0, 2 * MAX_BODY_BYTES) | st.sampled_from([MAX_BODY_BYTES + d for d in (-1, 0, 1)])
    )
    declared = data.draw(
        st.sampled_from([True, False]) | st.integers(0, 3 * MAX_BODY_BYTES), label="declared"
    )
    chunks = data.draw(st.lists(st.integers(1, MAX_BODY_BYTES), max_size=6), label="chunks")
    reply = client.post(target.path, b" " * size, content_length=declared, chunks=chunks)
    check_answer(target.hook, reply.status, reply.headers, reply.body, allowed=frozenset({413, 422}))
    over = size > MAX_BODY_BYTES or (not isinstance(declared, bool) and declared > MAX_BODY_BYTES)
    assert (reply.status == 413) == over, (size, declared, reply.status)
