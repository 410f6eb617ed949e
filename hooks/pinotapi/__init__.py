"""Talking to a Pinot controller: what the schema, table and tenant Jobs run.

The hooks never call Pinot. They emit Jobs running `pinot-control-plane apply|delete ...`
(`command.py`), which compare with what Pinot holds (`normalise.py`), create, update or delete through
`PinotController` (`client.py`), and report one `Outcome` line (`outcome.py`) in the termination log.
"""

from hooks.pinotapi.client import ControllerUnreachable, PinotController, Reply, RetryPolicy
from hooks.pinotapi.normalise import differences, matches
from hooks.pinotapi.outcome import Outcome
from hooks.pinotapi.schemas import apply_schema, delete_schema
from hooks.pinotapi.tables import apply_table, delete_table
from hooks.pinotapi.tenants import apply_tenant, delete_tenant

__all__ = [
    "ControllerUnreachable",
    "Outcome",
    "PinotController",
    "Reply",
    "RetryPolicy",
    "apply_schema",
    "apply_table",
    "apply_tenant",
    "delete_schema",
    "delete_table",
    "delete_tenant",
    "differences",
    "matches",
]
