"""The scale workload: one hook server resyncing a fleet of parents round-robin.

1,000 PinotClusters (4 pools each, every child observed, each with its own server pool settings)
and 10,000 PinotTables (each referring to one of the clusters, with its own schema and applied Job),
every request its parent's steady state as a periodic resync sends it. Round-robin over 11,000
parents, no answer can come from a cache of one parent: the answer cache holds about a hundred
answers, and the pool memos a few hundred pools. The requests are written to one file that wrk
reads one request at a time (`bench/scale.lua`).

Also here: the bound of every cache the hook server keeps (`cache_bounds`), found by looking at the
modules, so that a cache added later shows up on the page whether or not anyone lists it.
"""

from __future__ import annotations

import enum
import functools
import importlib
import inspect
import pkgutil
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import hooks
from bench.workloads import (
    CLUSTER_PATH,
    TABLE_PATH,
    VARIED_PROPERTY,
    answer,
    cluster_spec,
    settled_cluster,
    settled_table,
)
from hooks import jsonio
from hooks.limits import MIB
from hooks.memo import PROBATION, Memo
from hooks.requestmemory import KEPT_BYTES, KEPT_REQUEST_BYTES

CLUSTERS = 1000
TABLES = 10_000
QUICK_CLUSTERS = 100
QUICK_TABLES = 1000
TABLE_COLUMNS = 10


@dataclass(frozen=True)
class Fleet:
    bodies: Path  # every request, one after another
    index: Path  # "kind offset length" per request
    clusters: int
    tables: int
    request_bytes: int
    answers: dict[str, bytes]  # the hook's answer to the first cluster and the first table

    @property
    def parents(self) -> int:
        return self.clusters + self.tables


def _cluster_requests(count: int) -> Iterator[dict[str, typing.Any]]:
    for number in range(count):
        spec = cluster_spec(servers=1, brokers=1, minions=1, controllers=1)
        server = next(pool for pool in spec["pools"] if pool["role"] == "server")
        server["pinot"]["properties"][VARIED_PROPERTY] = str(20_000 + number)  # its own settings
        yield settled_cluster(spec, f"pinot-{number:04d}")


def build_fleet(directory: Path, clusters: int, tables: int) -> Fleet:
    """Write the fleet's requests: each cluster followed by its share of the tables."""
    directory.mkdir(parents=True, exist_ok=True)
    bodies, index = directory / "scale.bodies", directory / "scale.index"
    per_cluster = -(-tables // clusters)
    answers: dict[str, bytes] = {}
    offset = 0
    table_number = 0
    with bodies.open("wb") as out, index.open("w") as lines:

        def write(kind: str, request: dict[str, typing.Any]) -> None:
            nonlocal offset
            data = jsonio.dumps(request)
            out.write(data)
            lines.write(f"{kind} {offset} {len(data)}\n")
            offset += len(data)
            if kind not in answers:
                path = CLUSTER_PATH if kind == "cluster" else TABLE_PATH
                answers[kind] = jsonio.dumps(answer(path, request, _answered_at()))

        for cluster in _cluster_requests(clusters):
            write("cluster", cluster)
            for _ in range(per_cluster):
                if table_number < tables:
                    name = f"events-{table_number:05d}"
                    write(
                        "table", settled_table(cluster["parent"], name, name.replace("-", "_"), TABLE_COLUMNS)
                    )
                    table_number += 1
    return Fleet(bodies, index, clusters, tables, offset, answers)


def _answered_at() -> typing.Any:
    from datetime import UTC, datetime

    return datetime.now(UTC)


# Caches -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CacheBound:
    name: str
    bound: str
    bounded: bool


def cache_bounds() -> list[CacheBound]:
    """Every memo and functools cache in the `hooks` package, with what bounds it."""
    found: list[CacheBound] = []
    seen: set[int] = set()
    for module_info in pkgutil.walk_packages(hooks.__path__, "hooks."):
        module = importlib.import_module(module_info.name)
        for attribute, value in sorted(vars(module).items()):
            where = f"{module_info.name}.{attribute}"
            if id(value) in seen:  # imported from the module that made it
                continue
            seen.add(id(value))
            if isinstance(value, Memo):
                found.append(CacheBound(where, f"{value.entries} + {PROBATION} entries (memo)", True))
            elif _is_lru(value) and getattr(value, "__module__", None) == module_info.name:
                found.append(_lru_bound(where, value))
    found.append(CacheBound("hooks.answers.AnswerCache (per app)", "16 MiB of requests and answers", True))
    found.append(
        CacheBound(
            "hooks.requestmemory.RequestMemory (per app)",
            f"{KEPT_BYTES // MIB} MiB of requests, each at most {KEPT_REQUEST_BYTES // 1024} KiB",
            True,
        )
    )
    return found


def _is_lru(value: object) -> bool:
    return callable(value) and hasattr(value, "cache_info") and hasattr(value, "cache_parameters")


def _lru_bound(where: str, function: typing.Any) -> CacheBound:
    maxsize = function.cache_parameters()["maxsize"]
    if maxsize is not None:
        return CacheBound(where, f"{maxsize} entries (lru_cache)", True)
    # Unbounded by size: bounded only if every argument takes a few values (an enum, or nothing).
    wrapped = inspect.unwrap(function)
    hints = typing.get_type_hints(wrapped)
    hints.pop("return", None)
    sizes = [len(hint) for hint in hints.values() if isinstance(hint, type) and issubclass(hint, enum.Enum)]
    if len(sizes) != len(hints):
        return CacheBound(where, "unbounded", False)
    entries = functools.reduce(lambda a, b: a * b, sizes, 1)
    keyed = ", ".join(f"{name}: {hint.__name__}" for name, hint in hints.items()) or "no arguments"
    return CacheBound(where, f"{entries} {'entry' if entries == 1 else 'entries'} ({keyed})", True)
