"""The HTTP layer: timeouts on every call, retries only where they may help, Pinot's words kept."""

from __future__ import annotations

import httpx
import pytest

from hooks.pinotapi.client import ControllerUnreachable, PinotController, Reply, RetryPolicy, UnsafePath
from tests.support.fake_pinot import FakePinot

from .conftest import CONTROLLER_URL


def scripted(
    *answers: httpx.Response | type[httpx.TransportError],
) -> tuple[httpx.MockTransport, list[httpx.Request]]:
    """A transport that plays `answers` in order (an exception class is raised) and records requests."""
    seen: list[httpx.Request] = []
    queue = list(answers)

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        answer = queue.pop(0)
        if isinstance(answer, httpx.Response):
            return answer
        raise answer("scripted", request=request)

    return httpx.MockTransport(handle), seen


def controller_over(
    transport: httpx.BaseTransport, sleeps: list[float], retries: int = 3, **options: object
) -> PinotController:
    return PinotController(
        httpx.Client(transport=transport),
        CONTROLLER_URL,
        retry=RetryPolicy(retries=retries),
        sleep=sleeps.append,
        **options,  # type: ignore[arg-type]
    )


def test_5xx_is_retried_with_exponential_backoff(pinot: FakePinot, sleeps: list[float]) -> None:
    pinot.fail_next(3, status=503)
    controller = controller_over(pinot.transport(), sleeps, retries=4)

    reply = controller.get(("schemas", "events"))

    assert reply.status == 404  # the fourth attempt reached the (empty) controller
    assert len(pinot.requests) == 4
    assert sleeps == [0.5, 1.0, 2.0]


def test_backoff_is_capped() -> None:
    policy = RetryPolicy(retries=10, base_delay=1, max_delay=5)

    assert [policy.delay(n) for n in range(5)] == [1, 2, 4, 5, 5]


@pytest.mark.parametrize(
    "error", [httpx.ConnectError, httpx.ConnectTimeout, httpx.ReadTimeout, httpx.ReadError]
)
def test_transport_errors_are_retried_for_idempotent_requests(
    pinot: FakePinot, sleeps: list[float], error: type[httpx.TransportError]
) -> None:
    pinot.drop_next(2, error=error)
    controller = controller_over(pinot.transport(), sleeps)

    assert controller.get(("schemas", "events")).status == 404
    assert len(pinot.requests) == 3
    assert sleeps == [0.5, 1.0]


def test_when_every_attempt_fails_the_controller_is_unreachable(
    pinot: FakePinot, sleeps: list[float]
) -> None:
    pinot.drop_next(10, error=httpx.ConnectError)
    controller = controller_over(pinot.transport(), sleeps, retries=2)

    with pytest.raises(ControllerUnreachable, match=r"after 3 attempt\(s\): ConnectError"):
        controller.get(("schemas", "events"))
    assert len(pinot.requests) == 3


def test_when_every_attempt_answers_5xx_the_last_answer_is_returned(
    pinot: FakePinot, sleeps: list[float]
) -> None:
    pinot.fail_next(10, status=500)
    controller = controller_over(pinot.transport(), sleeps, retries=2)

    reply = controller.get(("schemas", "events"))

    assert (reply.status, reply.message) == (500, "injected fault: HTTP 500")
    assert len(pinot.requests) == 3


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409])
def test_4xx_is_never_retried(status: int, sleeps: list[float]) -> None:
    transport, seen = scripted(httpx.Response(status, json={"code": status, "error": "no"}))

    reply = controller_over(transport, sleeps).post(("tables",), {"tableName": "x"}, idempotent=True)

    assert reply.status == status
    assert len(seen) == 1
    assert sleeps == []


def test_a_lost_answer_to_a_non_idempotent_request_is_not_repeated(sleeps: list[float]) -> None:
    transport, seen = scripted(httpx.ReadTimeout, httpx.Response(200, json={"status": "ok"}))

    with pytest.raises(ControllerUnreachable, match="ReadTimeout"):
        controller_over(transport, sleeps).post(("tenants",), {"tenantName": "t"}, idempotent=False)
    assert len(seen) == 1


@pytest.mark.parametrize("error", [httpx.ConnectError, httpx.ConnectTimeout])
def test_a_non_idempotent_request_that_never_connected_is_repeated(
    sleeps: list[float], error: type[httpx.TransportError]
) -> None:
    transport, seen = scripted(error, httpx.Response(200, json={"status": "Successfully created tenant"}))

    reply = controller_over(transport, sleeps).post(("tenants",), {"tenantName": "t"}, idempotent=False)

    assert reply.ok
    assert len(seen) == 2


def test_every_request_carries_the_configured_timeouts(pinot: FakePinot, sleeps: list[float]) -> None:
    pinot.fail_next(1, status=502)
    controller = controller_over(pinot.transport(), sleeps, timeout=3.5)

    controller.get(("schemas", "events"))
    controller.post(("tables", "validate"), {"tableName": "x"}, idempotent=True)
    controller.put(("schemas", "events"), {"schemaName": "events"})
    controller.delete(("schemas", "events"))

    assert len(pinot.requests) == 5
    for request in pinot.requests:
        assert request.extensions["timeout"] == {"connect": 3.5, "read": 3.5, "write": 3.5, "pool": 3.5}


def test_the_default_timeout_is_ten_seconds(pinot: FakePinot, sleeps: list[float]) -> None:
    controller_over(pinot.transport(), sleeps).get("/schemas/events")

    assert pinot.requests[0].extensions["timeout"]["read"] == 10.0
    assert pinot.requests[0].extensions["timeout"]["connect"] == 10.0


def test_basic_auth_is_sent_when_configured(sleeps: list[float]) -> None:
    pinot = FakePinot(users={"admin": "s3cret"})
    controller = controller_over(pinot.transport(), sleeps, auth=("admin", "s3cret"))

    assert controller.get(("schemas", "events")).status == 404
    assert pinot.requests[0].headers["Authorization"] == "Basic YWRtaW46czNjcmV0"


def test_no_authorization_header_without_credentials(pinot: FakePinot, sleeps: list[float]) -> None:
    controller_over(pinot.transport(), sleeps).get("/schemas/events")

    assert "Authorization" not in pinot.requests[0].headers


def recorded() -> tuple[httpx.MockTransport, list[bytes]]:
    """A transport answering 404 that records the exact raw path (with query) of every request."""
    paths: list[bytes] = []

    def handle(request: httpx.Request) -> httpx.Response:
        paths.append(request.url.raw_path)
        return httpx.Response(404, json={"code": 404, "error": "not found"})

    return httpx.MockTransport(handle), paths


@pytest.mark.parametrize(
    ("segments", "params", "raw"),
    [
        (("schemas", "a/../tables?x=1"), {}, b"/schemas/a%2F..%2Ftables%3Fx%3D1"),
        (("tables", "events#x"), {"type": "OFFLINE"}, b"/tables/events%23x?type=OFFLINE"),
        (("tables", "100%"), {}, b"/tables/100%25"),
        (("tenants", "caf\u00e9 bar"), {}, b"/tenants/caf%C3%A9%20bar"),
        (("tables", "..."), {"type": "REALTIME"}, b"/tables/...?type=REALTIME"),
        (("segments", "a;b", "reload"), {}, b"/segments/a%3Bb/reload"),
    ],
)
def test_each_segment_reaches_pinot_exactly_as_encoded(
    segments: tuple[str, ...], params: dict[str, str], raw: bytes, sleeps: list[float]
) -> None:
    transport, paths = recorded()

    controller_over(transport, sleeps).delete(segments, params)

    assert paths == [raw]


@pytest.mark.parametrize("name", [".", "..", ""])
def test_a_path_that_would_be_normalised_is_never_sent(name: str, sleeps: list[float]) -> None:
    transport, paths = recorded()

    with pytest.raises(UnsafePath, match="refusing to send"):
        controller_over(transport, sleeps).delete(("tables", name), {"type": "OFFLINE"})
    assert paths == []


def test_a_base_path_of_the_controller_url_is_kept(sleeps: list[float]) -> None:
    transport, paths = recorded()
    controller = PinotController(
        httpx.Client(transport=transport), "http://gateway:8080/pinot/", sleep=sleeps.append
    )

    controller.get(("schemas", "events"))

    assert paths == [b"/pinot/schemas/events"]


@pytest.mark.parametrize(
    ("response", "message"),
    [
        pytest.param(
            httpx.Response(400, json={"code": 400, "error": "Invalid schema"}), "Invalid schema", id="error"
        ),
        pytest.param(httpx.Response(200, json={"status": "Table x added"}), "Table x added", id="status"),
        pytest.param(
            httpx.Response(200, json={"unrecognizedProperties": {"/a": 1}, "status": "ok"}),
            "ok",
            id="config status",
        ),
        pytest.param(
            httpx.Response(502, text="<html>Bad Gateway</html>"), "<html>Bad Gateway</html>", id="html"
        ),
        pytest.param(httpx.Response(500, json={"unexpected": 1}), '{"unexpected":1}', id="unknown json"),
        pytest.param(httpx.Response(503), "HTTP 503 with an empty body", id="empty"),
    ],
)
def test_pinots_message_is_taken_from_whichever_shape_it_used(response: httpx.Response, message: str) -> None:
    assert Reply.from_response(response).message == message


def test_an_unrecognised_body_is_reported_verbatim_but_truncated() -> None:
    reply = Reply.from_response(httpx.Response(500, text="x" * 10_000))

    assert reply.message.startswith("x" * 2000)
    assert reply.message.endswith("…[truncated]")
    assert len(reply.message) < 2100


def test_unrecognized_properties_are_read_from_config_answers() -> None:
    reply = Reply.from_response(
        httpx.Response(200, json={"unrecognizedProperties": {"/foo": 1}, "status": "ok"})
    )

    assert reply.unrecognized == {"/foo": 1}


def test_an_undecodable_answer_is_reported_once_not_retried(sleeps: list[float]) -> None:
    transport, seen = scripted(
        httpx.Response(200, headers={"Content-Encoding": "gzip"}, stream=httpx.ByteStream(b"not gzip"))
    )

    with pytest.raises(ControllerUnreachable, match="DecodingError"):
        controller_over(transport, sleeps).get("/schemas/events")
    assert len(seen) == 1
