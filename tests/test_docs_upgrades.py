"""docs/upgrades.md says what the code does: the known steps, plugins, annotations and reasons it names."""

from __future__ import annotations

import re
from pathlib import Path

from hooks.cluster import naming, upgrade
from hooks.cluster.known_steps import KNOWN_STEPS, PLUGINS, PLUGINS_STEP
from hooks.cluster.spec import Role
from hooks.cluster.upgrade_status import PLURAL

DOC = (Path(__file__).resolve().parents[1] / "docs" / "upgrades.md").read_text()


def table_rows(heading: str) -> list[str]:
    section = DOC.split(heading, 1)[1].split("\n## ", 1)[0]
    return [line for line in section.splitlines() if line.startswith("| `")]


def test_every_known_step_and_plugin_has_its_row() -> None:
    rows = table_rows("## Known steps between releases")
    assert [row.split("`")[1] for row in rows] == [step.name for step in KNOWN_STEPS] + [PLUGINS_STEP]
    plugins = rows[-1]
    for plugin in PLUGINS:
        assert f"`{plugin}`" in plugins, plugin
    for step in KNOWN_STEPS:
        row = next(r for r in rows if r.startswith(f"| `{step.name}`"))
        assert str(step.old) in row and str(step.new) in row, step.name


def test_the_refusals_and_annotations_are_the_ones_the_code_uses() -> None:
    rows = table_rows("## Refused changes")
    assert [row.split("`")[1] for row in rows] == [
        upgrade.UNKNOWN,
        upgrade.JUMP,
        upgrade.MIXED,
        upgrade.REFUSED_STEP,
    ]
    for name in (
        upgrade.ALLOW_JUMP_ANNOTATION,
        upgrade.SKIP_STEPS_ANNOTATION,
        naming.PINOT_VERSION_ANNOTATION,
        naming.RUNNING_VERSIONS_ANNOTATION,
    ):
        assert f"`{name}" in DOC, name


def test_the_phases_are_named_in_the_order_they_come() -> None:
    up = [f"Upgrading{PLURAL[role]}" for role in upgrade.UP_ORDER]
    down = [f"RollingBack{PLURAL[role]}" for role in upgrade.DOWN_ORDER]
    assert (
        ", ".join(f"`{r}`" for r in ["PreparingServers", *up]).replace(
            "`PreparingServers`", "`PreparingServers` (if a known step asks)"
        )
        in DOC
    )
    assert ", ".join(f"`{r}`" for r in down) in DOC
    assert set(PLURAL) == set(Role)


def test_the_timings_table_has_both_directions_and_the_control() -> None:
    rows = [r for r in DOC.split("## Measured", 1)[1].splitlines() if r.startswith(("| 0", "| 1"))]
    assert [r.split("|")[1].strip() for r in rows][:2] == ["0.11.0 -> 1.3.0", "1.3.0 -> 0.11.0"]
    assert all(re.search(r"\| \d+ s", r) for r in rows) and "skip-known-steps" in rows[2]
