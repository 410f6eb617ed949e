"""Turning Pinot's answers into truthful outcomes, the same way for every kind.

Each kind module handles the answers it expects (404 meaning absent, 409 meaning in use, ...) itself and
hands everything else to `failure`. Nothing is ever read as success or as "exists" just because a body
came back: the old operator treated a 401 or 500 body as "the table exists" and reported success on
failure.
"""

from __future__ import annotations

from hooks.pinotapi.client import ControllerUnreachable, Reply
from hooks.pinotapi.outcome import Outcome, Reason
from hooks.pinotapi.wording import describe_unrecognized

__all__ = ["deleted", "failure", "unreachable", "written"]


def failure(reply: Reply, pinot_name: str) -> Outcome:
    """A failed outcome carrying Pinot's own message and status for an answer the caller did not expect."""
    if reply.status in (401, 403):
        return Outcome.failed("Unauthorized", pinot_name, reply.message, reply.status)
    if 400 <= reply.status < 500 and reply.status != 404:
        return Outcome.failed("Rejected", pinot_name, reply.message, reply.status)
    return Outcome.failed("PinotError", pinot_name, reply.message, reply.status)


def unreachable(pinot_name: str, error: ControllerUnreachable) -> Outcome:
    return Outcome.failed("Unreachable", pinot_name, str(error))


def written(reason: Reason, pinot_name: str, reply: Reply, note: str = "") -> Outcome:
    """The outcome of a successful create or update answer: Pinot's words, then ours.

    Unrecognised properties in the answer fail the outcome (the write happened, but not as asked).
    """
    if reply.unrecognized:
        message = f"{reply.message}; but {describe_unrecognized(reply.unrecognized)}"
        return Outcome.failed("Rejected", pinot_name, message, reply.status)
    message = f"{reply.message}; {note}" if note else reply.message
    return Outcome.succeeded(reason, pinot_name, message, reply.status)


def deleted(reply: Reply, pinot_name: str) -> Outcome:
    """A DELETE answer: 404 means it was already gone (repeating a delete is safe), 2xx deleted."""
    if reply.status == 404:
        return Outcome.succeeded("AlreadyAbsent", pinot_name, reply.message, reply.status)
    if reply.ok:
        return Outcome.succeeded("Deleted", pinot_name, reply.message, reply.status)
    return failure(reply, pinot_name)
