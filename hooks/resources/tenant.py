"""PinotTenant: a Pinot tenant (instance tags) of role SERVER or BROKER, named by `tenantName`.

The counts are checked here as Pinot would refuse them (a server tenant tagging no server, fewer
instances than offline or realtime ones, a broker tenant of none), so a typo never costs a Job.
"""

from __future__ import annotations

from hooks.refusals import SpecError
from hooks.resources.spec import PinotTenantSpec
from hooks.resources.target import Desired, JsonObject, PinotObject


def identity(spec: PinotTenantSpec) -> PinotObject:
    tenant = spec.tenant
    return PinotObject(
        "tenant", tenant.tenantName, ("--name", tenant.tenantName, "--role", tenant.tenantRole)
    )


def desired(spec: PinotTenantSpec, target: PinotObject, raw: JsonObject) -> Desired | list[SpecError]:
    tenant = spec.tenant
    instances = tenant.numberOfInstances
    if tenant.tenantRole == "BROKER":
        if instances == 0:
            return [SpecError("spec.tenant.numberOfInstances", "a broker tenant needs at least 1 instance")]
        return Desired(target, raw["tenant"])
    offline, realtime = tenant.offlineInstances or 0, tenant.realtimeInstances or 0
    if offline + realtime == 0:
        return [
            SpecError(
                "spec.tenant.offlineInstances",
                "a server tenant needs offlineInstances or realtimeInstances above 0, "
                "or Pinot tags no server",
            )
        ]
    if instances < max(offline, realtime):
        return [
            SpecError(
                "spec.tenant.numberOfInstances",
                f"{instances} is below offlineInstances ({offline}) or realtimeInstances ({realtime})",
            )
        ]
    return Desired(target, raw["tenant"])
