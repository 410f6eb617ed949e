"""The outcome line: what the hooks read back from the Job's termination message."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hooks.pinotapi.outcome import FAILURE_REASONS, SUCCESS_REASONS, TERMINATION_MESSAGE_LIMIT, Outcome


def test_the_line_is_compact_sorted_json_with_the_documented_keys() -> None:
    outcome = Outcome.failed("IncompatibleSchema", "events", "Backward incompatible schema events", 400)

    assert outcome.to_line() == (
        '{"httpStatus":400,"message":"Backward incompatible schema events",'
        '"pinotName":"events","reason":"IncompatibleSchema","result":"Failed"}'
    )


def test_a_line_reads_back_into_the_same_outcome() -> None:
    outcome = Outcome.succeeded("Unchanged", "events_OFFLINE", "Pinot already holds this table config", 200)

    assert Outcome.from_line(outcome.to_line()) == outcome


@pytest.mark.parametrize("reason", sorted(SUCCESS_REASONS))
def test_success_reasons_cannot_be_reported_as_failures(reason: str) -> None:
    with pytest.raises(ValueError, match="does not belong"):
        Outcome("Failed", reason, "", None, "x")  # type: ignore[arg-type]


@pytest.mark.parametrize("reason", sorted(FAILURE_REASONS))
def test_failure_reasons_cannot_be_reported_as_successes(reason: str) -> None:
    with pytest.raises(ValueError, match="does not belong"):
        Outcome("Succeeded", reason, "", None, "x")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("outcome", "exit_code"),
    [
        (Outcome.succeeded("Created", "events", "ok", 200), 0),
        (Outcome.failed("PinotError", "events", "boom", 500), 1),
    ],
)
def test_exit_code_follows_the_result(outcome: Outcome, exit_code: int) -> None:
    assert outcome.exit_code == exit_code


def test_a_huge_pinot_message_is_truncated_to_fit_the_termination_log() -> None:
    huge = "java.lang.IllegalStateException: " + 'é"\\\n\x00' * 50_000
    line = Outcome.failed("PinotError", "events", huge, 500).to_line()

    assert len(line.encode()) <= TERMINATION_MESSAGE_LIMIT
    parsed = json.loads(line)
    assert parsed["message"].startswith("java.lang.IllegalStateException: é")
    assert parsed["message"].endswith("[truncated]")
    assert (parsed["reason"], parsed["httpStatus"], parsed["pinotName"]) == ("PinotError", 500, "events")


@given(message=st.text(max_size=20_000), name=st.text(max_size=1_000))
def test_any_message_gives_one_valid_json_line_within_the_limit(message: str, name: str) -> None:
    line = Outcome.failed("PinotError", name, message, 500).to_line()

    assert "\n" not in line
    assert len(line.encode()) <= TERMINATION_MESSAGE_LIMIT
    parsed = json.loads(line)
    kept = parsed["message"].removesuffix(" …[truncated]")
    assert message.encode("utf-8", "replace").decode().startswith(kept)


def test_a_message_that_fits_is_kept_whole() -> None:
    message = "x" * 3000

    assert json.loads(Outcome.failed("PinotError", "t", message, 500).to_line())["message"] == message
