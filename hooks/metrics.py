"""What `/metrics` exposes (Prometheus text format), and which Jobs an answer asks for.

Counters end in `_total`, and no `_created` series are exported (they double the series count and
say only when the process started, which `process_start_time_seconds` says once). Process
metrics (CPU, memory, open files), Python's garbage collector and build information come with
them. Each app has its own registry, so tests and the benchmark can run several apps side by side.
"""

from __future__ import annotations

import platform
from collections.abc import Iterable
from typing import Any, Final

import prometheus_client
from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    GCCollector,
    Histogram,
    Info,
    PlatformCollector,
    ProcessCollector,
)

from hooks.admission import Admission
from hooks.contract import HookRequest

__all__ = ["OUTCOMES", "PREFIX", "Metrics", "new_jobs"]

prometheus_client.disable_created_metrics()  # type: ignore[no-untyped-call]

PREFIX: Final = "pinot_control_plane"
OUTCOMES: Final = ("ok", "rejected", "error")
LATENCY_BUCKETS: Final = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
JOB_KEY: Final = "Job.batch/v1"
COMPONENT_LABEL: Final = "app.kubernetes.io/component"


class Metrics:
    """One registry and the families the hook server updates."""

    def __init__(self, version: str) -> None:
        self.registry = CollectorRegistry()
        ProcessCollector(registry=self.registry)
        PlatformCollector(registry=self.registry)
        GCCollector(registry=self.registry)
        Info(
            f"{PREFIX}_build", "Version of the hook server and the Python running it.", registry=self.registry
        ).info({"version": version, "python": platform.python_version()})
        self.latency = Histogram(
            f"{PREFIX}_hook_duration_seconds",
            "Time spent answering one hook call.",
            ["hook", "outcome"],
            registry=self.registry,
            buckets=LATENCY_BUCKETS,
        )
        self.calls = Counter(
            f"{PREFIX}_hook_calls",
            "Hook calls answered, by outcome.",
            ["hook", "outcome"],
            registry=self.registry,
        )
        self.cache_hits = Counter(
            f"{PREFIX}_answer_cache_hits",
            "Hook calls answered from the cache of clock-free answers (the hook was not run).",
            ["hook"],
            registry=self.registry,
        )
        self.not_modified = Counter(
            f"{PREFIX}_not_modified_answers",
            "Hook calls answered 304 Not Modified because If-None-Match named the answer (ETag).",
            ["hook"],
            registry=self.registry,
        )
        self.jobs = Counter(
            f"{PREFIX}_jobs_created",
            "Jobs in an answer that the request did not show as existing, by kind (the Job's "
            f"{COMPONENT_LABEL} label): what the hooks asked Metacontroller to create.",
            ["kind"],
            registry=self.registry,
        )
        self.refused = Counter(
            f"{PREFIX}_connections_refused",
            "Connections closed by the server's bounds, by reason: connections (over the limit), "
            "header_timeout, header_size, idle (no request in time), write_timeout (client not reading).",
            ["reason"],
            registry=self.registry,
        )
        self._held = Gauge(
            f"{PREFIX}_request_bytes_held",
            "Bytes of requests and answers reserved by the hook calls in flight.",
            registry=self.registry,
        )
        self._in_flight = Gauge(
            f"{PREFIX}_hook_calls_in_flight", "Hook calls admitted or waiting.", registry=self.registry
        )
        self._waiting = Gauge(
            f"{PREFIX}_hook_calls_waiting",
            "Hook calls waiting to be admitted (their request would exceed the bytes budget).",
            registry=self.registry,
        )

    def for_hook(self, hook: str) -> HookMetrics:
        return HookMetrics(self, hook)

    def watch_admission(self, admission: Admission) -> None:
        """Read the admission state when scraped, never on the request path."""
        self._held.set_function(lambda: admission.held)
        self._in_flight.set_function(lambda: admission.calls)
        self._waiting.set_function(lambda: admission.waiting)

    def count_jobs(self, kinds: Iterable[str]) -> None:
        for kind in kinds:
            self.jobs.labels(kind).inc()

    def refusal(self, reason: str) -> None:
        self.refused.labels(reason).inc()

    def exposition(self) -> bytes:
        return prometheus_client.generate_latest(self.registry)


class HookMetrics:
    """The labelled children of one hook, looked up once: `labels()` takes a lock and a dict per call."""

    def __init__(self, metrics: Metrics, hook: str) -> None:
        self.observe = {outcome: metrics.latency.labels(hook, outcome).observe for outcome in OUTCOMES}
        self.count = {outcome: metrics.calls.labels(hook, outcome).inc for outcome in OUTCOMES}
        self.cache_hit = metrics.cache_hits.labels(hook).inc
        self.not_modified = metrics.not_modified.labels(hook).inc


def new_jobs(request: Any, children: Iterable[Any]) -> tuple[str, ...]:
    """Kinds of the Jobs in an answer's `children` that the request did not observe.

    Children answered already encoded (`jsonio.Encoded`) are opaque here: a hook answers a Job it
    creates as an object (one it observed already may come encoded, and is not new).
    """
    kinds: list[str] = []
    observed: set[str] | None = None
    for child in children:
        if not isinstance(child, dict) or child.get("kind") != "Job" or child.get("apiVersion") != "batch/v1":
            continue
        if observed is None:
            observed = _observed_jobs(request)
        meta = child.get("metadata") or {}
        if meta.get("name") not in observed:
            labels = meta.get("labels") or {}
            kinds.append(str(labels.get(COMPONENT_LABEL, "job")))
    return tuple(sorted(kinds))


def _observed_jobs(request: Any) -> set[str]:
    if not isinstance(request, HookRequest):
        return set()
    jobs = request.children.get(JOB_KEY) or {}
    return {obj["metadata"]["name"] for obj in jobs.values()}  # a KubernetesObject has a name
