"""Reading a stored spec field by field, collecting messages that name the field at fault.

The CRDs already enforce most of these rules, but Metacontroller passes on whatever is stored (an
older CRD, a CEL rule skipped on update), so the hook checks again and answers `InvalidSpec`
instead of running a Job for a spec it does not understand.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

JsonObject = dict[str, Any]
DeletionPolicy = Literal["Retain", "Delete"]
DELETION_POLICIES: tuple[DeletionPolicy, ...] = ("Retain", "Delete")


@dataclass(frozen=True)
class SpecError:
    field: str
    problem: str

    def __str__(self) -> str:
        return f"{self.field}: {self.problem}"


class Fields:
    """One spec being read; every reader records what is wrong instead of raising."""

    def __init__(self, spec: Mapping[str, Any]) -> None:
        self.spec = spec
        self.errors: list[SpecError] = []

    def problem(self, field: str, message: str) -> None:
        self.errors.append(SpecError(field, message))

    def value(self, path: str) -> Any:
        current: Any = self.spec
        for part in path.split(".")[1:]:
            if not isinstance(current, Mapping):
                return None
            current = current.get(part)
        return current

    def obj(self, path: str) -> JsonObject | None:
        found = self.value(path)
        if found is None:
            self.problem(path, "is required")
            return None
        if not isinstance(found, dict):
            self.problem(path, "must be an object")
            return None
        return found

    def string(self, path: str) -> str | None:
        found = self.value(path)
        if found is None or found == "":
            self.problem(path, "is required")
            return None
        if not isinstance(found, str):
            self.problem(path, f"must be a string, not {found!r}")
            return None
        return found

    def flag(self, path: str, default: bool) -> bool:
        found = self.value(path)
        if found is None:
            return default
        if not isinstance(found, bool):
            self.problem(path, f"must be true or false, not {found!r}")
            return default
        return found

    def count(self, path: str, default: int | None = None) -> int | None:
        found = self.value(path)
        if found is None:
            if default is None:
                self.problem(path, "is required")
            return default
        if not isinstance(found, int) or isinstance(found, bool) or found < 0:
            self.problem(path, f"must be a whole number of at least 0, not {found!r}")
            return None
        return found

    def choice(self, path: str, allowed: tuple[str, ...]) -> str | None:
        found = self.string(path)
        if found is not None and found not in allowed:
            self.problem(path, f"must be {' or '.join(allowed)}, not {found!r}")
            return None
        return found


@dataclass(frozen=True)
class Common:
    """What every one of the three kinds carries besides its Pinot document."""

    cluster: str
    deletion_policy: DeletionPolicy


def read_common(fields: Fields) -> Common | None:
    cluster = fields.string("spec.clusterRef.name")
    policy = fields.value("spec.deletionPolicy")
    if policy is None:
        policy = "Retain"
    if policy not in DELETION_POLICIES:
        fields.problem("spec.deletionPolicy", f"must be Retain or Delete, not {policy!r}")
        return None
    if cluster is None:
        return None
    return Common(cluster, "Delete" if policy == "Delete" else "Retain")


def deletion_policy(spec: Mapping[str, Any]) -> DeletionPolicy:
    """The policy at deletion time; anything but an explicit Delete keeps the Pinot object."""
    return "Delete" if spec.get("deletionPolicy") == "Delete" else "Retain"
