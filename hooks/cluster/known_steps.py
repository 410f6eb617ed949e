"""What Pinot's release history makes necessary when a cluster crosses between releases, as data.

`KNOWN_STEPS` holds one entry per thing that must happen (or must not) when some pools run, or are
about to run, a version in one range while others run a version in another. Each says which pools
act (a role and the versions they run), which pools make it necessary (roles and versions), what
must happen, why, and where in Pinot's source it was verified. `PLUGINS` says in which releases a
plugin exists at all. `RELEASES` names the latest release of every release line.

Nothing here knows about Kubernetes: `hooks.cluster.upgrade` reads these tables and turns them into
rollout stages. How each entry was checked is written in `docs/upgrades.md`; adding an entry is
adding a row here (and a test and a line there).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

from hooks.cluster.spec import Role
from hooks.cluster.versions import PinotVersion


def _v(text: str) -> PinotVersion:
    major, minor, patch = (int(part) for part in text.split("."))
    return PinotVersion(major, minor, patch)


class VersionRange(NamedTuple):
    """`low <= version < high`; None leaves a side open."""

    low: PinotVersion | None = None
    high: PinotVersion | None = None

    def __contains__(self, version: object) -> bool:
        if not isinstance(version, PinotVersion):
            return False
        return (self.low is None or version >= self.low) and (self.high is None or version < self.high)

    def __str__(self) -> str:
        if self.low is None and self.high is None:
            return "any version"
        if self.low is None:
            return f"before {self.high}"
        if self.high is None:
            return f"{self.low} or later"
        return f"{self.low} to before {self.high}"


class SetProperties(NamedTuple):
    """The acting pools run with these Pinot properties before any meeting pool runs a version in
    the new range, and keep them while they run a version in the old one. `defaults` is what Pinot
    uses for each key at the old versions when a config leaves it out, so a pool whose own settings
    already give the value needs no change."""

    properties: tuple[tuple[str, str], ...]
    defaults: tuple[tuple[str, str], ...]

    def missing(self, config: Mapping[str, str]) -> dict[str, str]:
        """The properties `config` does not already give (by value or by Pinot's default)."""
        default = dict(self.defaults)
        return {key: value for key, value in self.properties if config.get(key, default.get(key)) != value}


class Refuse(NamedTuple):
    """The crossing cannot be made safely this way; `advice` says what to do instead."""

    advice: str


class KnownStep(NamedTuple):
    name: str
    role: Role  # the pools that must act
    old: VersionRange  # ... when they run a version in this range
    meeting: tuple[Role, ...]  # ... and pools of these roles run, or will run,
    new: VersionRange  # ... a version in this range
    action: SetProperties | Refuse
    why: str
    source: str


DATATABLE_VERSION = "pinot.server.instance.currentDataTableVersion"
SPLIT_COMMIT = "pinot.server.instance.enable.split.commit"

KNOWN_STEPS: tuple[KnownStep, ...] = (
    KnownStep(
        name="datatable-v4",
        role=Role.SERVER,
        old=VersionRange(_v("0.11.0"), _v("1.0.0")),
        meeting=(Role.BROKER, Role.SERVER),
        new=VersionRange(_v("1.3.0")),
        action=SetProperties(((DATATABLE_VERSION, "4"),), ((DATATABLE_VERSION, "3"),)),
        why=(
            "brokers from 1.3.0 read only DataTable v4 (`Unsupported data table version: 3`); servers "
            "before 1.0.0 send v3 unless told to send v4"
        ),
        source=(
            "DataTableFactory.getDataTable: versions 2, 3 and 4 at release-1.2.0, only 4 at release-1.3.0; "
            "the servers' default is v3 up to release-0.12.1 (DataTableFactory / DataTableBuilderFactory "
            "DEFAULT_VERSION) and v4 from release-1.0.0; release-0.11.0's BaseServerStarter sets the version "
            "from pinot.server.instance.currentDataTableVersion"
        ),
    ),
    KnownStep(
        name="datatable-v4-unavailable",
        role=Role.SERVER,
        old=VersionRange(None, _v("0.11.0")),
        meeting=(Role.BROKER, Role.SERVER),
        new=VersionRange(_v("1.3.0")),
        action=Refuse("upgrade the servers to 0.11.0 or later first"),
        why="brokers from 1.3.0 read only DataTable v4, which servers before 0.11.0 cannot send",
        source="DataTableBuilderV4 and DataTableFactory.VERSION_4 first appear at release-0.11.0",
    ),
    KnownStep(
        name="raw-mv-forward-index-v4",
        role=Role.SERVER,
        old=VersionRange(None, _v("1.1.0")),
        meeting=(Role.SERVER, Role.MINION),
        new=VersionRange(_v("1.5.0")),
        action=Refuse("go through 1.1.0 or later first"),
        why=(
            "servers and minions from 1.5.0 write raw multi-value forward indexes in the V4 format, which "
            "servers before 1.1.0 cannot read (segments they commit or rewrite would not load)"
        ),
        source=(
            "ForwardIndexConfig's default raw writer version is 4 from release-1.5.0 (apache/pinot#16943), "
            "and MultiValue{Fixed,Var}ByteRawIndexCreator write it with VarByteChunkForwardIndexWriterV4; "
            "ForwardIndexReaderFactory reads V4 for multi-value columns from release-1.1.0 and ignores the "
            "version of a multi-value raw index up to release-1.0.0"
        ),
    ),
    KnownStep(
        name="split-commit",
        role=Role.SERVER,
        old=VersionRange(None, _v("1.1.0")),
        meeting=(Role.CONTROLLER,),
        new=VersionRange(_v("1.3.0")),
        action=SetProperties(((SPLIT_COMMIT, "true"),), ((SPLIT_COMMIT, "true"),)),
        why=(
            "controllers from 1.3.0 accept only the split commit of realtime segments; servers before 1.1.0 "
            "commit the other way when pinot.server.instance.enable.split.commit is false"
        ),
        source=(
            "LLCSegmentCompletionHandlers has no segmentCommit endpoint at release-1.3.0 "
            "(apache/pinot#14559); "
            "HelixInstanceDataManagerConfig.isEnableSplitCommit, default true, decides up to release-1.0.0; "
            "servers always split from release-1.1.0 (apache/pinot#11663)"
        ),
    ),
)

# Plugin modules under pinot-plugins/ whose presence changes between releases, by the first release
# that has each and the first that no longer does (release tags 0.9.0 to 1.5.0 compared; a plugin
# absent from the source of a release cannot be in that release's image).
PLUGINS: Mapping[str, VersionRange] = {
    "pinot-batch-ingestion-spark": VersionRange(None, _v("0.11.0")),
    "pinot-batch-ingestion-spark-2.4": VersionRange(_v("0.11.0")),
    "pinot-batch-ingestion-spark-3.2": VersionRange(_v("0.11.0"), _v("1.1.0")),
    "pinot-batch-ingestion-spark-3": VersionRange(_v("1.1.0")),
    "pinot-kafka-0.9": VersionRange(None, _v("1.0.0")),
    "pinot-clp-log": VersionRange(_v("1.0.0")),
    "pinot-kafka-3.0": VersionRange(_v("1.3.0")),
    "pinot-compound-metrics": VersionRange(_v("1.3.0")),
    "pinot-timeseries-m3ql": VersionRange(_v("1.3.0")),
    "pinot-confluent-json": VersionRange(_v("1.4.0")),
    "pinot-confluent-protobuf": VersionRange(_v("1.4.0")),
    "pinot-arrow": VersionRange(_v("1.5.0")),
    "pinot-kafka-4.0": VersionRange(_v("1.5.0")),
    "pinot-kafka-2.0": VersionRange(None, _v("1.5.0")),
}
PLUGINS_STEP = "plugins"  # the name that skips the plugin check

# The latest release of each release line (the `release-*` tags of apache/pinot).
RELEASES: tuple[PinotVersion, ...] = tuple(
    _v(text)
    for text in (
        "0.1.0",
        "0.2.0",
        "0.3.0",
        "0.4.0",
        "0.5.0",
        "0.6.0",
        "0.7.1",
        "0.8.0",
        "0.9.3",
        "0.10.0",
        "0.11.0",
        "0.12.1",
        "1.0.0",
        "1.1.0",
        "1.2.0",
        "1.3.0",
        "1.4.0",
        "1.5.1",
    )
)

STEP_NAMES = frozenset({step.name for step in KNOWN_STEPS} | {PLUGINS_STEP})
