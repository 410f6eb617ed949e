"""A pool's Pinot tags, from `tenant` and `tags`, and what the spec may say about them.

Servers of tenant T are tagged `T_OFFLINE` and `T_REALTIME`, brokers `T_BROKER`; `tags` adds to that
(or stands alone: a server pool with only `T_REALTIME` serves consuming segments only). A pool that
names neither has no tags of ours: Pinot's own stay, and a PinotTenant may retag its instances.
Pinot's tag checks are suffix checks, so every tag must end as its role's tags do.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final, Protocol

from hooks.cluster.spec import PinotSettings, Role

SUFFIXES: Final = {
    Role.SERVER: ("_OFFLINE", "_REALTIME"),
    Role.BROKER: ("_BROKER",),
    Role.MINION: ("_MINION",),
}
MINION_UNTAGGED: Final = "minion_untagged"
BROKER_STARTUP_TAGS: Final = "pinot.broker.instance.tags"
MEMBER_ROLES: Final = frozenset(SUFFIXES)
"""Roles whose instances join tenants, and whose pools membership Jobs look after."""


class TaggedPool(Protocol):
    @property
    def role(self) -> Role: ...
    @property
    def tenant(self) -> str | None: ...
    @property
    def tags(self) -> list[str] | None: ...


def pool_tags(pool: TaggedPool) -> tuple[str, ...] | None:
    """The pool's tags, sorted; None when the pool names no tenant and no tag."""
    if pool.role not in MEMBER_ROLES or (pool.tenant is None and pool.tags is None):
        return None
    found = set(pool.tags or ())
    if pool.tenant is not None and pool.role is Role.SERVER:
        found |= {f"{pool.tenant}_OFFLINE", f"{pool.tenant}_REALTIME"}
    elif pool.tenant is not None and pool.role is Role.BROKER:
        found.add(f"{pool.tenant}_BROKER")
    return tuple(sorted(found))


def broker_tenants(pools: Mapping[str, TaggedPool]) -> dict[str, tuple[str, ...]]:
    """Broker pool name -> the tenants its `_BROKER` tags serve (none: the pool names no tenant)."""
    found = {}
    for name, pool in pools.items():
        if pool.role is Role.BROKER:
            tags = pool_tags(pool) or ()
            found[name] = tuple(tag.removesuffix("_BROKER") for tag in tags if tag.endswith("_BROKER"))
    return found


def startup_properties(pool: TaggedPool) -> list[PinotSettings]:
    """The layer under every other of a broker pool with tags: the tags as its start-up key.

    Pinot reads the key only at a broker's first join, and (through 1.3) only while tenant isolation
    is off; then the broker joins its tenant at once instead of as `broker_untagged`, where a
    PinotTenant could take it before the tag Job runs. Otherwise the key is ignored, and the tag Job
    sets the tags through the API either way. Any layer of the spec that sets the key wins."""
    tags = pool_tags(pool) if pool.role is Role.BROKER else None
    return [PinotSettings(properties={BROKER_STARTUP_TAGS: ",".join(tags)})] if tags else []


def tag_problems(pools: Sequence[TaggedPool]) -> list[tuple[str, str]]:
    """(field, problem) for each thing wrong with the pools' tenants and tags."""
    errors: list[tuple[str, str]] = []
    for index, pool in enumerate(pools):
        if pool.tenant is None and pool.tags is None:
            continue
        path = f"spec.pools[{index}]"
        if pool.tenant is not None and pool.role not in (Role.SERVER, Role.BROKER):
            errors.append(
                (
                    f"{path}.tenant",
                    f"a {pool.role.value} pool serves no tenant; only broker and server pools do",
                )
            )
        if pool.tags is None:
            continue
        if pool.role not in MEMBER_ROLES:
            errors.append((f"{path}.tags", f"a {pool.role.value} pool carries no Pinot tags"))
            continue
        seen: set[str] = set()
        for position, tag in enumerate(pool.tags):
            where = f"{path}.tags[{position}]"
            if tag in seen:
                errors.append((where, f"duplicate tag {tag!r}"))
            seen.add(tag)
            if pool.role is Role.MINION and tag == MINION_UNTAGGED:
                continue
            suffixes = SUFFIXES[pool.role]
            if not tag.endswith(suffixes):
                allowed = " or ".join(f"<name>{s}" for s in suffixes)
                extra = f" (or {MINION_UNTAGGED})" if pool.role is Role.MINION else ""
                errors.append((where, f"{tag!r} is no {pool.role.value} tag: it must be {allowed}{extra}"))
    return errors


TENANT_ROLES: Final = {"SERVER": Role.SERVER, "BROKER": Role.BROKER}


def claimed_by(pools: Any, tenant_role: str, tenant: str) -> tuple[int, str] | None:
    """The first pool of a stored PinotCluster spec (`spec.pools`, as stored: any JSON) whose tags
    name `tenant` for `tenant_role` (SERVER or BROKER): (its index, its name), or None.

    The rule between PinotTenant and pools: a pool that names a tenant (or carries one of its tags)
    owns its instances' tags; a PinotTenant may only retag instances of pools that name none.
    """
    role = TENANT_ROLES.get(tenant_role.upper())
    if role is None or not isinstance(pools, list):
        return None
    suffixes = SUFFIXES[role]
    for index, entry in enumerate(pools):
        if not isinstance(entry, dict) or entry.get("role") != role.value:
            continue
        found = entry.get("tags")
        tags: list[Any] = found if isinstance(found, list) else []
        if entry.get("tenant") == tenant or any(f"{tenant}{suffix}" in tags for suffix in suffixes):
            return index, str(entry.get("name", ""))
    return None
