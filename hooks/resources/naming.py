"""Names and labels of the Jobs and ConfigMaps a resource owns.

A run's name is `<resource>-<hash>` (apply) or `<resource>-delete-<hash>` (delete): the hash is the
run's identity, so the name alone tells whether the current spec already has its Job.
"""

from __future__ import annotations

from hooks import GROUP
from hooks.refusals import SpecError
from hooks.resources.kinds import ResourceKind

HASH_LENGTH = 10
MAX_OBJECT_NAME = 63  # a Job's name is also the value of its Pods' `job-name` label
DELETE_INFIX = "-delete-"
MAX_RESOURCE_NAME = MAX_OBJECT_NAME - len(DELETE_INFIX) - HASH_LENGTH
OPERATION_LABEL = f"{GROUP}/operation"
RUN_LABEL = f"{GROUP}/run"
MANAGED_BY = "pinot-control-plane"


def run_name(resource: str, operation: str, digest: str) -> str:
    if operation == "delete":
        return f"{resource}{DELETE_INFIX}{digest}"
    return f"{resource}-{digest}"


def name_errors(resource: str) -> list[SpecError]:
    if len(resource) <= MAX_RESOURCE_NAME:
        return []
    return [
        SpecError(
            "metadata.name",
            f"must be at most {MAX_RESOURCE_NAME} characters so that its Job names "
            f"(<name>{DELETE_INFIX}<{HASH_LENGTH} hex>) fit in {MAX_OBJECT_NAME}; it has {len(resource)}",
        )
    ]


def is_label_value(value: str) -> bool:
    return len(value) <= MAX_OBJECT_NAME


def run_labels(kind: ResourceKind, resource: str, operation: str, digest: str) -> dict[str, str]:
    """Labels on a run's Job, ConfigMap and Pods: which resource, which operation, which run."""
    return {
        "app.kubernetes.io/name": "pinot-control-plane",
        "app.kubernetes.io/component": f"{kind.singular}-{operation}",
        "app.kubernetes.io/managed-by": MANAGED_BY,
        kind.label: resource,
        OPERATION_LABEL: operation,
        RUN_LABEL: digest,
    }
