"""One hook call for one resource: the request read once, and the answer assembled once."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from hooks.children import as_applied, sort_children
from hooks.conditions import rfc3339
from hooks.contract import HookRequest, HookResponse, Observed
from hooks.decision import ClockFreeDecision, Decision
from hooks.resources.jobs import Owner
from hooks.resources.kinds import ResourceKind
from hooks.resources.naming import OPERATION_LABEL
from hooks.resources.observation import JobObservation, Phase, observe
from hooks.resources.runs import Run
from hooks.resources.status import Report, render_status

JsonObject = dict[str, Any]
CONFIGMAP = ("v1", "ConfigMap")
JOB = ("batch/v1", "Job")
POD = ("v1", "Pod")
CHILD_TYPES = (CONFIGMAP, JOB)


@dataclass(frozen=True)
class Context:
    kind: ResourceKind
    image: str
    name: str
    namespace: str
    generation: int
    spec: JsonObject
    previous_status: JsonObject
    children: Observed
    related: Observed
    now: datetime

    @classmethod
    def of(cls, kind: ResourceKind, image: str, request: HookRequest, now: datetime) -> Context:
        parent = request.parent
        return cls(
            kind=kind,
            image=image,
            name=parent.metadata.name,
            namespace=parent.metadata.namespace,
            generation=parent.metadata.generation,
            spec=parent.spec,
            previous_status=parent.status or {},
            children=request.observed("children"),
            related=request.observed("related"),
            now=now,
        )

    @property
    def owner(self) -> Owner:
        return Owner(self.kind, self.name)

    def pods(self) -> list[JsonObject]:
        return [
            pod
            for pod in self.related.of(*POD).values()
            if ((pod.get("metadata") or {}).get("labels") or {}).get(self.kind.label) == self.name
        ]

    def observe(self, run: Run) -> JobObservation:
        name = self.owner.run_name(run)
        return observe(self.children.get(*JOB, name), name, self.pods())

    def kept(self) -> list[JsonObject]:
        """Every observed apply child as it is: nothing is deleted because of a typo or a closed gate.

        Delete runs are left out: they belong to a deletion that is no longer under way, and
        Pinot is never touched by a delete while the resource lives.
        """
        return [
            as_applied(obj)
            for kind in CHILD_TYPES
            for obj in self.children.of(*kind).values()
            if _operation(obj) == "apply"
        ]

    def busy(self, operation: str, current: str = "") -> tuple[list[str], list[JsonObject]]:
        """Other runs of `operation` still running, with their ConfigMaps: a new run waits for them,
        so two runs never race against the same Pinot object."""
        names: list[str] = []
        kept: list[JsonObject] = []
        for name, job in self.children.of(*JOB).items():
            if name == current or _operation(job) != operation:
                continue
            if observe(job, name, ()).phase is not Phase.RUNNING:
                continue
            names.append(name)
            kept.append(as_applied(job))
            config = self.children.get(*CONFIGMAP, name)
            if config is not None:
                kept.append(as_applied(config))
        return names, kept

    def respond(
        self,
        report: Report,
        pinot_name: str,
        children: list[JsonObject],
        resync: float = 0,
        finalized: bool = False,
    ) -> Decision:
        now = rfc3339(self.now)
        status = render_status(report, pinot_name, self.previous_status, self.generation, now)
        response = HookResponse(status, sort_children(children), resync, finalized)
        summary = f"{self.kind.singular} {self.namespace}/{self.name}: {report.synced.reason}"
        if finalized:
            summary += " (finalized)"
        # The clock reaches an answer only through transition times taken from `now` and through
        # retry plans, which always ask for a resync; without either the answer is the same at any
        # moment, and the HTTP layer may replay it for a byte-identical request.
        clock_free = resync == 0 and all(c["lastTransitionTime"] != now for c in status["conditions"])
        decide = ClockFreeDecision if clock_free else Decision
        return decide(response.to_json_object(), summary)


def previous_pinot_name(status: Mapping[str, Any]) -> str:
    value = status.get("pinotName")
    return value if isinstance(value, str) else ""


def _operation(obj: Mapping[str, Any]) -> str:
    labels = (obj.get("metadata") or {}).get("labels") or {}
    operation = labels.get(OPERATION_LABEL)
    return operation if isinstance(operation, str) else "apply"
