"""How long property tests run: a modest default, more with `PINOT_SIM_EXAMPLES=<n>`."""

from __future__ import annotations

import os


def examples(default: int) -> int:
    configured = os.environ.get("PINOT_SIM_EXAMPLES", "")
    return int(configured) if configured.isdigit() and int(configured) > 0 else default
