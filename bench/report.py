"""Numbers from wrk runs, pooled per server, and the markdown report with the targets."""

from __future__ import annotations

import bisect
import importlib.metadata
import importlib.util
import os
import platform
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hooks import limits

ROOT = Path(__file__).resolve().parents[1]
MB = 1024 * 1024
QUANTILES = 999  # wrk's done() reports the 0.1% .. 99.9% quantiles

# The targets, as (what, limit); ratios are hook / echo floor measured in the same run.
RESYNC_P50_RATIO = 1.5
RESYNC_P99_RATIO = 2.5
CHANGE_P50_RATIO = 3.0
MIN_SYNCS_PER_SECOND = 500
SMALL_WORKLOAD = "cluster-4"
MAX_PEAK_RSS_MB = 120
# The scale workload: every request computed in full (neither the answer cache nor the pool memos can
# hold a fleet), unlike a change, which recomputes one pool.
SCALE_P50_RATIO = 5.0
SCALE_P99_RATIO = 5.0
SCALE_MAX_PEAK_RSS_MB = 200
# The load test: what the kubelet needs (its probes time out after 1 s) and the memory limit.
PROBE_TIMEOUT_MS = 1000
PROBE_P50_MS = 50
PROBE_P99_MS = 250
LOAD_CLOSE_SLACK_S = 2.0


NOTES = [
    "## Reading the numbers",
    "",
    "- **resync** of a settled cluster or an applied PinotTable is answered from the hook server's "
    "cache of clock-free answers (`hooks.answers.AnswerCache`): the request bytes are compared, nothing "
    "is parsed or computed, so it can beat the floor, which parses every request.",
    "- **change** requests are all different (one spec value of one server pool takes a new number each "
    "time): every one is parsed, validated and computed, and its answer serialised. Each shares its "
    "`children` with the request before it, as a parent's edits and status updates do: the hook server "
    "parses and validates the section that changed (the parent) and takes the others from the last "
    "request of the same parent (`hooks.requestmemory`, compared byte for byte); the floor parses all "
    "of every request. The pools the change "
    "did not touch are validated, layered and rendered from the hook's bounded memo of per-pool results "
    "(`hooks.memo`, pure functions keyed by their exact inputs); the changed pool is computed afresh. "
    "A real edit touches one pool the same way.",
    "- **child change** requests are all different too: one child's `metadata.resourceVersion` (the "
    "server pool's StatefulSet; the table's Job) takes a new number each time, as every write of a child "
    "gives it one (a rollout writes the StatefulSets' status over and over). The hook server parses "
    "that one object and takes every other part of the request from the last request of the same parent "
    "(`hooks.requestmemory`); everything the hook derives from the observed objects is computed again, "
    "as it is for any change of a child, and the pools' memos answer for the pools.",
    "- **resync + ETag** carries `If-None-Match` with the ETag of the hook's answer, as Metacontroller "
    "sends it when the hook's `etag.enabled` is set; the hook answers 304 without a body and "
    "Metacontroller reuses the body it stored. The floor row is the plain resync.",
    "- The hook server parses, computes and serialises on its event loop, one request at a time; a "
    "resync answered from the cache never reaches the hook. The kubelet's probes are answered by a "
    "thread of their own on another port (`hooks.probes`), which the loop's work does not hold up "
    "(load test below).",
    "- 5 connections is Metacontroller's default number of workers; with one server process, p50 is "
    "about five service times. Other load on the machine hits both servers alike (alternating blocks), "
    "so the ratios are steadier than the absolute numbers.",
    "",
    "Run `make bench` (about 14 minutes; installs wrk with apt-get if it is missing and you are root) to "
    "rewrite this page, or `make bench QUICK=1` (about two minutes; no ETag rows, a smaller fleet, "
    "shorter load scenarios, written to `.bench/benchmarks-quick.md`).",
]


@dataclass(frozen=True)
class Block:
    """One wrk run against one server."""

    requests: int
    seconds: float
    quantiles_us: tuple[int, ...]
    errors: int

    @classmethod
    def from_wrk(cls, data: dict[str, Any]) -> Block:
        errors = sum(int(data[key]) for key in ("connect", "read", "write", "status", "timeout"))
        quantiles = tuple(int(q) for q in data["quantiles_us"])
        if len(quantiles) != QUANTILES:
            raise ValueError(f"expected {QUANTILES} quantiles from wrk, got {len(quantiles)}")
        return cls(int(data["requests"]), int(data["duration_us"]) / 1e6, quantiles, errors)


def pooled_quantile(blocks: Sequence[Block], fraction: float) -> float:
    """A quantile of all requests of all blocks: each block's quantiles stand for its requests."""
    samples = sorted((value, block.requests / QUANTILES) for block in blocks for value in block.quantiles_us)
    cumulative = []
    total = 0.0
    for _, weight in samples:
        total += weight
        cumulative.append(total)
    index = bisect.bisect_left(cumulative, fraction * total)
    return float(samples[min(index, len(samples) - 1)][0])


@dataclass(frozen=True)
class Measure:
    """One server on one workload: pooled latency, throughput and its peak RSS meanwhile."""

    requests: int
    p50_ms: float
    p99_ms: float
    rps: float
    peak_rss_bytes: int
    block_p50_ms: tuple[float, ...]

    @classmethod
    def pool(cls, blocks: Sequence[Block], peak_rss_bytes: int) -> Measure:
        requests = sum(b.requests for b in blocks)
        seconds = sum(b.seconds for b in blocks)
        return cls(
            requests=requests,
            p50_ms=pooled_quantile(blocks, 0.50) / 1000,
            p99_ms=pooled_quantile(blocks, 0.99) / 1000,
            rps=requests / seconds if seconds else 0.0,
            peak_rss_bytes=peak_rss_bytes,
            block_p50_ms=tuple(b.quantiles_us[499] / 1000 for b in blocks),
        )

    @property
    def peak_rss_mb(self) -> float:
        return self.peak_rss_bytes / MB


@dataclass(frozen=True)
class Row:
    workload: str
    title: str
    kind: str
    request_bytes: int
    hook: Measure
    floor: Measure

    def ratio(self, attribute: str) -> float:
        hook, floor = getattr(self.hook, attribute), getattr(self.floor, attribute)
        return float(hook / floor) if floor else float("inf")


def progress_line(row: Row) -> str:
    return (
        f"{row.workload:<11} {row.kind:<8} hook p50 {row.hook.p50_ms:7.2f} ms  p99 {row.hook.p99_ms:7.2f} ms "
        f"{row.hook.rps:7.0f}/s | floor p50 {row.floor.p50_ms:6.2f} ms p99 {row.floor.p99_ms:6.2f} ms "
        f"{row.floor.rps:7.0f}/s | p50 x{row.ratio('p50_ms'):.2f} p99 x{row.ratio('p99_ms'):.2f}"
    )


def machine() -> list[tuple[str, str]]:
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    memory = "unknown"
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    return [
        ("nproc", str(len(os.sched_getaffinity(0)))),
        ("CPU", cpu),
        ("memory", memory),
        ("kernel", platform.release()),
    ]


def load_average() -> str:
    """The 1-minute load average: how busy the machine was with other work as well."""
    return f"{os.getloadavg()[0]:.2f}"


def versions() -> list[tuple[str, str]]:
    found = [("python", platform.python_version())]
    for package in ("fastapi", "starlette", "uvicorn", "h11", "pydantic", "pydantic-core", "orjson"):
        try:
            found.append((package, importlib.metadata.version(package)))
        except importlib.metadata.PackageNotFoundError:
            found.append((package, "not installed"))
    loop = "uvloop" if importlib.util.find_spec("uvloop") else "asyncio"
    parser = "httptools" if importlib.util.find_spec("httptools") else "h11"
    found.append(("uvicorn stack", f"loop {loop}, HTTP {parser} (what `--loop auto --http auto` picks here)"))
    wrk = subprocess.run(["wrk", "--version"], capture_output=True, text=True, check=False)
    found.append(("wrk", (wrk.stdout or wrk.stderr).splitlines()[0].split(" Copyright")[0]))
    return found


def _ms(value: float) -> str:
    return f"{value:.2f}"


def table(rows: Sequence[Row]) -> list[str]:
    lines = [
        "| Size | Workload | Request | p50 ms | p99 ms | req/s | Peak RSS MB |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        hook, floor = row.hook, row.floor
        lines.append(
            f"| {row.workload} | {row.kind} | {row.request_bytes / 1024:.0f} KiB "
            f"| {_ms(hook.p50_ms)} (floor {_ms(floor.p50_ms)}, **x{row.ratio('p50_ms'):.2f}**) "
            f"| {_ms(hook.p99_ms)} (floor {_ms(floor.p99_ms)}, **x{row.ratio('p99_ms'):.2f}**) "
            f"| {hook.rps:.0f} (floor {floor.rps:.0f}, x{row.ratio('rps'):.2f}) "
            f"| {hook.peak_rss_mb:.0f} (floor {floor.peak_rss_mb:.0f}, x{row.ratio('peak_rss_bytes'):.2f}) |"
        )
    return lines


@dataclass(frozen=True)
class ScaleRow:
    """The fleet resynced round-robin, hook and floor."""

    clusters: int
    tables: int
    request_bytes: int
    hook: Measure
    floor: Measure
    cpu_per_round: float  # CPU seconds of the hook server per resync of every parent
    rounds: float  # how many times the hook saw every parent

    @property
    def parents(self) -> int:
        return self.clusters + self.tables

    def ratio(self, attribute: str) -> float:
        hook, floor = getattr(self.hook, attribute), getattr(self.floor, attribute)
        return float(hook / floor) if floor else float("inf")


@dataclass(frozen=True)
class LoadRow:
    """One load-test scenario: what its clients saw, the probes, and the server's peak memory."""

    scenario: str
    outcome: dict[str, Any]
    probes: Any  # bench.load.ProbeStats, of the probe port
    peak_rss_bytes: int
    loop_probes: Any = None  # bench.load.ProbeStats of the event loop's own /healthz, if measured

    @property
    def peak_rss_mb(self) -> float:
        return self.peak_rss_bytes / MB


LOAD_TITLES = {
    "idle": "no load (the probes alone)",
    "saturated": "200 connections sending distinct 1 MB syncs back to back",
    "busy": "200 connections sending distinct 12-pool changes (200 KiB) back to back",
    "slowloris": "200 connections sending one header line a second",
    "stalled": "30 connections sending 15 MiB of a body, then stalling before its last byte",
    "large": "30 connections each sending a whole 15 MiB sync at once",
}


def scale_progress_line(row: ScaleRow) -> str:
    return (
        f"scale {row.clusters}+{row.tables}: hook p50 {row.hook.p50_ms:.2f} ms p99 {row.hook.p99_ms:.2f} ms "
        f"{row.hook.rps:.0f}/s | floor p50 {row.floor.p50_ms:.2f} ms p99 {row.floor.p99_ms:.2f} ms | "
        f"peak RSS {row.hook.peak_rss_mb:.0f} MB, {row.cpu_per_round:.1f} CPU s per round"
    )


def load_progress_line(row: LoadRow) -> str:
    probes = row.probes
    return (
        f"load {row.scenario:<9}: probes p50 {probes.p50_ms:.1f} ms p99 {probes.p99_ms:.1f} ms "
        f"max {probes.max_ms:.1f} ms, {probes.failures} failed | loop /healthz {_loop_probes(row)} | "
        f"peak RSS {row.peak_rss_mb:.0f} MB | {row.outcome}"
    )


def _loop_probes(row: LoadRow) -> str:
    """The event loop's own /healthz: p50 / p99 / max ms, and failures if any."""
    probes = row.loop_probes
    if probes is None:
        return "-"
    failed = f", {probes.failures} failed" if probes.failures else ""
    return f"{probes.p50_ms:.1f} / {probes.p99_ms:.1f} / {probes.max_ms:.1f}{failed}"


def scale_table(row: ScaleRow) -> list[str]:
    return [
        "| Parents | Requests | p50 ms | p99 ms | req/s | Peak RSS MB | CPU s per round |",
        "|---|---:|---:|---:|---:|---:|---:|",
        f"| {row.clusters} PinotClusters + {row.tables} PinotTables "
        f"| {row.request_bytes / MB:.0f} MiB, seen {row.rounds:.1f} times "
        f"| {_ms(row.hook.p50_ms)} (floor {_ms(row.floor.p50_ms)}, **x{row.ratio('p50_ms'):.2f}**) "
        f"| {_ms(row.hook.p99_ms)} (floor {_ms(row.floor.p99_ms)}, **x{row.ratio('p99_ms'):.2f}**) "
        f"| {row.hook.rps:.0f} (floor {row.floor.rps:.0f}) "
        f"| {row.hook.peak_rss_mb:.0f} (floor {row.floor.peak_rss_mb:.0f}) "
        f"| {row.cpu_per_round:.1f} |",
    ]


def load_table(rows: Sequence[LoadRow]) -> list[str]:
    lines = [
        "| Scenario | What the clients got | Probe p50 ms | Probe p99 ms | Probe max ms | Probes failed "
        "| Loop /healthz p50 / p99 / max ms | Peak RSS MB |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        probes = row.probes
        lines.append(
            f"| **{row.scenario}**: {LOAD_TITLES[row.scenario]} | {_outcome_text(row.outcome)} "
            f"| {probes.p50_ms:.1f} | {probes.p99_ms:.1f} | {probes.max_ms:.1f} "
            f"| {probes.failures} of {probes.count + probes.failures} | {_loop_probes(row)} "
            f"| {row.peak_rss_mb:.0f} |"
        )
    return lines


def _outcome_text(outcome: dict[str, Any]) -> str:
    if not outcome:
        return "-"
    statuses = ", ".join(f"{count}x {status}" for status, count in outcome.get("statuses", {}).items())
    text = statuses or "no answer"
    if outcome.get("closed"):
        text += f"; {outcome['closed']} of {outcome['connections']} closed by the server"
        text += f", the last after {outcome['lastClosedAfter']} s"
    return text


def scale_verdicts(row: ScaleRow | None, caches: Sequence[Any]) -> list[Verdict]:
    found = []
    if row is not None:
        p50, p99, peak = row.ratio("p50_ms"), row.ratio("p99_ms"), row.hook.peak_rss_mb
        found += [
            Verdict(f"scale: p50 within {SCALE_P50_RATIO}x floor", f"x{p50:.2f}", p50 <= SCALE_P50_RATIO),
            Verdict(f"scale: p99 within {SCALE_P99_RATIO}x floor", f"x{p99:.2f}", p99 <= SCALE_P99_RATIO),
            Verdict(
                f"scale: hook peak RSS under {SCALE_MAX_PEAK_RSS_MB} MB",
                f"{peak:.0f} MB",
                peak < SCALE_MAX_PEAK_RSS_MB,
            ),
        ]
    if caches:
        unbounded = [cache.name for cache in caches if not cache.bounded]
        found.append(
            Verdict(
                "every cache of the hook server is bounded (table below)",
                ", ".join(unbounded) + " unbounded" if unbounded else f"{len(caches)} caches, all bounded",
                not unbounded,
            )
        )
    return found


def load_verdicts(rows: Sequence[LoadRow], memory_limit_mb: float) -> list[Verdict]:
    found = []
    for row in rows:
        probes, name = row.probes, row.scenario
        found.append(
            Verdict(
                f"{name}: every probe answered within {PROBE_TIMEOUT_MS} ms (the kubelet's timeout)",
                f"{probes.failures} failed, max {probes.max_ms:.0f} ms",
                probes.failures == 0,
            )
        )
        found.append(
            Verdict(
                f"{name}: probe p50 within {PROBE_P50_MS} ms, p99 within {PROBE_P99_MS} ms",
                f"{probes.p50_ms:.1f} ms, {probes.p99_ms:.1f} ms",
                probes.p50_ms <= PROBE_P50_MS and probes.p99_ms <= PROBE_P99_MS,
            )
        )
        found.append(
            Verdict(
                f"{name}: peak RSS under the Deployment's memory limit ({memory_limit_mb:.0f} MiB)",
                f"{row.peak_rss_mb:.0f} MB",
                row.peak_rss_bytes < memory_limit_mb * MB,
            )
        )
        outcome = row.outcome
        if name in ("slowloris", "stalled"):
            # Stalled bodies: waiting to be admitted and then reading take a body timeout each at most.
            bound = limits.HEADER_TIMEOUT if name == "slowloris" else 2 * limits.BODY_TIMEOUT
            limit = bound + LOAD_CLOSE_SLACK_S
            last = outcome.get("lastClosedAfter") or float("inf")
            every = outcome.get("closed") == outcome.get("connections")
            found.append(
                Verdict(
                    f"{name}: every connection closed within {limit:g} s",
                    f"{outcome.get('closed')} of {outcome.get('connections')}, the last after {last} s",
                    every and last <= limit,
                )
            )
        if name == "large":
            answered = outcome.get("statuses", {}).get("200", 0)
            found.append(
                Verdict(
                    "large: every request answered 200",
                    f"{answered} of {outcome.get('connections')}",
                    answered == outcome.get("connections"),
                )
            )
    return found


def cache_table(caches: Sequence[Any]) -> list[str]:
    lines = ["| Cache | Bound |", "|---|---|"]
    lines += [f"| `{cache.name}` | {cache.bound} |" for cache in caches]
    return lines


@dataclass(frozen=True)
class Verdict:
    target: str
    measured: str
    met: bool


def verdicts(rows: Sequence[Row], request_path: Sequence[Verdict] = ()) -> list[Verdict]:
    found: list[Verdict] = []
    for row in rows:
        name = f"{row.workload} {row.kind}"
        if row.kind == "resync":
            p50, p99 = row.ratio("p50_ms"), row.ratio("p99_ms")
            found.append(
                Verdict(
                    f"{name}: p50 within {RESYNC_P50_RATIO}x floor", f"x{p50:.2f}", p50 <= RESYNC_P50_RATIO
                )
            )
            found.append(
                Verdict(
                    f"{name}: p99 within {RESYNC_P99_RATIO}x floor", f"x{p99:.2f}", p99 <= RESYNC_P99_RATIO
                )
            )
        elif row.kind in ("change", "child change"):
            p50 = row.ratio("p50_ms")
            found.append(
                Verdict(
                    f"{name}: p50 within {CHANGE_P50_RATIO}x floor", f"x{p50:.2f}", p50 <= CHANGE_P50_RATIO
                )
            )
        if row.workload == SMALL_WORKLOAD and row.kind in ("resync", "change", "child change"):
            found.append(
                Verdict(
                    f"{name}: at least {MIN_SYNCS_PER_SECOND} syncs/s on one process",
                    f"{row.hook.rps:.0f}/s",
                    row.hook.rps >= MIN_SYNCS_PER_SECOND,
                )
            )
    if rows:
        peak = max(row.hook.peak_rss_mb for row in rows)
        found.append(
            Verdict(f"hook peak RSS under {MAX_PEAK_RSS_MB} MB", f"{peak:.0f} MB", peak < MAX_PEAK_RSS_MB)
        )
    return found + list(request_path)


Stages = Sequence[tuple[str, str, dict[str, float]]]  # workload, kind, CPU µs per stage


def stage_table(stages: Stages) -> list[str]:
    lines = [
        "| Size | Workload | parse µs | hook µs | serialise µs | total µs |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for workload, kind, found in stages:
        lines.append(
            f"| {workload} | {kind} | "
            + " | ".join(f"{found[name]:.0f}" for name in ("parse", "hook", "serialise", "total"))
            + " |"
        )
    return lines


def memory_limit_mib(deployment: Path = ROOT / "metacontroller" / "deployment.yaml") -> float:
    """The hook container's memory limit in the install manifests, in MiB."""
    import yaml

    manifest = yaml.safe_load(deployment.read_text())
    [container] = [c for c in manifest["spec"]["template"]["spec"]["containers"] if c["name"] == "hooks"]
    limit = str(container["resources"]["limits"]["memory"])
    units = {"Mi": 1, "Gi": 1024}
    for suffix, factor in units.items():
        if limit.endswith(suffix):
            return float(limit.removesuffix(suffix)) * factor
    raise ValueError(f"a memory limit in Mi or Gi, not {limit!r}")


SCALE_TEXT = (
    "One hook server resyncs a fleet round-robin: PinotClusters of 4 pools (every child observed, each "
    "cluster with its own server pool settings) and PinotTables of 10 columns (each with its cluster, "
    "schema and applied Job as related objects), every request its parent's steady state. wrk reads the "
    "requests one at a time from a file (`bench/scale.lua`); the floor answers each with an answer of its "
    "kind. No answer can come from a cache of one parent: the answer cache holds about a hundred answers "
    "and the pool memos a few hundred pools, so every resync is computed. *CPU s per round* is the hook "
    "server's CPU time (user + system, over its blocks) per resync of every parent once. Peak RSS is over "
    "the whole workload, warm-up included."
)

LOAD_TEXT = (
    "Each scenario runs against a hook server of its own (`serve` with its defaults, on the servers' CPU), "
    "its clients in another process on the other CPU (`python -m bench.load`). Meanwhile a prober asks "
    "`/healthz` on the probe port (`serve --probe-port`, where the Deployment's probes go) every 50 ms on "
    "a new connection with a 1 s timeout, as the kubelet does; the targets are about these probes. "
    "*Loop /healthz* asks the event loop's own `/healthz` on the hook port the same way, for comparison: "
    "it waits behind the computations queued before it, and nothing routes probes there. The hook server "
    f"reads at most {limits.BODY_BUDGET_BYTES // MB} MiB of request bodies at once, answers 503 beyond "
    f"{limits.MAX_REQUESTS} hook calls in flight, gives a request {limits.HEADER_TIMEOUT:g} s for its "
    f"headers and an admitted one {limits.BODY_TIMEOUT:g} s for its body, and closes the oldest idle "
    f"connection beyond {limits.MAX_CONNECTIONS} (`hooks/limits.py`). *idle* shows what the machine "
    "itself adds to a probe."
)


def markdown(
    rows: Sequence[Row],
    method: str,
    elapsed: float,
    quick: bool,
    request_path: Sequence[Verdict] = (),
    stages: Stages = (),
    load: tuple[str, str] = ("", ""),
    scale: ScaleRow | None = None,
    load_rows: Sequence[LoadRow] = (),
    caches: Sequence[Any] = (),
) -> str:
    limit = memory_limit_mib()
    met = verdicts(rows, request_path) + scale_verdicts(scale, caches) + load_verdicts(load_rows, limit)
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "# Benchmarks",
        "",
        "Written by `make bench`"
        + (" QUICK=1 (a short run: indicative only)" if quick else "")
        + f" on {when}, "
        f"in {elapsed:.0f} s. Run it again to refresh this page; numbers are only comparable within one run.",
        "",
        "The hook server (`pinot-control-plane serve`: uvicorn, one worker, as deployed) and an *echo floor* "
        "(the same FastAPI + uvicorn stack, one worker, its process set up as `serve` sets it up, whose "
        "endpoint only reads the body, parses it with orjson and answers with a precomputed response of the "
        "same size) are driven in the same run with Metacontroller-shaped sync requests. *resync* sends the "
        "same request again; *change* gives one spec value a new number on every request, *child change* "
        "one child's resourceVersion, so no answer can be reused between requests.",
        "",
        f"Method: {method}. Latency is wrk's, pooled over the blocks of each server; peak RSS is VmHWM of "
        "the server process, reset before each workload's blocks. Ratios are hook / floor.",
        "",
        *table(rows),
        "",
        "Sizes:",
        "",
    ]
    seen = set()
    for row in rows:
        if row.workload not in seen:
            seen.add(row.workload)
            lines.append(f"- **{row.workload}**: {row.title}.")
    if scale is not None:
        lines += ["", "## Scale", "", SCALE_TEXT, "", *scale_table(scale)]
    if load_rows:
        lines += ["", "## Load test", "", LOAD_TEXT, "", *load_table(load_rows)]
    lines += ["", "## Targets", "", "| Target | Measured | Met |", "|---|---|---|"]
    lines += [f"| {v.target} | {v.measured} | {'yes' if v.met else '**no**'} |" for v in met]
    if caches:
        lines += [
            "",
            "## Caches",
            "",
            "Everything the hook server remembers between calls, found by looking at its modules "
            "(`bench.scale.cache_bounds`), with what bounds it. Memos keep entries asked for again, plus "
            "a probation segment for entries asked for once (`hooks/memo.py`).",
            "",
            *cache_table(caches),
        ]
    if stages:
        lines += [
            "",
            "## Where the time goes",
            "",
            "CPU time of one request inside the hook's own code, measured in-process by `python -m "
            "bench.profile` (best of 5 runs; add `--pyinstrument` for a call tree): parse and validate the "
            "body (each request from the one before it, as served: `hooks.requestmemory`), the pure hook, "
            "serialise the answer. This is the hook computing every time, without the "
            "answer cache (with its per-pool memo, as served); the rest of a served request (HTTP parsing, "
            "ASGI, writing the answer) is what the echo floor measures.",
            "",
            *stage_table(stages),
        ]
    lines += ["", *NOTES]
    lines += ["", "## Machine", "", "| | |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in machine()]
    if load[0]:
        lines.append(f"| load average (1 min) at start / end | {load[0]} / {load[1]} |")
    lines += ["", "## Versions", "", "| | |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in versions()]
    return "\n".join(lines) + "\n"
