"""The statuses the hooks write, as the CRDs declare them.

The hooks build their statuses as plain JSON (hooks/cluster/status.py, hooks/resources/status.py);
these models only say what the status subresource accepts. Metacontroller replaces the whole
status, and the API server refuses a write that breaks this schema, so the hooks' own tests check
every status they emit against the generated CRDs.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from hooks.crds.extensions import Int32, Int64, list_map

# metav1.Condition's own limits.
CONDITION_TYPE = (
    r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?"
    r"(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$"
)
CONDITION_REASON = r"^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$"
MAX_MESSAGE = 32768
JsonObject = dict[str, Any]
DATE_TIME: JsonObject = {"format": "date-time"}


class _Status(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Condition(_Status):
    type: str = Field(
        max_length=316, pattern=CONDITION_TYPE, description="Condition type in CamelCase, e.g. Ready."
    )
    status: Literal["True", "False", "Unknown"] = Field(description="True, False or Unknown.")
    observedGeneration: Int64 | None = Field(
        default=None, ge=0, description="metadata.generation the condition was computed from."
    )
    lastTransitionTime: str = Field(description="When status last changed.", json_schema_extra=DATE_TIME)
    reason: str = Field(
        min_length=1, max_length=1024, pattern=CONDITION_REASON, description="One CamelCase word saying why."
    )
    message: str = Field(max_length=MAX_MESSAGE, description="Human-readable details.")


class _Observed(_Status):
    observedGeneration: Int64 | None = Field(
        default=None, description="The metadata.generation this status was computed from."
    )
    conditions: list[Condition] | None = Field(
        default=None,
        max_length=16,
        description="Standard conditions (metav1.Condition), keyed by type.",
        json_schema_extra=list_map("type"),
    )


class PinotSide(_Status):
    phase: (
        Literal["Waiting", "Tagging", "Rebalancing", "Draining", "Dropping", "Settled", "Blocked"] | None
    ) = Field(default=None, description="What the control plane does with the pool's instances in Pinot.")
    message: str | None = Field(
        default=None, max_length=MAX_MESSAGE, description="Where it stands, in words."
    )
    job: str | None = Field(
        default=None, max_length=63, description="The membership Job the phase waits for or last ran."
    )
    view: dict[str, Int32] | None = Field(
        default=None,
        max_length=16,
        description=(
            "Counts Pinot reported (registered, tagged, holdingSegments, segments, leaving, dropped, "
            "unbalancedTables)."
        ),
    )


class RemovedPool(_Status):
    name: str = Field(max_length=63, description="Pool name.")
    role: str | None = Field(default=None, max_length=16, description="Pinot component the pool runs.")
    replicas: Int32 | None = Field(default=None, description="Pods the StatefulSet still has.")
    phase: str | None = Field(default=None, max_length=32, description="Where its removal stands.")
    message: str | None = Field(
        default=None, max_length=MAX_MESSAGE, description="Where it stands, in words."
    )
    job: str | None = Field(default=None, max_length=63, description="The Job its removal waits for.")


class PoolStatus(_Status):
    name: str = Field(max_length=30, description="Pool name.")
    role: str | None = Field(default=None, max_length=16, description="Pinot component the pool runs.")
    replicas: Int32 | None = Field(default=None, description="Pods the pool should have.")
    readyReplicas: Int32 | None = Field(default=None, description="Pods that are ready.")
    updatedReplicas: Int32 | None = Field(
        default=None, description="Pods that run the pool's current revision."
    )
    state: Literal["Pending", "Waiting", "RollingOut", "Ready", "Degraded"] | None = Field(
        default=None, description="Where the pool is in its rollout."
    )
    message: str | None = Field(
        default=None, max_length=MAX_MESSAGE, description="What the pool does or awaits."
    )
    revision: str | None = Field(
        default=None, max_length=64, description="Hash of the pod template the pool is rolling to (or runs)."
    )
    lastTransitionTime: str | None = Field(
        default=None,
        description="When the pool entered its state; the progress deadline counts from here.",
        json_schema_extra=DATE_TIME,
    )
    runningVersion: str | None = Field(
        default=None,
        max_length=128,
        description=(
            "Pinot version the pool's pods run; while they move, the one they leave and the one they go to "
            "(0.11.0 -> 1.3.0)."
        ),
    )
    desiredVersion: str | None = Field(
        default=None, max_length=32, description="Pinot version the spec asks of this pool."
    )
    pinot: PinotSide | None = Field(
        default=None, description="Pinot's side of the pool, as its last membership Job reported it."
    )


class Upgrade(_Status):
    direction: Literal["Upgrade", "Downgrade"] | None = Field(
        default=None, description="Upgrade (controllers first) or Downgrade (minions first)."
    )
    from_: str | None = Field(
        default=None, alias="from", max_length=256, description="Versions the changing pools run."
    )
    to: str | None = Field(default=None, max_length=256, description="Version the spec asks.")
    phase: str | None = Field(
        default=None,
        max_length=64,
        description=(
            "What happens now, as the Progressing reason says it (PreparingServers, UpgradingBrokers, "
            "RollingBackServers, ...), or why nothing moves."
        ),
    )
    knownSteps: list[Annotated[str, Field(max_length=64)]] | None = Field(
        default=None, max_length=16, description="Known steps between the releases that apply to this change."
    )


class ClusterStatus(_Observed):
    pools: list[PoolStatus] | None = Field(
        default=None, max_length=32, description="Per-pool rollout state, in spec order."
    )
    controllerService: str | None = Field(
        default=None,
        max_length=1024,
        description="URL of the Pinot controller Service, e.g. http://pinot-controller.ns.svc:9000.",
    )
    poolsReady: str | None = Field(
        default=None,
        max_length=16,
        pattern=r"^[0-9]+/[0-9]+$",
        description="Pools ready of all pools, e.g. 3/5.",
    )
    removedPools: list[RemovedPool] | None = Field(
        default=None,
        max_length=64,
        description=(
            "Pools removed from spec.pools whose instances are being moved out of Pinot before their "
            "StatefulSet goes."
        ),
    )
    unrecognizedChildren: list[Annotated[str, Field(max_length=320)]] | None = Field(
        default=None,
        max_length=64,
        description="Owned children whose labels name no pool of this cluster; they are kept as they are.",
    )
    pinotVersion: str | None = Field(
        default=None,
        max_length=2048,
        description=(
            "Pinot version the cluster runs (1.3.0; 1.2.0,1.3.0 when pools run different ones); while "
            "versions move, from and to (0.11.0 -> 1.3.0)."
        ),
    )
    upgrade: Upgrade | None = Field(default=None, description="A version change under way, or refused.")
    warnings: list[Annotated[str, Field(max_length=1024)]] | None = Field(
        default=None,
        max_length=16,
        description="What no rollout order can make safe, e.g. a single broker that every query depends on.",
    )


class LastOutcome(_Status):
    result: str | None = Field(
        default=None, max_length=64, description="Outcome, e.g. Applied, Rejected or Failed."
    )
    reason: str | None = Field(default=None, max_length=1024, description="One CamelCase word.")
    message: str | None = Field(
        default=None, max_length=MAX_MESSAGE, description="Details, e.g. the Pinot error message."
    )
    httpStatus: Int32 | None = Field(default=None, description="HTTP status of the response.")


class ResourceStatus(_Observed):
    pinotName: str | None = Field(
        default=None, max_length=512, description="Name of the object in Pinot that this resource manages."
    )
    appliedHash: str | None = Field(
        default=None, max_length=128, description="Hash of the spec last applied to Pinot."
    )
    lastOutcome: LastOutcome | None = Field(
        default=None, description="Result of the last call to the Pinot controller."
    )
