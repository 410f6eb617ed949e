"""Fixtures for the Pinot apply engine: an in-memory controller and a client that never sleeps."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from hooks.pinotapi.client import PinotController, RetryPolicy
from tests.support.fake_pinot import FakePinot

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
