"""Schemathesis against the app in-process, driven by the app's own /openapi.json.

Every hook path is fuzzed with bodies that follow the published request schema (positive) and
bodies that break it (negative: wrong types, missing required fields, ...). Whatever comes in,
the answer is no 5xx; a 200 has exactly the success shape and no `error`; anything else is JSON
with an `error` message.
"""

from __future__ import annotations

import concurrent.futures
from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import event, given
from hypothesis import strategies as st
from schemathesis import GenerationMode

from hooks.app import create_app
from tests.cluster.builders import NOW
from tests.fuzz.asgi import TIME_LIMIT_SECONDS
from tests.fuzz.budget import fuzz_settings
from tests.fuzz.checks import check_answer, finalizing_of
from tests.fuzz.strategies import TARGETS, Target

pytestmark = pytest.mark.fuzz

APP = create_app(clock=lambda: NOW)
SCHEMA = schemathesis.openapi.from_asgi("/openapi.json", APP)
MODES = [GenerationMode.POSITIVE, GenerationMode.NEGATIVE]
STRATEGIES = {(t.path, mode): SCHEMA[t.path]["POST"].as_strategy(mode) for t in TARGETS for mode in MODES}


def test_every_hook_path_is_in_the_published_schema() -> None:
    posted = {path for path in SCHEMA if "post" in set(SCHEMA[path])}
    assert posted == {t.path for t in TARGETS}


@pytest.fixture(scope="module")
def calls() -> Iterator[concurrent.futures.ThreadPoolExecutor]:
    with concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="schemathesis") as pool:
        yield pool


@pytest.mark.parametrize("mode", MODES, ids=[m.value for m in MODES])
@pytest.mark.parametrize("target", TARGETS, ids=[t.path for t in TARGETS])
@fuzz_settings(12)
@given(data=st.data())
def test_schema_driven_bodies_get_no_5xx_and_no_200_with_an_error(
    target: Target, mode: GenerationMode, calls: concurrent.futures.ThreadPoolExecutor, data: st.DataObject
) -> None:
    case = data.draw(STRATEGIES[target.path, mode], label="case")
    sent = calls.submit(case.call)
    try:
        response = sent.result(timeout=TIME_LIMIT_SECONDS)
    except concurrent.futures.TimeoutError:
        pytest.fail(f"POST {target.path} got no answer within {TIME_LIMIT_SECONDS} s: {case.body!r:.500}")
    body = response.request.body
    raw = body.encode() if isinstance(body, str) else body if isinstance(body, bytes) else b""
    headers = {name: values[-1] for name, values in response.headers.items()}
    event(f"{mode.value}: {response.status_code}")
    check_answer(target.hook, response.status_code, headers, response.content, finalizing=finalizing_of(raw))
