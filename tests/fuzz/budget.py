"""How many cases the fuzz tests run: a few thousand in the unit run, as many as asked for otherwise.

`FUZZ_SCALE` multiplies every test's example count (`make fuzz` sets it; 1 is the unit run's budget).
The settings are local to these tests: no global Hypothesis profile is loaded, so the rest of the
suite keeps its own settings.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, Phase, settings

SCALE = float(os.environ.get("FUZZ_SCALE", "1"))
# Large enough to cross the fuzz app's body limit (see MAX_BODY_BYTES) with multi-byte characters.
HUGE_STRING_CHARS = 400_000
MAX_DEPTH = 400
# The limit of the fuzzed app: smaller than the default so huge strings also meet the 413 path.
MAX_BODY_BYTES = 1024 * 1024


def examples(count: int) -> int:
    return max(1, round(count * SCALE))


def fuzz_settings(count: int) -> settings:
    """`count` cases (scaled), no per-example deadline (each request is bounded by the client's
    own time limit), and no health checks that only complain about large or slow inputs."""
    return settings(
        max_examples=examples(count),
        deadline=None,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.filter_too_much,
            HealthCheck.large_base_example,
        ],
        # No "explain" phase: it re-runs failing cases many times, slow with multi-megabyte bodies.
        phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink],
        print_blob=True,
    )
