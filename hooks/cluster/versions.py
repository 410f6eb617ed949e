"""Pinot versions: read from image tags or written out, compared, and grouped into release lines.

A version is three numbers (`1.3.0`). An image tag carries one when it starts with them, optionally
after `release-` or `v`, and anything after them follows a `-`, `_` or `+`: `1.3.0`,
`1.3.0-21-ms-openjdk`, `release-1.2.0`, `1.3.0-SNAPSHOT-abc1234`. `latest`, a digest alone or a tag
of a private build say nothing, and nothing is guessed from them.

A release line is a major and minor version (`1.3`). Pinot's compatibility tests run between
consecutive lines, so how many lines a change crosses is what decides whether it is tested.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import NamedTuple

VERSION_PATTERN = r"^[0-9]+\.[0-9]+\.[0-9]+$"  # the explicit fields (spec.pinotVersion, pool pinotVersion)
_EXPLICIT = re.compile(VERSION_PATTERN)
_TAG = re.compile(r"^(?:release-|v)?([0-9]+)\.([0-9]+)\.([0-9]+)(?:[-_+].*)?$")


class PinotVersion(NamedTuple):
    major: int
    minor: int
    patch: int

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}.{self.patch}"

    @property
    def line(self) -> Line:
        return Line(self.major, self.minor)


class Line(NamedTuple):
    """A release line: every patch release of one major.minor."""

    major: int
    minor: int

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}"


@lru_cache(maxsize=256)
def parse_version(text: str) -> PinotVersion | None:
    """An explicit version (`1.3.0`), or None."""
    if not _EXPLICIT.match(text):
        return None
    major, minor, patch = (int(part) for part in text.split("."))
    return PinotVersion(major, minor, patch)


@lru_cache(maxsize=256)
def image_tag(image: str) -> str:
    """The tag of an image reference (without a digest), or empty when it has none."""
    reference = image.split("@", 1)[0]
    last = reference.rsplit("/", 1)[-1]
    return last.rsplit(":", 1)[1] if ":" in last else ""


@lru_cache(maxsize=256)
def version_of_image(image: str) -> PinotVersion | None:
    """The Pinot version an image's tag names, or None when the tag names none."""
    found = _TAG.match(image_tag(image))
    if found is None:
        return None
    return PinotVersion(int(found.group(1)), int(found.group(2)), int(found.group(3)))


def releases_between(a: PinotVersion, b: PinotVersion, known: Sequence[PinotVersion]) -> list[str]:
    """The releases to pass through from `a` to `b` (either way round): the latest known release of
    each line strictly between theirs, in order of versions.

    `known` holds the latest release of each known line. Past the newest of them a line is taken to
    be followed by the next minor of its major, or by the next major's first line; such lines are
    named `1.6.x`, as no release of theirs is known here."""
    low, high = sorted((a, b))
    names = [str(v) for v in sorted(known) if low.line < v.line < high.line]
    newest = max((v.line for v in known), default=low.line)
    start = max(low.line, newest)
    if high.line > start:
        names += [f"{line}.x" for line in _unknown_lines(start, high.line)]
    return names


def _unknown_lines(start: Line, end: Line) -> list[Line]:
    if end.major == start.major:
        return [Line(start.major, minor) for minor in range(start.minor + 1, end.minor)]
    majors = [Line(major, 0) for major in range(start.major + 1, end.major)]
    return majors + [Line(end.major, minor) for minor in range(end.minor)]


def describe(versions: Iterable[PinotVersion | None]) -> str:
    """`0.11.0, 1.3.0` (sorted, unknown ones as `unknown`)."""
    given = list(versions)
    known = sorted({v for v in given if v is not None})
    text = ", ".join(str(v) for v in known)
    if any(v is None for v in given):
        text = f"{text}, unknown" if text else "unknown"
    return text


def pool_version(image: str, stated: str | None) -> str:
    """A pool's Pinot version as text: the one stated for its image, else the one its tag names,
    else "" (unknown). Validation refuses a stated version that contradicts the tag."""
    if stated:
        return stated
    found = version_of_image(image)
    return str(found) if found is not None else ""
