"""PinotTenant: a Pinot tenant (instance tags) of role SERVER or BROKER, named by `tenantName`.

The counts are checked here as Pinot would refuse them (a server tenant tagging no server, fewer
instances than offline or realtime ones, a broker tenant of none), so a typo never costs a Job.
"""

from __future__ import annotations

from hooks.resources.fields import Fields
from hooks.resources.target import Desired, PinotObject

ROLES = ("SERVER", "BROKER")


def identity(fields: Fields) -> PinotObject | None:
    name = fields.string("spec.tenant.tenantName")
    role = fields.choice("spec.tenant.tenantRole", ROLES)
    if name is None or role is None:
        return None
    return PinotObject("tenant", name, ("--name", name, "--role", role))


def desired(fields: Fields) -> Desired | None:
    document = fields.obj("spec.tenant")
    target = identity(fields) if document is not None else None
    if document is None or target is None:
        return None
    instances = fields.count("spec.tenant.numberOfInstances")
    if target.delete_args[-1] == "BROKER":
        if instances == 0:
            fields.problem("spec.tenant.numberOfInstances", "a broker tenant needs at least 1 instance")
            return None
    else:
        offline = fields.count("spec.tenant.offlineInstances", 0)
        realtime = fields.count("spec.tenant.realtimeInstances", 0)
        if instances is None or offline is None or realtime is None:
            return None
        if offline + realtime == 0:
            fields.problem(
                "spec.tenant.offlineInstances",
                "a server tenant needs offlineInstances or realtimeInstances above 0, "
                "or Pinot tags no server",
            )
            return None
        if instances < max(offline, realtime):
            fields.problem(
                "spec.tenant.numberOfInstances",
                f"{instances} is below offlineInstances ({offline}) or realtimeInstances ({realtime})",
            )
            return None
    if instances is None:
        return None
    return Desired(target, document)
