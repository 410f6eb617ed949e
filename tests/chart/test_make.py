"""The Makefile's install and test plumbing: `make image` and the stage timings of `make test`."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import yaml

from tests.support.tools import CHART, ROOT

FAKE_ENGINE = """#!/bin/sh
# A stand-in container engine: answers `info` as configured and records what it is asked to build.
case "$1" in
  info) exit {info_status} ;;
  build) echo "$PWD $*" > "{record}" ;;
esac
"""


def tools_dir(tmp_path: Path) -> Path:
    """A PATH holding only what `make image` needs, so no real engine on this machine is seen."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("make", "bash", "sed", "dirname"):
        found = shutil.which(tool)
        assert found, tool
        (bin_dir / tool).symlink_to(found)
    return bin_dir


def make_image(bin_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["make", "--no-print-directory", "image", *args],
        cwd=ROOT,
        env={**os.environ, "PATH": str(bin_dir)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def fake_engine(bin_dir: Path, name: str, info_status: int) -> Path:
    record = bin_dir.parent / f"{name}.build"
    engine = bin_dir / name
    engine.write_text(FAKE_ENGINE.format(info_status=info_status, record=record))
    engine.chmod(0o755)
    return record


def test_make_image_builds_the_dockerfile_under_the_charts_default_name(tmp_path: Path) -> None:
    bin_dir = tools_dir(tmp_path)
    record = fake_engine(bin_dir, "docker", 0)
    done = make_image(bin_dir)
    assert done.returncode == 0, done.stderr
    chart = yaml.safe_load((CHART / "Chart.yaml").read_text())
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    default = f"{values['image']['repository']}:{chart['appVersion']}"
    assert record.read_text().split() == [str(ROOT), "build", "-t", default, "-f", "Dockerfile", "."]


def test_make_image_takes_the_engine_and_name_given(tmp_path: Path) -> None:
    bin_dir = tools_dir(tmp_path)
    fake_engine(bin_dir, "docker", 0)
    record = fake_engine(bin_dir, "podman", 0)
    done = make_image(bin_dir, "CONTAINER_ENGINE=podman", "IMAGE=registry.example.com/pcp:1.0.0")
    assert done.returncode == 0, done.stderr
    assert record.read_text().split()[1:4] == ["build", "-t", "registry.example.com/pcp:1.0.0"]


def test_make_image_says_why_it_cannot_build(tmp_path: Path) -> None:
    bin_dir = tools_dir(tmp_path)
    record = fake_engine(bin_dir, "docker", 1)
    done = make_image(bin_dir)
    assert done.returncode != 0
    assert not record.exists()
    assert "no container engine to build pinot-control-plane:0.1.0 with" in done.stderr
    assert "docker: installed, but no engine answers" in done.stderr
    assert "podman: not installed" in done.stderr
    assert "Dockerfile" in done.stderr


STAGES = """\
fast:
\t@echo fast ran
slow:
\t@sleep 0.3
busy:
\t@python3 -c "import time; t = time.process_time(); any(time.process_time() - t > 0.3 for _ in iter(int, 1))"
nap:
\t@sleep 1
niceness:
\t@echo "niceness $$(nice)"
broken:
\t@echo breaking; exit 3
"""


def stages(tmp_path: Path, *names: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "Makefile").write_text(STAGES)
    return subprocess.run(
        ["bash", str(ROOT / "tools" / "stages.sh"), "make", *names],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def timings(output: str) -> dict[str, tuple[float, float]]:
    """stage -> (wall, cpu) seconds from the closing table."""
    table = output.split("make test: where the time went\n", 1)[1]
    rows = re.findall(r"^  (\S+) +([0-9.]+) s +([0-9.]+) s", table, re.M)
    return {name: (float(wall), float(cpu)) for name, wall, cpu in rows}


def test_stages_end_with_where_the_time_went(tmp_path: Path) -> None:
    done = stages(tmp_path, "fast", "slow", "busy")
    assert done.returncode == 0
    took = timings(done.stdout)
    assert list(took) == ["fast", "slow", "busy", "total"]
    assert took["slow"][0] >= 0.3 and took["slow"][1] < 0.2  # sleeping is wall time, not CPU
    assert took["busy"][1] >= 0.3 and took["busy"][0] >= took["busy"][1] - 0.05
    assert took["total"][0] >= sum(wall for wall, _ in list(took.values())[:-1]) - 0.1


def test_a_failing_stage_stops_the_run_and_still_reports(tmp_path: Path) -> None:
    done = stages(tmp_path, "fast", "broken", "never")
    assert done.returncode != 0
    assert "never ran" not in done.stdout
    assert "broken" in timings(done.stdout)
    assert "FAILED" in next(line for line in done.stdout.splitlines() if line.strip().startswith("broken"))
    assert "never: not run" in done.stdout


def test_lanes_of_a_step_run_at_the_same_time_and_report_each_target(tmp_path: Path) -> None:
    done = stages(tmp_path, "fast", "nap+nap,niceness", "fast")
    assert done.returncode == 0, done.stdout + done.stderr
    took = timings(done.stdout)
    table = done.stdout.split("make test: where the time went\n", 1)[1]
    walls = [
        float(wall) for name, wall in re.findall(r"^  (\S+) +([0-9.]+) s", table, re.M) if name != "total"
    ]
    # The two one-second naps overlapped: the run took at least half a second less than its stages
    # one after another (whatever a loaded machine adds to each, it adds to both sides).
    assert took["total"][0] < sum(walls) - 0.5, table
    rows = [line.split()[0] for line in done.stdout.split("where the time went\n", 1)[1].splitlines()[1:]]
    assert rows[:5] == ["fast", "nap", "nap", "niceness", "fast"]
    # The second lane ran niced and printed its output after the first lane's, under a header.
    header = "---- output of nap, niceness (ran beside nap) ----"
    assert header in done.stdout
    assert "niceness 10" in done.stdout.split(header, 1)[1]


def test_a_failing_lane_fails_its_step_and_stops_the_run(tmp_path: Path) -> None:
    done = stages(tmp_path, "slow+broken,fast", "busy")
    assert done.returncode != 0
    assert "breaking" in done.stdout
    took = timings(done.stdout)
    assert "slow" in took and "broken" in took and "busy" not in took
    assert "fast: not run" in done.stdout and "busy: not run" in done.stdout


def test_make_test_runs_every_stage_in_order() -> None:
    makefile = (ROOT / "Makefile").read_text()
    line = next(line for line in makefile.splitlines() if line.startswith("TEST_STAGES := "))
    assert line.split(" := ")[1].split() == [
        "venv+tools+pinot-deps",
        "lint",
        "typecheck",
        "test-pinot+test-unit,test-helm",
    ]
    assert 'bash tools/stages.sh "$(MAKE)" $(TEST_STAGES)' in makefile


def dry_run(*args: str, venv: Path) -> str:
    done = subprocess.run(
        ["make", "--no-print-directory", "-n", *args, f"VENV={venv}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return done.stdout


def test_make_run_installs_only_what_serving_needs(tmp_path: Path) -> None:
    plan = dry_run("run", venv=tmp_path / "venv")
    assert "pip install --quiet -e .\n" in plan
    assert "[dev]" not in plan
    assert "pinot-control-plane serve" in plan


def test_make_venv_installs_the_development_toolchain(tmp_path: Path) -> None:
    assert "pip install --quiet -e '.[dev]'" in dry_run("venv", venv=tmp_path / "venv")


def test_the_build_context_holds_what_the_dockerfile_copies_and_nothing_else() -> None:
    ignore = [line for line in (ROOT / ".dockerignore").read_text().splitlines() if line and line[0] != "#"]
    assert ignore[0] == "*", "the context is an allowlist"
    allowed = {line[1:].rstrip("/") for line in ignore if line.startswith("!")}
    copied = set()
    for line in (ROOT / "Dockerfile").read_text().splitlines():
        if line.startswith("COPY ") and "--from=" not in line:
            copied |= {source.rstrip("/") for source in line.split()[1:-1]}
    assert copied == allowed
    assert all((ROOT / source).exists() for source in copied)
