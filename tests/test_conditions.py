"""Condition timestamps are written as the API server stores them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from hooks.conditions import rfc3339

zones = st.sampled_from([UTC, timezone(timedelta(hours=2)), timezone(timedelta(hours=-9, minutes=-30))])


@given(st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=zones))
def test_a_moment_is_written_in_utc_to_the_second(moment: datetime) -> None:
    assert rfc3339(moment) == moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_the_fraction_of_a_second_is_dropped_not_rounded() -> None:
    assert rfc3339(datetime(2026, 12, 3, 23, 59, 59, 999_999, tzinfo=UTC)) == "2026-12-03T23:59:59Z"
    assert rfc3339(datetime(1969, 12, 31, 23, 59, 59, 500_000, tzinfo=UTC)) == "1969-12-31T23:59:59Z"
    first = datetime(1, 1, 1, 0, 0, 0, 1, tzinfo=UTC)
    assert rfc3339(first) == first.strftime("%Y-%m-%dT%H:%M:%SZ")
