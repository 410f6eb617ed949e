"""Fixtures for the simulator tests.

`sim` is a fresh simulation with every invariant of `invariants` checked after each sync;
`make_sim(...)` builds one with other options (readiness, hook version, seed). Property tests
take their example count from `examples(n)`: set `PINOT_SIM_EXAMPLES` for longer runs, e.g.
`PINOT_SIM_EXAMPLES=200 .venv/bin/pytest tests/sim/test_properties.py`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.sim import invariants
from tests.sim.world import Simulation

MakeSim = Callable[..., Simulation]


@pytest.fixture
def make_sim() -> Iterator[MakeSim]:
    made: list[Simulation] = []

    def make(*, checks: bool = True, **kwargs: Any) -> Simulation:
        sim = Simulation(**kwargs)
        if checks:
            invariants.install(sim)
        made.append(sim)
        return sim

    yield make
    for sim in made:
        sim.close()


@pytest.fixture
def sim(make_sim: MakeSim) -> Simulation:
    return make_sim()
