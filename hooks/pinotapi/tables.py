"""Apply and delete one half (OFFLINE or REALTIME) of a Pinot table.

A hybrid table is two table configs under one raw name. Every call here names its half: the config is
read with `GET /tables/{raw}?type=`, and only that half of the answer is looked at, so an existing
OFFLINE half never makes a REALTIME apply think its table exists (the old operator's bug); deletes always
carry `?type=`, because a DELETE without it removes both halves.

Steps of `apply_table`:

1. `POST /tables/validate`: Pinot checks the config against its schema before anything is written.
   A missing schema is `SchemaNotFound` (apply the schema first); a tenant no instance carries yet is
   `InsufficientInstances` (create the tenant); any other 400 is `Rejected` with Pinot's message. This
   step also keeps a table from being created without its schema: a real 0.11.0 controller's
   `POST /tables` accepts one, and only `/tables/validate` refuses ("Got empty schema").
2. Read this half. 200 with this half is what Pinot holds; 404, or 200 without this half (older
   controllers answer `{}`), is absent; anything else is an error.
3. Absent: `POST /tables` (a 409 means someone created it meanwhile: compare again). Held and equal
   (`normalise.py`, with `tableName` carrying its type suffix on both sides): `Unchanged`. Held and
   different: `PUT /tables/{raw}` with the whole config, then optionally reload the half's segments.

Unrecognised properties fail the apply (`Rejected`) instead of being a mere warning: Pinot silently
drops them, so a misspelt key (`"replicaton"`) would leave the setting at its default while the resource
reported success, and what Pinot holds would never match the document again. `POST /tables/validate`
reports them before anything is written, so the rejection costs nothing; should a write still report
some, the write happened and the outcome says so while failing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from hooks.pinotapi.client import ControllerUnreachable, PinotController, Reply
from hooks.pinotapi.names import name_problem
from hooks.pinotapi.normalise import differences
from hooks.pinotapi.outcome import Outcome
from hooks.pinotapi.verdicts import deleted, failure, unreachable, written
from hooks.pinotapi.wording import changed_fields, describe_unrecognized

__all__ = ["TABLE_TYPES", "TableName", "apply_table", "delete_table", "table_name"]

TABLE_TYPES: Final = ("OFFLINE", "REALTIME")

# Pinot 1.x: "Invalid table config: x_OFFLINE. Failed to find schema for table: x_OFFLINE";
# Pinot 0.11: "Invalid table config: x_OFFLINE. Got empty schema".
_SCHEMA_MISSING: Final = re.compile(
    r"(failed to find|cannot find|could not find|missing|no|got empty) schema"
    r"|schema\b[^.]*\b(not found|does not exist)",
    re.IGNORECASE,
)


# Both versions, when no instance carries a tenant's tag yet: "Failed to find instances with tag: t_BROKER
# for table: x_OFFLINE" (or "... for dimension table: ..."). The tenant may be created a moment later,
# as when a table and its PinotTenants are applied together.
_NO_INSTANCES: Final = re.compile(r"failed to find instances (with tag|for dimension table)", re.IGNORECASE)


@dataclass(frozen=True)
class TableName:
    raw: str
    type: str

    @property
    def with_type(self) -> str:
        return f"{self.raw}_{self.type}"


def table_name(name: str, table_type: str | None) -> TableName:
    """Split `events`, `events_OFFLINE` or `events_REALTIME` plus an optional type into raw name and type.

    Raises ValueError when the type is missing, unknown, or disagrees with the name's suffix.
    """
    wanted = table_type.upper() if table_type else None
    if wanted is not None and wanted not in TABLE_TYPES:
        raise ValueError(f"table type must be OFFLINE or REALTIME, not {table_type!r}")
    raw, suffix = name, None
    for kind in TABLE_TYPES:
        if name.endswith("_" + kind):
            raw, suffix = name[: -len(kind) - 1], kind
    if not raw:
        raise ValueError(f"table name {name!r} has no raw name")
    problem = name_problem("raw table name", raw)
    if problem:
        raise ValueError(problem)
    if suffix and wanted and suffix != wanted:
        raise ValueError(f"table name {name!r} ends in _{suffix} but the table type is {wanted}")
    resolved = suffix or wanted
    if resolved is None:
        raise ValueError(f"table {name!r} needs a type: OFFLINE or REALTIME")
    return TableName(raw, resolved)


def apply_table(
    controller: PinotController, document: Any, *, reload: bool = False, force: bool = False
) -> Outcome:
    if not isinstance(document, Mapping):
        return Outcome.failed("InvalidInput", "", "a table config must be a JSON object")
    raw_name, raw_type = document.get("tableName"), document.get("tableType")
    if not isinstance(raw_name, str) or not raw_name:
        return Outcome.failed("InvalidInput", "", "the table config has no tableName")
    if raw_type is not None and not isinstance(raw_type, str):
        return Outcome.failed("InvalidInput", raw_name, "tableType must be OFFLINE or REALTIME")
    try:
        name = table_name(raw_name, raw_type)
    except ValueError as error:
        return Outcome.failed("InvalidInput", raw_name, str(error))
    config = {**document, "tableName": name.with_type, "tableType": name.type}
    try:
        return _TableApply(controller, name, config, reload, force).run()
    except ControllerUnreachable as error:
        return unreachable(name.with_type, error)


class _TableApply:
    def __init__(
        self, controller: PinotController, name: TableName, config: dict[str, Any], reload: bool, force: bool
    ) -> None:
        self.controller = controller
        self.name = name
        self.label = name.with_type
        self.config = config
        self.reload = reload
        self.force = force
        self.path = ("tables", name.raw)

    def run(self) -> Outcome:
        verdict = self.controller.post(("tables", "validate"), self.config, idempotent=True)
        if not verdict.ok:
            return self.refused(verdict)
        if verdict.unrecognized:
            message = f"nothing was written: {describe_unrecognized(verdict.unrecognized)}"
            return Outcome.failed("Rejected", self.label, message, verdict.status)
        held = self.read()
        if isinstance(held, Outcome):
            return held
        return self.create() if held is None else self.converge(held)

    def read(self) -> Mapping[str, Any] | Outcome | None:
        """This half as Pinot holds it, None when absent, or the failure that prevented knowing."""
        reply = self.controller.get(self.path, {"type": self.name.type.lower()})
        if reply.status == 404:
            return None
        if reply.status != 200 or not isinstance(reply.body, dict):
            return failure(reply, self.label)
        half = reply.body.get(self.name.type)
        return half if isinstance(half, Mapping) else None

    def create(self) -> Outcome:
        reply = self.controller.post(("tables",), self.config, idempotent=True)
        if reply.status == 409:  # created by someone else since we looked
            held = self.read()
            if held is None:  # Pinot contradicts itself: report its words rather than loop
                return failure(reply, self.label)
            return held if isinstance(held, Outcome) else self.converge(held)
        if not reply.ok:
            return self.refused(reply)
        return written("Created", self.label, reply)

    def converge(self, held: Mapping[str, Any]) -> Outcome:
        changed = differences(self.config, held)
        if not changed:
            return Outcome.succeeded("Unchanged", self.label, "Pinot already holds this table config", 200)
        params = {"force": "true"} if self.force else {}
        reply = self.controller.put(self.path, self.config, params)
        if not reply.ok:
            return self.refused(reply)
        updated = written("Updated", self.label, reply, f"changed {changed_fields(changed)}")
        if not updated.ok or not self.reload:
            return updated
        return self.reloaded(updated)

    def reloaded(self, updated: Outcome) -> Outcome:
        path = ("segments", self.name.raw, "reload")
        try:
            reply = self.controller.post(path, None, {"type": self.name.type}, idempotent=True)
        except ControllerUnreachable as error:
            message = f"{updated.message}; but reloading its segments failed: {error}"
            return Outcome.failed("Unreachable", self.label, message)
        if not reply.ok:
            failed = failure(reply, self.label)
            message = f"{updated.message}; but reloading its segments failed: {reply.message}"
            return Outcome.failed(failed.reason, self.label, message, reply.status)
        return Outcome.succeeded(
            "Updated", self.label, f"{updated.message}; segment reload started: {reply.message}", 200
        )

    def refused(self, reply: Reply) -> Outcome:
        if reply.status == 400 and _SCHEMA_MISSING.search(reply.message):
            return Outcome.failed("SchemaNotFound", self.label, reply.message, reply.status)
        if reply.status == 400 and _NO_INSTANCES.search(reply.message):
            return Outcome.failed("InsufficientInstances", self.label, reply.message, reply.status)
        return failure(reply, self.label)


def delete_table(controller: PinotController, name: str, table_type: str) -> Outcome:
    """Delete one half, always with `?type=`: a DELETE without it would remove both halves."""
    try:
        table = table_name(name, table_type)
    except ValueError as error:
        return Outcome.failed("InvalidInput", name, str(error))
    try:
        reply = controller.delete(("tables", table.raw), {"type": table.type})
    except ControllerUnreachable as error:
        return unreachable(table.with_type, error)
    return deleted(reply, table.with_type)
