"""The simulation: API server, controllers, Metacontroller and the real hook app, stepped in time.

Time moves in steps of `step_seconds`. Within a step everything event-driven happens at once:
`settle()` alternates Metacontroller (which syncs every parent whose parent, owned children or
related objects changed, or whose resync is due: contract §3 "When the hook is called") with the
Kubernetes controllers until nothing changes. `step()` advances the clock, lets pods age (a pod is
ready a configurable number of steps after it was created) and settles again. A "round" in the
scenarios and properties is one step.

Every sync is recorded (`syncs`), every API write too (`api.writes`); hook errors are collected
(`hook_errors`), and a parent synced again and again within one step raises `HotLoop`.
"""

from __future__ import annotations

import copy
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from fastapi import FastAPI

from hooks.app import create_app
from tests.sim import manifests
from tests.sim.apiserver import ApiServer, ObjectKey, Write, key_of
from tests.sim.clock import SimClock
from tests.sim.controllers import JobBinding, JobController, ReadyPolicy, StatefulSetController, ready_after
from tests.sim.hookclient import HookClient
from tests.sim.kinds import Registry
from tests.sim.metacontroller import HotLoop, Metacontroller, SyncRecord
from tests.sim.pinotjobs import cli_binding
from tests.sim.pinotmirror import PinotMirror
from tests.support.fake_pinot import FakePinot

JsonObject = dict[str, Any]
USER = "kubectl"


class _ClockRef:
    """The clock of whichever simulation currently drives the shared app."""

    def __init__(self) -> None:
        self.clock = SimClock()

    def __call__(self) -> datetime:
        return self.clock.now()


_SHARED: tuple[FastAPI, _ClockRef] | None = None


def shared_app(clock: SimClock) -> FastAPI:
    """One app per process (building one costs ~60 ms), pointed at the given simulation's clock.

    Simulations in one process run one after another, never interleaved."""
    global _SHARED
    if _SHARED is None:
        ref = _ClockRef()
        _SHARED = (create_app(clock=ref), ref)
    _SHARED[1].clock = clock
    return _SHARED[0]


@dataclass(frozen=True)
class SimOptions:
    step_seconds: float = 10.0
    seed: int = 0
    hook_version: str | None = None  # force v1 or v2 requests whatever the manifests say
    validate_custom_resources: bool = True
    max_passes: int = 200
    manifest_dir: Path = manifests.MANIFEST_DIR
    job_run_after_steps: int = 1
    # Metacontroller handles the events of its own writes before the Kubernetes controllers react
    # (a race the real system can lose either way): the hook then sees the status a controller has
    # not updated yet for the spec just written.
    metacontroller_first: bool = False


@dataclass
class Simulation:
    ready: ReadyPolicy = field(default_factory=ready_after)
    options: SimOptions = field(default_factory=SimOptions)
    app: FastAPI | None = None
    job_bindings: Iterable[JobBinding] = ()
    # The Pinot controller the Jobs talk to; its instances follow the pods (`pinotmirror`). Without
    # bindings, every Job runs the product's CLI against it.
    pinot: FakePinot | None = None

    def __post_init__(self) -> None:
        self.pinot = self.pinot or FakePinot(brokers=0, servers=0)
        bindings = list(self.job_bindings) or [cli_binding(self.pinot.transport())]
        self.clock = SimClock()
        self.rng = random.Random(self.options.seed)
        self.registry = Registry.default()
        self.api = ApiServer(
            self.registry,
            self.clock,
            uid_prefix=f"{self.options.seed:08x}",
            validate_custom_resources=self.options.validate_custom_resources,
        )
        self.app = self.app or shared_app(self.clock)
        self.client = HookClient(self.app)
        self.controllers = manifests.load(self.options.manifest_dir)
        if not self.controllers:
            raise FileNotFoundError(f"no CompositeController manifests under {self.options.manifest_dir}")
        self.metacontroller = Metacontroller(
            self.api,
            self.registry,
            self.clock,
            self.client,
            self.controllers,
            self.rng,
            version_override=self.options.hook_version,
        )
        self.statefulsets = StatefulSetController(self.api, self.clock, self.ready)
        self.jobs = JobController(
            self.api, self.clock, bindings, run_after_steps=self.options.job_run_after_steps
        )
        self.mirror = PinotMirror(self.api, self.pinot)
        self.settle_hooks: list[Callable[[Simulation], None]] = []

    # ------------------------------------------------------------------ lifecycle

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> Simulation:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()

    # ------------------------------------------------------------------ what a user does

    def apply(self, obj: JsonObject) -> JsonObject:
        """`kubectl apply` of a whole object: create it, or replace its spec, labels and annotations."""
        live = self.api.get_key(key_of(obj))
        if live is None:
            created = self.api.create(copy.deepcopy(obj), USER)
        else:
            for part in ("labels", "annotations"):
                if part in (obj.get("metadata") or {}):
                    live["metadata"][part] = copy.deepcopy(obj["metadata"][part])
            for name, value in obj.items():
                if name not in ("apiVersion", "kind", "metadata", "status"):
                    live[name] = copy.deepcopy(value)
            for name in list(live):
                if name not in ("apiVersion", "kind", "metadata", "status") and name not in obj:
                    del live[name]
            created = self.api.update(live, USER)
        self.settle()
        return created

    def delete(self, key: ObjectKey) -> None:
        self.api.delete(key, USER)
        self.settle()

    # ------------------------------------------------------------------ time

    def settle(self) -> None:
        for _ in range(self.options.max_passes):
            changed = self.metacontroller.process()
            if self.options.metacontroller_first:
                while changed and self.metacontroller.process():
                    pass
            changed |= self.statefulsets.reconcile_all()
            self.mirror.sync()
            changed |= self.jobs.reconcile_all()
            changed |= self.api.collect_garbage()
            for hook in self.settle_hooks:
                hook(self)
            if not changed:
                return
        raise HotLoop(f"no quiescence after {self.options.max_passes} passes in step {self.api.step}")

    def step(self, count: int = 1) -> None:
        for _ in range(count):
            self.clock.advance(self.options.step_seconds)
            self.api.step += 1
            self.settle()

    def run_until(self, done: Callable[[], bool], max_steps: int) -> int:
        """Step until `done()`; returns the number of steps taken (0 when already done)."""
        for taken in range(max_steps + 1):
            if done():
                return taken
            if taken < max_steps:
                self.step()
        raise AssertionError(f"not reached within {max_steps} steps (now at step {self.api.step})")

    # ------------------------------------------------------------------ looking

    @property
    def syncs(self) -> list[SyncRecord]:
        return self.metacontroller.syncs

    @property
    def hook_errors(self) -> list[SyncRecord]:
        return self.metacontroller.errors

    def failed_writes(self) -> list[Write]:
        """Refused writes, except those Metacontroller expects and swallows (contract §3 "Applying
        children": NotFound on delete, AlreadyExists on create, NotFound/Conflict on update)."""
        swallowed = {("delete", "404"), ("create", "409"), ("update", "404"), ("update", "409")}
        return [
            w
            for w in self.api.writes
            if not w.ok and not (w.actor == "metacontroller" and (w.verb, (w.error or "")[:3]) in swallowed)
        ]

    def get(self, api_version: str, kind: str, namespace: str, name: str) -> JsonObject | None:
        return self.api.get(api_version, kind, namespace, name)
