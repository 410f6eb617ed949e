"""Invariants over arbitrary documents: a run's name is a function of the document, nothing else."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from hooks import jsonio
from tests.resources.builders import parent, sync, the_job

JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**31), 2**31) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=8,
)
EXTRA = st.dictionaries(st.text(min_size=1, max_size=8).filter(lambda k: k != "schemaName"), JSON, max_size=4)
NAMES = st.from_regex(r"[a-z][a-z0-9-]{0,44}", fullmatch=True).filter(lambda n: not n.endswith("-"))


def schema_job(extra: dict[str, Any], name: str = "events") -> str:
    obj = parent("PinotSchema", name=name)
    obj["spec"]["schema"] = {**extra, "schemaName": "events"}
    body = sync(obj)
    assert jsonio.dumps(body) == jsonio.dumps(sync(obj))
    return str(the_job(body)["metadata"]["name"])


@settings(max_examples=60, deadline=None)
@given(EXTRA, EXTRA)
def test_equal_documents_share_a_run_and_different_ones_never_do(
    a: dict[str, Any], b: dict[str, Any]
) -> None:
    same = jsonio.dumps(a) == jsonio.dumps(b)
    assert (schema_job(a) == schema_job(b)) == same


@settings(max_examples=60, deadline=None)
@given(NAMES, EXTRA)
def test_every_allowed_name_gives_valid_job_names(name: str, extra: dict[str, Any]) -> None:
    job = schema_job(extra, name)
    assert len(job) <= 63
    assert job.startswith(f"{name}-")
