"""Pinot versions read from image tags, release lines, and the table of known steps."""

from __future__ import annotations

import pytest

from hooks.cluster.known_steps import KNOWN_STEPS, PLUGINS, RELEASES, SetProperties, VersionRange
from hooks.cluster.validation import parse_spec
from hooks.cluster.versions import PinotVersion, pool_version, releases_between, version_of_image
from tests.cluster.builders import BASE_SPEC


def v(text: str) -> PinotVersion:
    major, minor, patch = map(int, text.split("."))
    return PinotVersion(major, minor, patch)


@pytest.mark.parametrize(
    ("image", "version"),
    [
        ("apachepinot/pinot:1.3.0", "1.3.0"),
        ("apachepinot/pinot:1.3.0-21-ms-openjdk", "1.3.0"),
        ("apachepinot/pinot:1.2.0-17-amazoncorretto", "1.2.0"),
        ("apachepinot/pinot:release-1.2.0", "1.2.0"),
        ("ghcr.io/acme/pinot:v1.0.0", "1.0.0"),
        ("registry.example.com:5000/pinot:0.11.0", "0.11.0"),
        ("apachepinot/pinot:1.3.0-SNAPSHOT-0a1b2c3-20241010", "1.3.0"),
        ("apachepinot/pinot:1.3.0@sha256:" + "a" * 64, "1.3.0"),
        ("apachepinot/pinot@sha256:" + "a" * 64, None),
        ("apachepinot/pinot:latest", None),
        ("apachepinot/pinot:latest-17-ms-openjdk", None),
        ("apachepinot/pinot", None),
        ("registry.example.com:5000/pinot", None),
        ("apachepinot/pinot:1.3", None),
        ("apachepinot/pinot:1.3.0.1", None),
        ("apachepinot/pinot:custom-1.3.0", None),
    ],
)
def test_the_version_an_image_tag_names(image: str, version: str | None) -> None:
    found = version_of_image(image)
    assert (str(found) if found else None) == version


@pytest.mark.parametrize(
    ("start", "end", "through"),
    [
        ("0.11.0", "1.3.0", ["0.12.1", "1.0.0", "1.1.0", "1.2.0"]),
        ("1.3.0", "0.11.0", ["0.12.1", "1.0.0", "1.1.0", "1.2.0"]),
        ("0.12.1", "1.0.0", []),
        ("1.2.0", "1.3.0", []),
        ("1.3.0", "1.3.1", []),
        ("1.5.1", "1.6.0", []),
        ("1.5.1", "1.7.0", ["1.6.x"]),
        ("1.3.0", "2.1.0", ["1.4.0", "1.5.1", "2.0.x"]),
        ("1.5.1", "2.0.0", []),
        ("9.9.8", "9.9.9", []),
    ],
)
def test_the_releases_between_two_versions(start: str, end: str, through: list[str]) -> None:
    assert releases_between(v(start), v(end), RELEASES) == through


def test_a_stated_version_wins_over_the_tag_and_none_is_guessed() -> None:
    assert pool_version("registry/pinot:custom", "1.3.0") == "1.3.0"
    assert pool_version("apachepinot/pinot:1.2.0", None) == "1.2.0"
    assert pool_version("registry/pinot:custom", None) == ""


@pytest.mark.parametrize(
    ("change", "field", "problem"),
    [
        ({"image": "apachepinot/pinot:1.3.0", "pinotVersion": "1.2.0"}, "spec.pinotVersion", "contradicts"),
        (
            {"image": "registry/pinot:custom", "pinotVersion": "1.3"},
            "spec.pinotVersion",
            "must be a Pinot version such as 1.3.0",
        ),
        (
            {"pools": [*BASE_SPEC["pools"][:3], {"name": "x", "role": "server", "pinotVersion": "1.3.0"}]},
            "spec.pools[3].pinotVersion",
            "set image too",
        ),
    ],
)
def test_a_stated_version_must_fit_its_image(change: dict[str, object], field: str, problem: str) -> None:
    spec, errors = parse_spec({**BASE_SPEC, **change}, "demo")
    assert spec is None
    assert any(e.field == field and problem in e.problem for e in errors), errors


def test_a_stated_version_for_an_unreadable_tag_is_accepted() -> None:
    pools = [*BASE_SPEC["pools"], {"name": "x", "role": "server", "image": "r/p:c", "pinotVersion": "1.2.0"}]
    spec, errors = parse_spec(
        {**BASE_SPEC, "image": "r/pinot:build-7", "pinotVersion": "1.3.0", "pools": pools}, "d"
    )
    assert errors == [] and spec is not None


def test_version_ranges() -> None:
    assert v("0.11.0") in VersionRange(v("0.11.0"), v("1.0.0"))
    assert v("1.0.0") not in VersionRange(v("0.11.0"), v("1.0.0"))
    assert v("0.10.0") in VersionRange(None, v("0.11.0"))
    assert v("9.0.0") in VersionRange(v("1.3.0"))
    assert None not in VersionRange()
    assert str(VersionRange(v("0.11.0"), v("1.0.0"))) == "0.11.0 to before 1.0.0"
    assert str(VersionRange(None, v("1.5.0"))) == "before 1.5.0"
    assert str(VersionRange(v("1.3.0"))) == "1.3.0 or later"


def test_a_step_asks_only_what_a_config_does_not_give_already() -> None:
    (datatable,) = [s.action for s in KNOWN_STEPS if s.name == "datatable-v4"]
    (split,) = [s.action for s in KNOWN_STEPS if s.name == "split-commit"]
    assert isinstance(datatable, SetProperties) and isinstance(split, SetProperties)
    key = "pinot.server.instance.currentDataTableVersion"
    assert datatable.missing({}) == {key: "4"}
    assert datatable.missing({key: "4"}) == {}
    split_key = "pinot.server.instance.enable.split.commit"
    assert split.missing({}) == {}, "Pinot's default is the split commit"
    assert split.missing({split_key: "false"}) == {split_key: "true"}


def test_the_tables_are_consistent() -> None:
    names = [step.name for step in KNOWN_STEPS]
    assert len(names) == len(set(names))
    for step in KNOWN_STEPS:
        assert step.why and step.source and step.meeting
        assert step.old.high is not None and step.new.low is not None and step.old.high <= step.new.low
        if isinstance(step.action, SetProperties):
            assert {k for k, _ in step.action.defaults} == {k for k, _ in step.action.properties}
    for plugin, span in PLUGINS.items():
        assert plugin.startswith("pinot-") and (span.low or span.high), plugin
    assert list(RELEASES) == sorted(RELEASES)
    assert len({r.line for r in RELEASES}) == len(RELEASES), "one release per line"
