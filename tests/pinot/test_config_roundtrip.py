"""Pinot reads every rendered config back exactly as the spec says it, with Pinot's own loader.

Arbitrary accepted cluster names, ZooKeeper addresses, keys and values are rendered by
``render_config`` and read by ``confread/PinotConfRead.java`` the way Pinot's start commands read
``-configFileName``: ``PinotConfigUtils.readConfigFromFile`` into a ``PinotConfiguration`` (and, for
the controller, on into a ``ControllerConf``). One JVM reads every file of the run, one per line on
its stdin. The keys Pinot holds (relaxed) and their values must be exactly the owned keys with the
control plane's values, and the spec's properties (over the control plane's defaults) with the
spec's values; Pinot 1.x adds ``templated=true`` itself.

Runs in ``make test-pinot`` (Pinot 0.11.0) and with ``/work/shared/tools/pinot-1x.sh`` (1.3.0).
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from hooks.cluster.javaprops import KEY, key_problem, relaxed, value_problem
from hooks.cluster.pinotconf import (
    DATA_DIR,
    ROLE_DEFAULTS,
    ConfigInput,
    owned_context,
    owned_problem,
    ownership,
    render_config,
)
from hooks.cluster.spec import Role

from .harness import PINOT_DIR, compiled_classes, java_binary, load_classpath

READER_SOURCE = PINOT_DIR / "confread" / "PinotConfRead.java"
READER_CLASS = "controlplane.tests.confread.PinotConfRead"
# Added by Pinot 1.x to every config it loads (PinotConfiguration), never written by the control plane.
ADDED_BY_PINOT = {"templated": "true"}


class PinotReader:
    """One JVM reading config files the way Pinot does, for as many files as it is given."""

    def __init__(self, classpath: str, classes: Path, workdir: Path) -> None:
        command = [java_binary(), "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"]
        command += ["-cp", f"{classes}:{classpath}", READER_CLASS]
        self.process = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,  # Pinot's and SLF4J's start-up chatter
            text=True,
            encoding="ascii",
            cwd=workdir,  # Pinot's log4j configuration writes logs/ under the working directory
        )
        self.count = 0

    def read(self, role: Role, path: Path) -> dict[str, Any]:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(f"{role.value} {path}\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"the reader exited ({self.process.wait()}) reading {path}")
        self.count += 1
        answer: dict[str, Any] = json.loads(line)
        return answer

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        self.process.wait(timeout=30)
        if self.process.stdout is not None:
            self.process.stdout.close()


@pytest.fixture(scope="module")
def reader(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PinotReader]:
    classpath = load_classpath()
    workdir = tmp_path_factory.mktemp("confread")
    running = PinotReader(classpath, compiled_classes(READER_SOURCE, classpath), workdir)
    yield running
    running.close()
    print(f"pinot: one JVM read {running.count} rendered configs")


# --- accepted inputs -------------------------------------------------------------------------------

# Characters that matter to a properties file or to Pinot, then any character; and pieces that are
# refused (if a refusal were dropped, values holding them would be drawn, and fail).
SPECIAL = [*"\\,=:#!${}'\" %", "é", "\u00a0", "\u0308", "\u2028", "\ufeff", "😀", "\U0001d11e", "\\u0041"]
REFUSED = [", ", " ,", "\\\\", "\\,", "${", "${x}", "$${x}"]
PIECES = st.one_of(
    st.sampled_from(SPECIAL),
    st.characters(codec="ascii", exclude_categories=["Cc"]),
    st.characters(exclude_categories=["Cc", "Cs"]),
)
VALUES = (
    st.one_of(
        st.lists(PIECES, max_size=12), st.lists(st.one_of(PIECES, st.sampled_from(REFUSED)), max_size=6)
    )
    .map("".join)
    .filter(lambda value: value_problem(value) is None)
)
NAMES = VALUES.filter(lambda value: value.strip() != "")
KEYS = st.one_of(
    st.from_regex(KEY, fullmatch=True).filter(lambda key: len(key) <= 40),
    st.sampled_from(sorted({key for defaults in ROLE_DEFAULTS.values() for key in defaults})),
).filter(lambda key: key_problem(key) is None)


@st.composite
def configs(draw: st.DrawFn) -> ConfigInput:
    """A pool's config input that validation accepts: each key once under Pinot's relaxation, no
    owned key but with the value the control plane writes."""
    role = draw(st.sampled_from(list(Role)))
    cluster_name, zookeeper = draw(NAMES), draw(NAMES)
    properties: dict[str, str] = {}
    seen: set[str] = set()
    for key, value in draw(st.lists(st.tuples(KEYS, VALUES), max_size=12)):
        if (
            relaxed(key) not in seen
            and owned_problem([role], key, value, owned_context(cluster_name, zookeeper, None)) is None
        ):
            seen.add(relaxed(key))
            properties[key] = value
    return ConfigInput(role, "pool", cluster_name, zookeeper, properties)


def expected(config: ConfigInput) -> dict[str, str]:
    """What Pinot must hold, by relaxed key: the owned keys with the values the control plane means
    (the spec's, for those written from it), then the defaults and the properties."""
    context = {
        "spec.clusterName": config.cluster_name,
        "spec.zookeeper": config.zookeeper,
        "spec.deepStore": DATA_DIR[Role.CONTROLLER],
    }
    wanted = {}
    for defaults in (ROLE_DEFAULTS[config.role], config.properties):
        wanted.update({relaxed(key): value for key, value in defaults.items()})
    for key, owned in ownership(config.role).items():
        # Static owned values are plain ASCII, written as they are.
        wanted[key] = context[owned.sources[0]] if owned.sources else owned.value
    return wanted


@settings(
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.filter_too_much],
)
@given(config=configs())
# The reproductions: a trailing backslash in the cluster name, in a value; commas in the address.
@example(config=ConfigInput(Role.CONTROLLER, "c", "pinot\\", "zk-0:2181,zk-1:2181/p", {"a": "x\\", "b": "y"}))
@example(
    config=ConfigInput(Role.CONTROLLER, "c", "demo", "zk:2181", {"pinot.set.instance.id.to.hostname": "true"})
)
@example(config=ConfigInput(Role.SERVER, "s", "demo", "zk:2181", {"pinot.server.shutdown.timeout_ms": "5"}))
@example(config=ConfigInput(Role.BROKER, "b", "d", "z", {"k": "=:#!a,,b,\\é😀\u2028", "e": ""}))
def test_pinot_reads_every_rendered_config_as_the_spec_says(
    reader: PinotReader, tmp_path_factory: pytest.TempPathFactory, config: ConfigInput
) -> None:
    text = render_config(config)
    path = tmp_path_factory.mktemp("conf", numbered=True) / "pinot.conf"
    path.write_text(text, encoding="ascii")
    answer = reader.read(config.role, path)
    assert "error" not in answer, f"Pinot could not load:\n{text}\n{answer['error']}"
    held = {key: value for key, value in answer["properties"].items() if ADDED_BY_PINOT.get(key) != value}
    assert held == expected(config), text
