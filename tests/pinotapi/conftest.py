"""Fixtures for the Pinot apply engine: an in-memory controller and a client that never sleeps."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

# `tests.support` lives beside the package; make the repository root importable however pytest is run.
_ROOT = str(Path(__file__).resolve().parents[2])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from hooks.pinotapi.client import PinotController, RetryPolicy  # noqa: E402
from tests.support.fake_pinot import FakePinot  # noqa: E402

CONTROLLER_URL = "http://pinot-controller.pinot.svc:9000"


@pytest.fixture
def pinot() -> FakePinot:
    return FakePinot()


@pytest.fixture
def sleeps() -> list[float]:
    """Every wait the client asked for, in order (nothing actually sleeps)."""
    return []


@pytest.fixture
def http(pinot: FakePinot) -> Iterator[httpx.Client]:
    with httpx.Client(transport=pinot.transport()) as client:
        yield client


@pytest.fixture
def controller(http: httpx.Client, sleeps: list[float]) -> PinotController:
    return PinotController(http, CONTROLLER_URL, retry=RetryPolicy(retries=3), sleep=sleeps.append)
