"""Strict Kubernetes OpenAPI validation of emitted objects, for the oldest and newest supported minors."""

from __future__ import annotations

from typing import Any

import kubernetes_validate

OLDEST = "1.30"
NEWEST = ".".join(kubernetes_validate.latest_version().split(".")[:2])
VERSIONS = (OLDEST, NEWEST)


def strict_errors(obj: dict[str, Any]) -> list[str]:
    """Every version's complaint about `obj`, or [] when both accept it."""
    problems = []
    for version in VERSIONS:
        try:
            kubernetes_validate.validate(obj, version, strict=True)
        except kubernetes_validate.ValidationError as exc:
            problems.append(
                f"{version} {obj['kind']}/{obj['metadata']['name']}: {exc.message} at {list(exc.path)}"
            )
    return problems
