"""Apply and delete a Pinot tenant: a name over instance tags, sized by instance counts.

A tenant has no stored document. Pinot retags *untagged* instances to create or grow it and
retags them back to shrink or delete it, so what it "holds" is the set of instances carrying the
tenant's tags: `GET /tenants/{name}?type=server|broker` lists them (404 when there are none). The
comparison is between counts:

- broker: `numberOfInstances` = number of `BrokerInstances`;
- server: `offlineInstances` = number of `OfflineServerInstances`, `realtimeInstances` = number of
  `RealtimeServerInstances`, and min(`numberOfInstances`, offline + realtime) = number of distinct
  `ServerInstances`. The minimum is what Pinot actually tags: it hands out offline + realtime tags
  round-robin over `numberOfInstances` servers, so with offline + realtime < `numberOfInstances` the
  remaining servers stay untagged, and comparing against `numberOfInstances` would look like a change
  on every run.

`POST /tenants` is not idempotent (each success retags another batch), so it is sent only after the
tenant was seen absent, and a lost answer is never retried blindly (see `client.py`).

Pinot answers 500 "Failed to create tenant" / "Failed to update tenant" when there are too few online
untagged instances, and keeps the real reason in its log. That is reported as `InsufficientInstances`
with a plain sentence. The other cause of a failed update, switching a server tenant between a
co-located layout (offline + realtime > instances) and a separate one, is refused here before Pinot is
asked, so the 500 is not misread.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from hooks.pinotapi.client import ControllerUnreachable, PinotController, Reply
from hooks.pinotapi.names import name_problem
from hooks.pinotapi.outcome import Outcome
from hooks.pinotapi.verdicts import deleted, failure, unreachable, written

__all__ = ["ROLES", "TenantSize", "apply_tenant", "delete_tenant"]

ROLES: Final = ("SERVER", "BROKER")

_SHORTAGE: Final = re.compile(r"failed to (create|update) tenant", re.IGNORECASE)


@dataclass(frozen=True)
class TenantSize:
    """Instance counts; `offline` and `realtime` are 0 for brokers."""

    instances: int
    offline: int = 0
    realtime: int = 0

    @property
    def co_located(self) -> bool:
        """Pinot's own definition: some servers carry both the OFFLINE and the REALTIME tag."""
        return self.offline + self.realtime > self.instances

    @property
    def tagged(self) -> TenantSize:
        """The server counts Pinot ends up tagging for this request (see the module docstring)."""
        return TenantSize(min(self.instances, self.offline + self.realtime), self.offline, self.realtime)

    @classmethod
    def held(cls, role: str, body: Mapping[str, Any]) -> TenantSize:
        if role == "BROKER":
            return cls(len(_names(body.get("BrokerInstances"))))
        offline = _names(body.get("OfflineServerInstances"))
        realtime = _names(body.get("RealtimeServerInstances"))
        every = _names(body.get("ServerInstances")) | offline | realtime
        return cls(len(every), len(offline), len(realtime))

    def describe(self, role: str) -> str:
        if role == "BROKER":
            return f"{self.instances} broker(s)"
        return f"{self.instances} server(s): {self.offline} offline, {self.realtime} realtime"


def _names(value: Any) -> set[str]:
    if isinstance(value, Sequence) and not isinstance(value, str):
        return {str(item) for item in value}
    return set()


def _count(document: Mapping[str, Any], key: str, *, default: int | None = None) -> int:
    value = document.get(key, default)
    if isinstance(value, str) and value.strip().isdigit():  # Pinot's own examples quote the numbers
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError(f"{key} must be a whole number of instances, not {value!r}")
    return value


def apply_tenant(controller: PinotController, document: Any) -> Outcome:
    if not isinstance(document, Mapping):
        return Outcome.failed("InvalidInput", "", "a tenant must be a JSON object")
    name, role = document.get("tenantName"), document.get("tenantRole")
    if not isinstance(name, str) or not name:
        return Outcome.failed("InvalidInput", "", "the tenant has no tenantName")
    problem = name_problem("tenantName", name)
    if problem:
        return Outcome.failed("InvalidInput", "", problem)
    if not isinstance(role, str) or role.upper() not in ROLES:
        return Outcome.failed("InvalidInput", name, "tenantRole must be SERVER or BROKER")
    role = role.upper()
    try:
        size = _desired_size(role, document)
    except ValueError as error:
        return Outcome.failed("InvalidInput", name, str(error))
    body: dict[str, Any] = {"tenantRole": role, "tenantName": name, "numberOfInstances": size.instances}
    if role == "SERVER":
        body |= {"offlineInstances": size.offline, "realtimeInstances": size.realtime}
    try:
        return _TenantApply(controller, name, role, size, body).run()
    except ControllerUnreachable as error:
        return unreachable(name, error)


def _desired_size(role: str, document: Mapping[str, Any]) -> TenantSize:
    instances = _count(document, "numberOfInstances")
    if role == "BROKER":
        if instances == 0:
            raise ValueError("a broker tenant needs numberOfInstances of at least 1")
        return TenantSize(instances)
    size = TenantSize(
        instances,
        _count(document, "offlineInstances", default=0),
        _count(document, "realtimeInstances", default=0),
    )
    if size.offline + size.realtime == 0:
        raise ValueError(
            "a server tenant needs offlineInstances or realtimeInstances, or Pinot tags no server"
        )
    return size


class _TenantApply:
    def __init__(
        self, controller: PinotController, name: str, role: str, size: TenantSize, body: dict[str, Any]
    ) -> None:
        self.controller = controller
        self.name = name
        self.role = role
        self.size = size
        self.body = body

    def run(self) -> Outcome:
        reply = self.controller.get(("tenants", self.name), {"type": self.role.lower()})
        if reply.status == 404:
            return self.create()
        if reply.status != 200 or not isinstance(reply.body, dict):
            return failure(reply, self.name)
        return self.converge(TenantSize.held(self.role, reply.body))

    def create(self) -> Outcome:
        reply = self.controller.post(("tenants",), self.body, idempotent=False)
        if not reply.ok:
            return self.refused(reply, "create")
        return written("Created", self.name, reply, f"tagged {self.size.describe(self.role)}")

    def converge(self, held: TenantSize) -> Outcome:
        if held == (self.size.tagged if self.role == "SERVER" else self.size):
            message = f"Pinot already tags {held.describe(self.role)} for this tenant"
            return Outcome.succeeded("Unchanged", self.name, message, 200)
        if self.role == "SERVER" and held.co_located != self.size.co_located:
            message = (
                f"Pinot cannot switch a server tenant between a co-located layout (offline + realtime > "
                f"instances) and a separate one; it now has {held.describe(self.role)}, the request asks for "
                f"{self.size.describe(self.role)}; delete and recreate the tenant instead"
            )
            return Outcome.failed("Rejected", self.name, message)
        reply = self.controller.put(("tenants",), self.body)
        if not reply.ok:
            return self.refused(reply, "resize")
        note = f"resized from {held.describe(self.role)} to {self.size.describe(self.role)}"
        return written("Updated", self.name, reply, note)

    def refused(self, reply: Reply, doing: str) -> Outcome:
        if reply.status >= 500 and _SHORTAGE.search(reply.message):
            kind = "broker" if self.role == "BROKER" else "server"
            message = (
                f"not enough untagged {kind} instances: Pinot could not {doing} tenant {self.name} with "
                f"{self.size.describe(self.role)} because too few online {kind}s are untagged; add {kind}s "
                f"or free some from other tenants (Pinot: {reply.message})"
            )
            return Outcome.failed("InsufficientInstances", self.name, message, reply.status)
        return failure(reply, self.name)


def delete_tenant(controller: PinotController, name: str, role: str) -> Outcome:
    """`DELETE /tenants/{name}?type=`; a tenant without instances is already absent.

    Pinot's DELETE succeeds even for a tenant that never existed, so the tenant is looked up first
    and `AlreadyAbsent` is reported instead of a misleading `Deleted`.
    """
    role = role.upper()
    problem = name_problem("tenant name", name)
    if problem:
        return Outcome.failed("InvalidInput", "", problem)
    if role not in ROLES:
        return Outcome.failed("InvalidInput", name, "the tenant role must be SERVER or BROKER")
    path = ("tenants", name)
    try:
        held = controller.get(path, {"type": role.lower()})
        if held.status == 404:
            return Outcome.succeeded("AlreadyAbsent", name, held.message, held.status)
        if held.status != 200:
            return failure(held, name)
        reply = controller.delete(path, {"type": role})
    except ControllerUnreachable as error:
        return unreachable(name, error)
    return deleted(reply, name)
