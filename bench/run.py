"""`make bench`: drive the hook server and the echo floor with wrk, in one run, and report.

Both servers run as deployed (uvicorn, one worker) on free loopback ports and are stopped at the
end whatever happens. For every workload and kind (resync, change, child change, resync + ETag)
the two servers are measured
in alternating blocks (hook, floor, floor, hook, ...) so that machine noise hits both alike; each
server's latency distribution is pooled over its blocks.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

import orjson

from bench import checks, load, profile, report, scale
from bench.workloads import (
    CLUSTER_PATH,
    TABLE_PATH,
    VARIED_KINDS,
    VARY_MARKER,
    Workload,
    all_workloads,
    cluster_4,
    cluster_12,
    padded_change,
)
from hooks.app import create_app

ROOT = Path(__file__).resolve().parents[1]
LUA = Path(__file__).with_name("post.lua")
SCALE_LUA = Path(__file__).with_name("scale.lua")
CONNECTIONS = 5  # Metacontroller's default number of workers
SEQUENCE_STRIDE = 10_000_000  # each wrk run of a change workload gets its own range of numbers
PROFILE_ITERATIONS = 50  # per timed run of bench.profile (best of 5 runs)
KIND_LABELS = {"resync": "resync", "change": "change", "child": "child change", "etag": "resync + ETag"}


@dataclass(frozen=True)
class Plan:
    blocks: int  # per server and workload, alternating
    seconds: int  # length of one block
    warmup: int  # per server and workload, before the blocks (0: a few requests only)


FULL = Plan(blocks=5, seconds=5, warmup=2)
QUICK = Plan(blocks=2, seconds=1, warmup=0)
SCALE_FULL = Plan(blocks=5, seconds=8, warmup=5)
SCALE_QUICK = Plan(blocks=2, seconds=2, warmup=1)
SCALE_FLOOR_PATHS = ("/floor/scale/cluster", "/floor/scale/table")
LOAD_SECONDS = {"idle": 5, "saturated": 10, "busy": 10, "slowloris": 30, "stalled": 30, "large": 60}
LOAD_SECONDS_QUICK = {"idle": 2, "saturated": 4, "busy": 4, "slowloris": 30, "stalled": 30, "large": 60}
WARMUP_REQUESTS = 10


@dataclass(frozen=True)
class Placement:
    """Both servers share one CPU and the load generator gets the others, so that a server never
    competes with wrk for a core and the hook and the floor always run on the same one."""

    servers: frozenset[int]
    generator: frozenset[int]

    @classmethod
    def here(cls) -> Placement | None:
        cpus = sorted(os.sched_getaffinity(0))
        if len(cpus) < 2:
            return None
        return cls(frozenset(cpus[-1:]), frozenset(cpus[:-1]))

    def text(self) -> str:
        return f"servers on CPU {_cpus(self.servers)}, wrk on CPU {_cpus(self.generator)}"


def _cpus(cpus: frozenset[int]) -> str:
    return ",".join(str(cpu) for cpu in sorted(cpus))


class Server:
    """A server process of ours: started in its own session, stopped by its pid."""

    def __init__(self, name: str, argv: list[str], port: int, log: Path, cpus: frozenset[int] | None) -> None:
        self.name = name
        self.port = port
        self.log = log
        with log.open("wb") as sink:
            self.process = subprocess.Popen(
                argv, cwd=ROOT, stdout=sink, stderr=subprocess.STDOUT, start_new_session=True
            )
        if cpus:
            os.sched_setaffinity(self.process.pid, cpus)  # before it has served anything

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}; see {self.log}")
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=1) as answer:
                    if answer.status == 200:
                        return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"{self.name} did not answer /healthz within {timeout}s; see {self.log}")

    def post(self, path: str, body: bytes, headers: dict[str, str] | None = None) -> tuple[int, bytes, str]:
        """Status, body and ETag header of one POST."""
        request = urllib.request.Request(
            f"{self.url}{path}",
            data=body,
            method="POST",
            headers={"Content-Type": "application/json", **(headers or {})},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:
                return answer.status, answer.read(), answer.headers.get("ETag", "")
        except urllib.error.HTTPError as error:
            return error.code, error.read(), error.headers.get("ETag", "")

    def reset_peak_rss(self) -> None:
        """Clear VmHWM so that the next reading is the peak of what follows (Linux >= 4.0)."""
        Path(f"/proc/{self.process.pid}/clear_refs").write_text("5")

    def cpu_seconds(self) -> float:
        """User and system CPU time of the server process so far (Linux /proc)."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def peak_rss_bytes(self) -> int:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
        raise RuntimeError("no VmHWM in /proc/<pid>/status")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


@contextmanager
def running(
    name: str, argv: list[str], port: int, log: Path, cpus: frozenset[int] | None
) -> Iterator[Server]:
    server = Server(name, argv, port, log, cpus)
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def wrk(
    url: str, seconds: int, body: Path, vary: int | None, etag: str = "", cpus: frozenset[int] | None = None
) -> report.Block:
    """One wrk run; `vary` is the first sequence number of a varied run, None for a resync run.
    With `cpus`, wrk runs on those CPUs only."""
    arguments = [str(body), "same" if vary is None else "vary", str(vary or 0), VARY_MARKER, etag]
    return _run_wrk(url, seconds, LUA, arguments, cpus)


def wrk_fleet(
    url: str,
    seconds: int,
    fleet: scale.Fleet,
    first: int,
    paths: tuple[str, str],
    cpus: frozenset[int] | None,
) -> report.Block:
    """One wrk run over the fleet's requests, round-robin from request number `first`."""
    arguments = [str(fleet.bodies), str(fleet.index), str(first), *paths]
    return _run_wrk(url, seconds, SCALE_LUA, arguments, cpus)


def _run_wrk(
    url: str, seconds: int, script: Path, arguments: list[str], cpus: frozenset[int] | None
) -> report.Block:
    argv = [
        "wrk",
        "-t1",
        f"-c{CONNECTIONS}",
        f"-d{max(1, seconds)}s",  # wrk takes whole seconds
        "--timeout",
        "10s",
        "-s",
        str(script),
        url,
        "--",
        *arguments,
    ]
    done = subprocess.run(
        argv,
        capture_output=True,
        text=True,
        timeout=seconds + 60,
        check=False,
        cwd=ROOT,  # the scripts load bench/done.lua from here
        preexec_fn=(lambda: os.sched_setaffinity(0, cpus)) if cpus else None,
    )
    for line in done.stdout.splitlines():
        if line.startswith("BENCH "):
            block = report.Block.from_wrk(orjson.loads(line.removeprefix("BENCH ")))
            if block.errors:
                raise RuntimeError(f"wrk saw {block.errors} errors against {url}:\n{done.stdout}")
            return block
    raise RuntimeError(f"wrk printed no result for {url}:\n{done.stdout}\n{done.stderr}")


class Bench:
    def __init__(
        self, plan: Plan, workdir: Path, hook: Server, floor: Server, generator: frozenset[int] | None
    ) -> None:
        self.plan = plan
        self.generator = generator
        self.workdir = workdir
        self.hook = hook
        self.floor = floor
        self.sequence = 0

    def _next_range(self) -> int:
        self.sequence += SEQUENCE_STRIDE
        return self.sequence

    def measure(self, workload: Workload, kind: str) -> report.Row:
        """`kind`: resync, one of VARIED_KINDS, or etag (a resync carrying the ETag of the hook's
        last answer, as Metacontroller sends it with the hook's `etag` option; the floor gets a plain
        resync)."""
        body = self.workdir / f"{workload.name}.{kind}.request.json"
        vary = kind in VARIED_KINDS
        body.write_bytes(workload.template(kind) if vary else workload.resync_bytes())
        etag = ""
        if kind == "etag":
            status, _, etag = self.hook.post(workload.path, workload.resync_bytes())
            if status != 200 or not etag:
                raise RuntimeError(f"{workload.name}: no ETag in the hook's answer (status {status})")
        floor_kind = kind if vary else "resync"
        targets = {
            "hook": f"{self.hook.url}{workload.path}",
            "floor": f"{self.floor.url}/floor/{workload.name}/{floor_kind}",
        }

        def etag_for(name: str) -> str:
            return etag if name == "hook" else ""

        for name, server in (("hook", self.hook), ("floor", self.floor)):
            if self.plan.warmup:
                wrk(
                    targets[name],
                    self.plan.warmup,
                    body,
                    self._next_range() if vary else None,
                    etag_for(name),
                    self.generator,
                )
            else:
                path = targets[name].removeprefix(server.url)
                headers = {"If-None-Match": etag} if etag and name == "hook" else {}
                for sequence in range(WARMUP_REQUESTS):
                    server.post(
                        path,
                        workload.varied_bytes(kind, sequence) if vary else workload.resync_bytes(),
                        headers,
                    )
        blocks: dict[str, list[report.Block]] = {"hook": [], "floor": []}
        self.hook.reset_peak_rss()
        self.floor.reset_peak_rss()
        for index in range(self.plan.blocks):
            order = ("hook", "floor") if index % 2 == 0 else ("floor", "hook")
            for name in order:
                first = self._next_range() if vary else None
                blocks[name].append(
                    wrk(targets[name], self.plan.seconds, body, first, etag_for(name), self.generator)
                )
        return report.Row(
            workload=workload.name,
            title=workload.title,
            kind=KIND_LABELS[kind],
            request_bytes=body.stat().st_size,
            hook=report.Measure.pool(blocks["hook"], self.hook.peak_rss_bytes()),
            floor=report.Measure.pool(blocks["floor"], self.floor.peak_rss_bytes()),
        )

    def measure_scale(self, fleet: scale.Fleet, plan: Plan) -> report.ScaleRow:
        """The fleet round-robin, hook and floor in alternating blocks; the hook's CPU time is
        counted over its blocks only."""
        urls = {"hook": self.hook.url, "floor": self.floor.url}
        paths = {"hook": (CLUSTER_PATH, TABLE_PATH), "floor": SCALE_FLOOR_PATHS}
        positions = {"hook": 0, "floor": 0}
        blocks: dict[str, list[report.Block]] = {"hook": [], "floor": []}

        def run(name: str, seconds: int) -> report.Block:
            block = wrk_fleet(urls[name], seconds, fleet, positions[name], paths[name], self.generator)
            positions[name] += block.requests
            return block

        self.hook.reset_peak_rss()
        self.floor.reset_peak_rss()
        for name in ("hook", "floor"):
            run(name, plan.warmup)
        cpu = 0.0
        for index in range(plan.blocks):
            for name in ("hook", "floor") if index % 2 == 0 else ("floor", "hook"):
                before = self.hook.cpu_seconds()
                blocks[name].append(run(name, plan.seconds))
                if name == "hook":
                    cpu += self.hook.cpu_seconds() - before
        requests = sum(block.requests for block in blocks["hook"])
        return report.ScaleRow(
            clusters=fleet.clusters,
            tables=fleet.tables,
            request_bytes=fleet.request_bytes,
            hook=report.Measure.pool(blocks["hook"], self.hook.peak_rss_bytes()),
            floor=report.Measure.pool(blocks["floor"], self.floor.peak_rss_bytes()),
            cpu_per_round=cpu / requests * fleet.parents if requests else 0.0,
            rounds=positions["hook"] / fleet.parents,
        )


def _answers(hook: Server, workloads: list[Workload], directory: Path) -> dict[str, bytes]:
    """The hook's answers, which the floor returns; each request is checked to get a 200."""
    directory.mkdir(parents=True, exist_ok=True)
    answers = {}
    for workload in workloads:
        bodies = [("resync", workload.resync_bytes())]
        bodies += [(kind, workload.varied_bytes(kind, 0)) for kind in VARIED_KINDS]
        for kind, body in bodies:
            status, answer, _ = hook.post(workload.path, body)
            if status != 200:
                raise RuntimeError(f"{workload.name} {kind}: the hook answered {status}: {answer[:500]!r}")
            (directory / f"{workload.name}.{kind}.json").write_bytes(answer)
            answers[f"{workload.name}.{kind}"] = answer
    return answers


def _stop_on_sigterm() -> None:
    def handler(signum: int, _frame: FrameType | None) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, handler)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a short run (about two minutes)")
    parser.add_argument(
        "--output",
        type=Path,
        default=None,
        help="markdown report (default docs/benchmarks.md, or .bench/benchmarks-quick.md with --quick)",
    )
    parser.add_argument("--only", action="append", default=None, help="workload name(s) to run")
    parser.add_argument("--blocks", type=int, default=None, help="blocks per server and workload")
    parser.add_argument("--seconds", type=int, default=None, help="seconds per block")
    parser.add_argument("--no-scale", action="store_true", help="skip the scale workload")
    parser.add_argument("--no-load", action="store_true", help="skip the load test")
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        print("wrk is not installed: apt-get install wrk (make bench does it as root)", file=sys.stderr)
        return 2
    plan = QUICK if args.quick else FULL
    plan = Plan(args.blocks or plan.blocks, args.seconds or plan.seconds, plan.warmup)
    output = args.output or (ROOT / (".bench/benchmarks-quick.md" if args.quick else "docs/benchmarks.md"))
    workdir = ROOT / ".bench"
    workdir.mkdir(exist_ok=True)
    _stop_on_sigterm()

    started = time.monotonic()
    load_at_start = report.load_average()
    workloads = [w for w in all_workloads() if not args.only or w.name in args.only]
    serve = str(Path(sys.executable).with_name("pinot-control-plane"))
    hook_port, floor_port = free_port(), free_port()
    rows: list[report.Row] = []
    placement = Placement.here()
    server_cpus = placement.servers if placement else None
    generator = placement.generator if placement else None
    fleet = None
    if not args.no_scale:
        sizes = (scale.QUICK_CLUSTERS, scale.QUICK_TABLES) if args.quick else (scale.CLUSTERS, scale.TABLES)
        fleet = scale.build_fleet(workdir / "scale", *sizes)
        (workdir / "floor").mkdir(exist_ok=True)
        for kind, answer in fleet.answers.items():
            (workdir / "floor" / f"scale.{kind}.json").write_bytes(answer)
    scale_row = None
    with ExitStack() as stack:
        hook = stack.enter_context(
            running(
                "hook server",
                [
                    serve,
                    "serve",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(hook_port),
                    "--probe-port",
                    str(free_port()),
                ],
                hook_port,
                workdir / "hook.log",
                server_cpus,
            )
        )
        _answers(hook, workloads, workdir / "floor")
        floor = stack.enter_context(
            running(
                "echo floor",
                [
                    sys.executable,
                    "-m",
                    "bench.floor",
                    "--port",
                    str(floor_port),
                    "--responses",
                    str(workdir / "floor"),
                ],
                floor_port,
                workdir / "floor.log",
                server_cpus,
            )
        )
        bench = Bench(plan, workdir, hook, floor, generator)
        for workload in workloads:
            for kind in KIND_LABELS if not args.quick else ("resync", *VARIED_KINDS):
                row = bench.measure(workload, kind)
                print(report.progress_line(row), flush=True)
                rows.append(row)
        if fleet is not None:
            scale_row = bench.measure_scale(fleet, SCALE_QUICK if args.quick else SCALE_FULL)
            print(report.scale_progress_line(scale_row), flush=True)
    load_rows = [] if args.no_load else measure_load(serve, workdir, server_cpus, generator, args.quick)
    stages = [
        (workload.name, kind, profile.stages(workload, kind, PROFILE_ITERATIONS // (10 if args.quick else 1)))
        for workload in workloads
        for kind in ("resync", *VARIED_KINDS)
    ]
    request_path = request_path_verdict(workloads)
    elapsed = time.monotonic() - started
    load = (load_at_start, report.load_average())
    text = report.markdown(
        rows,
        plan_text(plan, placement),
        elapsed,
        args.quick,
        [request_path],
        stages,
        load,
        scale_row,
        load_rows,
        scale.cache_bounds(),
    )
    print()
    print(text)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text)
    print(f"written to {output.relative_to(ROOT) if output.is_relative_to(ROOT) else output}")
    return 0


def measure_load(
    serve: str, workdir: Path, cpus: frozenset[int] | None, generator: frozenset[int] | None, quick: bool
) -> list[report.LoadRow]:
    """Each scenario of `bench.load` against a hook server of its own, probed meanwhile."""
    bodies = {
        "saturated": padded_change(cluster_12(), load.MIB),
        "busy": cluster_12().change_template,
        "large": padded_change(cluster_4(), load.STALLED_BYTES),
    }
    for scenario, body in bodies.items():
        (workdir / f"load.{scenario}.json").write_bytes(body)
    seconds = LOAD_SECONDS_QUICK if quick else LOAD_SECONDS
    rows = []
    for scenario in ("idle", *load.SCENARIOS):
        port, probe_port = free_port(), free_port()
        argv = [serve, "serve", "--host", "127.0.0.1", "--port", str(port), "--probe-port", str(probe_port)]
        with running(f"hook server ({scenario})", argv, port, workdir / f"hook-{scenario}.log", cpus) as hook:
            hook.reset_peak_rss()
            # As the Deployment's probes: the probe port. The loop's own /healthz for comparison.
            with load.Prober(f"http://127.0.0.1:{probe_port}") as prober, load.Prober(hook.url) as loop:
                outcome: dict[str, object] = {}
                if scenario == "idle":
                    time.sleep(seconds[scenario])
                else:
                    outcome = _generate(scenario, hook.url, workdir, seconds[scenario], generator)
            row = report.LoadRow(scenario, outcome, prober.stats(), hook.peak_rss_bytes(), loop.stats())
        print(report.load_progress_line(row), flush=True)
        rows.append(row)
    return rows


def _generate(
    scenario: str, url: str, workdir: Path, seconds: float, cpus: frozenset[int] | None
) -> dict[str, object]:
    argv = [sys.executable, "-m", "bench.load", scenario, "--url", url, "--seconds", str(seconds)]
    body = workdir / f"load.{scenario}.json"
    if body.exists():
        argv += ["--body", str(body)]
    done = subprocess.run(
        argv,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=seconds + 120,
        check=False,
        preexec_fn=(lambda: os.sched_setaffinity(0, cpus)) if cpus else None,
    )
    for line in done.stdout.splitlines():
        if line.startswith("LOAD "):
            result: dict[str, object] = orjson.loads(line.removeprefix("LOAD "))
            return result
    raise RuntimeError(f"the {scenario} load printed no result:\n{done.stdout}\n{done.stderr}")


def request_path_verdict(workloads: list[Workload]) -> report.Verdict:
    """Answer every request once, then count forbidden work while answering each kind again."""
    warmup = [(w.path, w.resync_bytes()) for w in workloads]
    measured = [
        (w.path, w.varied_bytes(kind, sequence))
        for w in workloads
        for kind in VARIED_KINDS
        for sequence in (1, 2)
    ] + warmup
    counts = checks.request_path_work(create_app(), warmup, measured)
    return report.Verdict(
        "no YAML parsing, template compilation or pydantic schema building on the request path",
        ", ".join(f"{what}: {count}" for what, count in counts.items()) + f" (over {len(measured)} requests)",
        not any(counts.values()),
    )


def plan_text(plan: Plan, placement: Placement | None) -> str:
    return (
        f"{CONNECTIONS} connections (wrk, 1 thread); per workload and server: "
        + (f"{plan.warmup} s warm-up" if plan.warmup else f"{WARMUP_REQUESTS} warm-up requests")
        + f", then {plan.blocks} blocks of {plan.seconds} s alternating hook and floor; "
        + (placement.text() if placement else "one CPU shared by servers and wrk")
    )


if __name__ == "__main__":
    os.chdir(ROOT)
    raise SystemExit(main())
