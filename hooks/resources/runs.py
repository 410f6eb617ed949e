"""A run: one invocation of the Job CLI against one Pinot controller, identified by a hash.

The hash covers everything the command depends on (operation, document, flags, controller URL,
the Secret holding credentials), and nothing else: a new hook image or a cluster that flickers
changes none of it, so a done run is never run again, and any real change runs exactly once.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any, Literal

from hooks.hashing import content_hash
from hooks.jsonio import dumps
from hooks.resources.naming import HASH_LENGTH
from hooks.resources.target import Desired, PinotObject

Operation = Literal["apply", "delete"]
DOCUMENT_DIR = "/etc/pinot-control-plane"
TERMINATION_LOG = "/dev/termination-log"


@dataclass(frozen=True)
class Connection:
    """Where the Pinot controller is, and which Secret (keys username/password) logs in to it."""

    controller_url: str
    secret: str = ""


@dataclass(frozen=True)
class Run:
    operation: Operation
    target: PinotObject
    connection: Connection
    document: dict[str, Any] | None = None
    flags: tuple[str, ...] = ()

    @classmethod
    def apply(cls, desired: Desired, connection: Connection) -> Run:
        return cls("apply", desired.target, connection, desired.document, desired.flags)

    @classmethod
    def delete(cls, target: PinotObject, connection: Connection) -> Run:
        return cls("delete", target, connection)

    @cached_property
    def digest(self) -> str:
        return content_hash(
            {
                "operation": self.operation,
                "kind": self.target.cli_kind,
                "arguments": list(self.target.delete_args if self.operation == "delete" else self.flags),
                "document": self.document,
                "controllerUrl": self.connection.controller_url,
                "authSecret": self.connection.secret,
            },
            HASH_LENGTH,
        )

    @property
    def document_file(self) -> str:
        return f"{self.target.cli_kind}.json"

    def document_text(self) -> str:
        """The document as the ConfigMap holds it: canonical JSON with sorted keys."""
        return dumps(self.document).decode()

    def argv(self) -> list[str]:
        common = ["--controller-url", self.connection.controller_url, "--termination-log", TERMINATION_LOG]
        if self.operation == "delete":
            return ["delete", self.target.cli_kind, *self.target.delete_args, *common]
        return [
            "apply",
            self.target.cli_kind,
            "--file",
            f"{DOCUMENT_DIR}/{self.document_file}",
            *common,
            *self.flags,
        ]
