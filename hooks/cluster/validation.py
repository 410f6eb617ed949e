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

from hooks.cluster.javaprops import key_problem, relaxed, value_problem
from hooks.cluster.pinotconf import Context, owned_context, owned_problem, server_drain
from hooks.cluster.quantity import QuantityError, canonical_quantity
from hooks.cluster.settings import PoolSettings
from hooks.cluster.spec import (
    DNS_LABEL_PATTERN,
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
from hooks.cluster.versions import parse_version, version_of_image
from hooks.membership.tags import tag_problems
from hooks.memo import Memo
from hooks.refusals import SpecError, refusals

MAX_CLUSTER_NAME = 40
MAX_CLUSTER_AND_POOL = 50
RESERVED_ENV = frozenset({"JAVA_OPTS"})
# A Java long, as Pinot reads it; the grace period derived from it is an int64 seconds.
MAX_DRAIN_MS = 2**63 - 1


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
        context = _context(shell, name) if shell is not None else None
        errors += _shell_errors(shell, context) if shell is not None and context is not None else []
        errors += _pools_errors(pools, name, context) if pools is not None else []
        return None, errors
    # The shell's fields as validated (its __dict__; dict(shell) iterates them one by one).
    spec = PinotClusterSpec.model_construct(shell.model_fields_set | {"pools"}, **shell.__dict__, pools=pools)
    problems = semantic_errors(spec, name)
    return (None, problems) if problems else (spec, [])


POOL_LIST: TypeAdapter[list[Pool]] = TypeAdapter(RememberedPools)


def semantic_errors(spec: PinotClusterSpec, name: str) -> list[SpecError]:
    """What the schema cannot say about `spec`."""
    context = _context(spec, name)
    return (
        _name_errors(name)
        + _shell_errors(spec, context)
        + _pools_errors(spec.pools, name, context)
        + _version_errors(spec)
    )


def _name_errors(name: str) -> list[SpecError]:
    return cluster_name_errors(name)


# As the API server matches it: `$` is the end of the name (in Python it would allow a final \n).
_CLUSTER_NAME = re.compile(DNS_LABEL_PATTERN.removesuffix("$") + r"\Z")


def cluster_name_errors(name: str) -> list[SpecError]:
    """What the CRD's rule says of a PinotCluster's `metadata.name`. The name prefixes the children's
    names and, without spec.clusterName, names the Helix cluster: a request with another name did
    not come from the API server, and nothing is rendered from it."""
    if not _CLUSTER_NAME.match(name) or len(name) > MAX_CLUSTER_NAME:
        return [
            SpecError(
                "metadata.name",
                f"must be a DNS label starting with a letter, at most {MAX_CLUSTER_NAME} characters "
                "(it prefixes the names of the children)",
            )
        ]
    return []


def _context(shell: SpecShell, name: str) -> Context:
    """The cluster name, ZooKeeper address and data dir the controller's file holds: an owned key
    set to exactly that in properties is accepted."""
    deep_store = shell.deepStore.uri if shell.deepStore is not None else None
    return owned_context(shell.clusterName or name, shell.zookeeper.address, deep_store)


def _shell_errors(shell: SpecShell, context: Context) -> list[SpecError]:
    return [
        *_order_errors(shell),
        *_context_errors(shell, context),
        *_defaults_findings(shell.defaults, context),
    ]


def _pools_errors(pools: list[Pool], name: str, context: Context | None) -> list[SpecError]:
    errors = _pool_errors(pools, name)
    errors += [SpecError(field, problem) for field, problem in tag_problems(pools)]
    for index, pool in enumerate(pools):
        found = _pool_findings(pool, context)
        if found:  # rarely: the path is only spelled out then
            errors += [SpecError(f"spec.pools[{index}]{e.field}", e.problem) for e in found]
    return errors


def _context_errors(spec: SpecShell, context: Context) -> list[SpecError]:
    """The spec's values the controller's file holds, if it cannot hold them as they are (those
    `owned_context` left out)."""
    errors = []
    known = {field for field, _ in context}
    name, address = spec.clusterName, spec.zookeeper.address
    if name is not None and "spec.clusterName" not in known and (problem := value_problem(name)):
        errors.append(SpecError("spec.clusterName", problem))
    if address is not None and "spec.zookeeper" not in known and (problem := value_problem(address)):
        errors.append(SpecError("spec.zookeeper.address", problem))
    return errors


# Findings by the identity of the model they were found in (and the cluster's context, which owned
# keys are compared with): the spec's models come from the validation memos of
# hooks.cluster.spec, so settings seen before are the very same object, and an edited pool is the
# only one looked at again. An entry keeps its model alive, so its id cannot be taken by another
# while the entry is there.
FINDINGS: Memo[tuple[Defaults | Pool, tuple[SpecError, ...]]] = Memo(1024)
DEFAULTS_PATHS = {role: f"spec.defaults.{role.value}" for role in Role}


def _defaults_findings(defaults: Defaults, context: Context) -> tuple[SpecError, ...]:
    """The findings of every layer of `spec.defaults`, with their whole paths."""
    key = (id(defaults), context)
    found = FINDINGS.get(key)
    if found is None or found[0] is not defaults:
        layers: list[tuple[str, Layer, Role | None]] = [("spec.defaults.common", defaults.common, None)]
        layers += [(path, defaults.for_role(role), role) for role, path in DEFAULTS_PATHS.items()]
        findings = tuple(
            SpecError(path + finding.field, finding.problem)
            for path, layer, role in layers
            for finding in _layer_findings(layer, role, context)
        )
        found = (defaults, findings)
        FINDINGS.put(key, found)
    return found[1]


def _pool_findings(pool: Pool, context: Context | None) -> tuple[SpecError, ...]:
    """The pool's findings, with fields relative to the pool's own path."""
    key = (id(pool), context)
    found = FINDINGS.get(key)
    if found is None or found[0] is not pool:
        found = (pool, _layer_findings(pool, pool.role, context))
        FINDINGS.put(key, found)
    return found[1]


def _layer_findings(layer: Layer | Pool, role: Role | None, context: Context | None) -> tuple[SpecError, ...]:
    return (*_pinot_errors("", layer.pinot, role, context), *_kubernetes_errors("", layer.kubernetes))


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


def _version_errors(spec: PinotClusterSpec) -> list[SpecError]:
    """A stated Pinot version goes with the image it describes and must not contradict its tag."""
    errors = []
    stated: list[tuple[str, str | None, str | None]] = [("spec", spec.image, spec.pinotVersion)]
    stated += [
        (f"spec.pools[{i}]", p.image, p.pinotVersion) for i, p in enumerate(spec.pools) if p.pinotVersion
    ]
    for path, image, version in stated:
        if version is None:
            continue
        if image is None:
            errors.append(SpecError(f"{path}.pinotVersion", "describes the pool's own image: set image too"))
            continue
        tagged = version_of_image(image)
        if tagged is not None and tagged != parse_version(version):
            errors.append(
                SpecError(
                    f"{path}.pinotVersion",
                    f"{version} contradicts the tag of {image} ({tagged}): leave it out or correct it",
                )
            )
    return errors


def _pinot_errors(
    path: str, pinot: PinotSettings, role: Role | None, context: Context | None
) -> list[SpecError]:
    errors = []
    roles = [role] if role is not None else list(Role)
    spellings: dict[str, str] = {}
    for key, value in sorted((pinot.properties or {}).items()):
        problems = [problem for problem in (key_problem(key), value_problem(value)) if problem is not None]
        if not problems:
            other = spellings.setdefault(relaxed(key), key)
            if other != key:
                problems.append(
                    f"is the same key as {other!r} to Pinot, which ignores case, '-' and '_' in keys "
                    "(and refuses to start on a file that holds both); set one of them"
                )
            elif (owned := owned_problem(roles, key, value, context)) is not None:
                problems.append(owned)
        errors += [SpecError(f"{path}.pinot.properties[{key!r}]", problem) for problem in problems]
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
    key, drain = server_drain(server_properties)
    try:
        drain_ms = int(drain)
    except ValueError:
        drain_ms = -1
    if not 0 <= drain_ms <= MAX_DRAIN_MS:
        return [
            SpecError(
                f"{pool_path}.pinot.properties[{key!r}]",
                f"must be a whole number of milliseconds from 0 to {MAX_DRAIN_MS}",
            )
        ]
    if grace_seconds is not None and grace_seconds * 1000 <= drain_ms:
        return [
            SpecError(
                f"{pool_path}.kubernetes.terminationGracePeriodSeconds",
                f"must be longer than {key} ({drain_ms} ms) "
                "or Kubernetes kills servers while they drain queries",
            )
        ]
    return []
