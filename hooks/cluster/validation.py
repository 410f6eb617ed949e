"""Turning a stored PinotCluster spec into a validated model, or into messages naming fields.

The CRD already enforces most of this, but CRDs drift between versions and Metacontroller passes
on whatever is stored, so the hook checks again and answers `InvalidSpec` instead of acting on a
spec it does not understand.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from pydantic import TypeAdapter, ValidationError

from hooks.cluster.pinotconf import ROLE_DEFAULTS, owned_keys
from hooks.cluster.quantity import QuantityError, canonical_quantity
from hooks.cluster.settings import PoolSettings
from hooks.cluster.spec import (
    SHELLS,
    Defaults,
    KubernetesSettings,
    Layer,
    PinotClusterSpec,
    PinotSettings,
    Pool,
    RememberedPools,
    Role,
    SpecShell,
    validated_once,
)
from hooks.memo import Memo
from hooks.refusals import SpecError, refusals

PROPERTY_KEY = re.compile(r"^[A-Za-z0-9_.\-]+$")
MAX_CLUSTER_NAME = 40
MAX_CLUSTER_AND_POOL = 50
RESERVED_ENV = frozenset({"JAVA_OPTS"})
# A Java long, as Pinot reads it; the grace period derived from it is an int64 seconds.
MAX_DRAIN_MS = 2**63 - 1
# Owned keys that a first-class field of the spec sets (named when the key is refused).
FIRST_CLASS_FIELDS = {"controller.data.dir": "spec.deepStore"}


def parse_spec(raw: Any, name: str) -> tuple[PinotClusterSpec | None, list[SpecError]]:
    if not isinstance(raw, dict):
        return None, [SpecError("spec", "must be an object")]
    errors: list[SpecError] = []
    shell: SpecShell | None = None
    pools: list[Pool] | None = None
    try:
        # The shell (all but the pools) and each pool are validated once per distinct document.
        shell_raw = {key: value for key, value in raw.items() if key != "pools"}
        shell = validated_once(SHELLS, shell_raw, SpecShell.model_validate)
    except ValidationError as exc:
        errors += refusals(exc, SpecShell)
    if "pools" not in raw:
        errors.append(SpecError("spec.pools", "Field required"))
    else:
        try:
            pools = POOL_LIST.validate_python(raw["pools"])
        except ValidationError as exc:
            errors += refusals(exc, RememberedPools, ("pools",))
    if errors or shell is None or pools is None:
        # Whatever the valid parts say too, so that every problem is reported at once.
        errors += _name_errors(name)
        errors += _shell_errors(shell) if shell is not None else []
        errors += _pools_errors(pools, name) if pools is not None else []
        return None, errors
    # The shell's fields as validated (its __dict__; dict(shell) iterates them one by one).
    spec = PinotClusterSpec.model_construct(shell.model_fields_set | {"pools"}, **shell.__dict__, pools=pools)
    problems = semantic_errors(spec, name)
    return (None, problems) if problems else (spec, [])


POOL_LIST: TypeAdapter[list[Pool]] = TypeAdapter(RememberedPools)


def semantic_errors(spec: PinotClusterSpec, name: str) -> list[SpecError]:
    """What the schema cannot say about `spec`."""
    return _name_errors(name) + _shell_errors(spec) + _pools_errors(spec.pools, name)


def _name_errors(name: str) -> list[SpecError]:
    if len(name) > MAX_CLUSTER_NAME:
        return [SpecError("metadata.name", f"must be at most {MAX_CLUSTER_NAME} characters")]
    return []


def _shell_errors(shell: SpecShell) -> list[SpecError]:
    return [*_order_errors(shell), *_defaults_findings(shell.defaults)]


def _pools_errors(pools: list[Pool], name: str) -> list[SpecError]:
    errors = _pool_errors(pools, name)
    for index, pool in enumerate(pools):
        found = _pool_findings(pool)
        if found:  # rarely: the path is only spelled out then
            errors += [SpecError(f"spec.pools[{index}]{e.field}", e.problem) for e in found]
    return errors


# Findings by the identity of the model they were found in: the spec's models come from the
# validation memos of hooks.cluster.spec, so settings seen before are the very same object, and
# an edited pool is the only one looked at again. An entry keeps its model alive, so its id cannot
# be taken by another while the entry is there.
FINDINGS: Memo[tuple[Defaults | Pool, tuple[SpecError, ...]]] = Memo(1024)
DEFAULTS_PATHS = {role: f"spec.defaults.{role.value}" for role in Role}


def _defaults_findings(defaults: Defaults) -> tuple[SpecError, ...]:
    """The findings of every layer of `spec.defaults`, with their whole paths."""
    found = FINDINGS.get(id(defaults))
    if found is None or found[0] is not defaults:
        layers: list[tuple[str, Layer, Role | None]] = [("spec.defaults.common", defaults.common, None)]
        layers += [(path, defaults.for_role(role), role) for role, path in DEFAULTS_PATHS.items()]
        findings = tuple(
            SpecError(path + finding.field, finding.problem)
            for path, layer, role in layers
            for finding in _layer_findings(layer, role)
        )
        found = (defaults, findings)
        FINDINGS.put(id(defaults), found)
    return found[1]


def _pool_findings(pool: Pool) -> tuple[SpecError, ...]:
    """The pool's findings, with fields relative to the pool's own path."""
    found = FINDINGS.get(id(pool))
    if found is None or found[0] is not pool:
        found = (pool, _layer_findings(pool, pool.role))
        FINDINGS.put(id(pool), found)
    return found[1]


def _layer_findings(layer: Layer | Pool, role: Role | None) -> tuple[SpecError, ...]:
    return (*_pinot_errors("", layer.pinot, role), *_kubernetes_errors("", layer.kubernetes))


def _pool_errors(pools: list[Pool], name: str) -> list[SpecError]:
    errors = []
    seen: set[str] = set()
    repeated: set[str] = set()
    for pool in pools:
        (repeated if pool.name in seen else seen).add(pool.name)
    for index, pool in enumerate(pools):
        if _good_pool_name(pool.name, len(name)) and pool.name not in repeated:
            continue  # the usual case: no path to spell out
        path = f"spec.pools[{index}]"
        if len(name) + len(pool.name) > MAX_CLUSTER_AND_POOL:
            errors.append(
                SpecError(
                    f"{path}.name",
                    f"cluster name and pool name together must be at most {MAX_CLUSTER_AND_POOL} "
                    "characters so that child names stay valid DNS labels",
                )
            )
        if pool.name in repeated:
            errors.append(SpecError(f"{path}.name", f"duplicate pool name {pool.name!r}"))
    present = {pool.role for pool in pools}
    for role in (Role.CONTROLLER, Role.BROKER, Role.SERVER):
        if role not in present:
            errors.append(SpecError("spec.pools", f"needs at least one {role.value} pool"))
    return errors


def _good_pool_name(pool: str, cluster_name_length: int) -> bool:
    """The name's syntax is the model's; here only what depends on the cluster's name."""
    return cluster_name_length + len(pool) <= MAX_CLUSTER_AND_POOL


ROLES = frozenset(Role)


def _order_errors(spec: SpecShell) -> list[SpecError]:
    if len(spec.deploymentOrder) != len(ROLES) or set(spec.deploymentOrder) != ROLES:
        return [
            SpecError(
                "spec.deploymentOrder",
                "must list each of controller, broker, server and minion exactly once",
            )
        ]
    return []


def _pinot_errors(path: str, pinot: PinotSettings, role: Role | None) -> list[SpecError]:
    errors = []
    roles = [role] if role is not None else list(Role)
    for key, value in (pinot.properties or {}).items():
        where = f"{path}.pinot.properties[{key!r}]"
        if not PROPERTY_KEY.match(key):
            errors.append(SpecError(where, "keys may hold only letters, digits, '.', '_' and '-'"))
        elif any(key in owned_keys(r) for r in roles):
            instead = FIRST_CLASS_FIELDS.get(key)
            errors.append(
                SpecError(where, f"is owned by the control plane: set {instead} instead")
                if instead
                else SpecError(where, "is owned by the control plane and cannot be set")
            )
        if "\n" in value or "\r" in value:
            errors.append(SpecError(where, "values must be a single line"))
    for i, plugin in enumerate(pinot.plugins or []):
        if not plugin or any(c in plugin for c in ", \t\n"):
            errors.append(
                SpecError(f"{path}.pinot.plugins[{i}]", "must be a plugin name without ',' or spaces")
            )
    if pinot.jvmOpts is not None and ("\n" in pinot.jvmOpts):
        errors.append(SpecError(f"{path}.pinot.jvmOpts", "must be a single line"))
    return errors


def _kubernetes_errors(path: str, kube: KubernetesSettings) -> list[SpecError]:
    errors = []
    for i, entry in enumerate(kube.env or []):
        env_name = entry.get("name")
        if not isinstance(env_name, str) or not env_name:
            errors.append(SpecError(f"{path}.kubernetes.env[{i}].name", "is required"))
        elif env_name in RESERVED_ENV:
            errors.append(
                SpecError(
                    f"{path}.kubernetes.env[{i}].name", f"{env_name} is set from pinot.jvmOpts and plugins"
                )
            )
    if kube.storage is not None and kube.storage.size is not None:
        try:
            canonical_quantity(kube.storage.size)
        except QuantityError as exc:
            errors.append(SpecError(f"{path}.kubernetes.storage.size", str(exc)))
    errors += resources_errors(f"{path}.kubernetes.resources", kube.resources)
    return errors


def resources_errors(path: str, resources: dict[str, Any] | None) -> list[SpecError]:
    errors = []
    for section, values in (resources or {}).items():
        if section not in ("limits", "requests", "claims"):
            errors.append(SpecError(f"{path}.{section}", "unknown field (expected limits, requests, claims)"))
            continue
        if section == "claims":
            continue
        if not isinstance(values, dict):
            errors.append(SpecError(f"{path}.{section}", "must be a map of resource names to quantities"))
            continue
        for resource, quantity in values.items():
            try:
                canonical_quantity(quantity)
            except QuantityError as exc:
                errors.append(SpecError(f"{path}.{section}.{resource}", str(exc)))
    return errors


def layered_errors(pools: Sequence[PoolSettings]) -> list[SpecError]:
    """What only a pool's layered settings show: a server's query drain against its grace period."""
    return [
        error
        for pool in pools
        if pool.role is Role.SERVER
        for error in grace_errors(
            f"spec.pools[{pool.index}]", pool.kubernetes.grace_seconds, pool.pinot.properties
        )
    ]


def grace_errors(
    pool_path: str, grace_seconds: int | None, server_properties: dict[str, str]
) -> list[SpecError]:
    """A server drains queries for a whole number of milliseconds, and must be given longer to stop
    (`grace_seconds`, when the spec sets it; else the control plane derives it from the drain)."""
    drain = server_properties.get(
        "pinot.server.shutdown.timeoutMs", ROLE_DEFAULTS[Role.SERVER]["pinot.server.shutdown.timeoutMs"]
    )
    try:
        drain_ms = int(drain)
    except ValueError:
        drain_ms = -1
    if not 0 <= drain_ms <= MAX_DRAIN_MS:
        return [
            SpecError(
                f"{pool_path}.pinot.properties['pinot.server.shutdown.timeoutMs']",
                f"must be a whole number of milliseconds from 0 to {MAX_DRAIN_MS}",
            )
        ]
    if grace_seconds is not None and grace_seconds * 1000 <= drain_ms:
        return [
            SpecError(
                f"{pool_path}.kubernetes.terminationGracePeriodSeconds",
                f"must be longer than pinot.server.shutdown.timeoutMs ({drain_ms} ms) "
                "or Kubernetes kills servers while they drain queries",
            )
        ]
    return []
