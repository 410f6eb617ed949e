"""Pinot `.conf` files rendered from the Jinja2 templates in `templates/`.

The templates are the single source of truth for the keys the control plane owns: the owned keys
per role, and the values written for them, are read from the templates themselves, so a user
property can never duplicate one (Pinot refuses to start on a duplicate key, under any spelling).
Every `{{ ... }}` a template writes, comments included, goes through `javaprops.encode`, so a value
reads back exactly or the render fails; validation refuses such values first. Environments are
built once per process; nothing is compiled on the request path, and each distinct config is
rendered once.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

import jinja2
from jinja2 import meta, nodes

from hooks.cluster.javaprops import (
    EnvReference,
    UnwritableProperty,
    encode,
    key_problem,
    lookup,
    merged_by_relaxed,
    relaxed,
    value_problem,
)
from hooks.cluster.spec import Role

PROPERTIES_TEMPLATE = "properties.j2"  # included last by each role's template
PORTS: Mapping[str, int] = {"controller": 9000, "broker": 8099, "netty": 8098, "admin": 8097, "minion": 9514}

CONFIG_DIR = {role: f"/var/pinot/{role.value}/config" for role in Role}
DATA_DIR = {role: f"/var/pinot/{role.value}/data" for role in Role}

# Defaults the control plane chooses but a user may override through properties.
ROLE_DEFAULTS: Mapping[Role, Mapping[str, str]] = {
    Role.CONTROLLER: {},
    Role.BROKER: {"pinot.broker.delayShutdownTimeMs": "10000"},
    Role.SERVER: {
        "pinot.server.shutdown.timeoutMs": "120000",
        "pinot.server.shutdown.enableQueryCheck": "true",
        "pinot.server.startup.enableServiceStatusCheck": "true",
        "pinot.server.startup.timeoutMs": "600000",
        "pinot.server.instance.realtime.alloc.offheap": "true",
    },
    Role.MINION: {},
}


DRAIN_KEY = "pinot.server.shutdown.timeoutMs"


def server_drain(properties: Mapping[str, str]) -> tuple[str, str]:
    """The server's query drain its file will hold, as (key as spelt, milliseconds as written)."""
    return lookup(properties, DRAIN_KEY) or (DRAIN_KEY, ROLE_DEFAULTS[Role.SERVER][DRAIN_KEY])


def config_file_name(role: Role) -> str:
    return f"pinot-{role.value}.conf"


def config_file_path(role: Role) -> str:
    return f"{CONFIG_DIR[role]}/{config_file_name(role)}"


def templates_dir() -> Path:
    configured = os.environ.get("PINOT_CP_TEMPLATES")
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parents[2] / "templates"


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir())),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,  # a Java properties file, not HTML: values are encoded by _written
        finalize=_written,
        auto_reload=False,  # templates never change while serving: no stat() per {% include %}
    )


def _written(value: object) -> str:
    """What a template's `{{ ... }}` writes: the value encoded for a properties file (an
    `EnvReference` the control plane made as it is)."""
    if type(value) is EnvReference:
        return value
    return encode(value if type(value) is str else str(value))


@cache
def _template(role: Role) -> jinja2.Template:
    return _environment().get_template(f"{config_file_name(role)}.j2")


@dataclass(frozen=True)
class ConfigInput:
    role: Role
    pool: str
    cluster_name: str
    zookeeper: str
    properties: Mapping[str, str]
    # Keys the cluster's production settings write (hooks.cluster.features), after the template's.
    owned: tuple[tuple[str, str], ...] = ()
    # The controller's data dir when it is not the pod's own (the deep store's URI).
    data_dir: str | None = None


def render_config(config: ConfigInput) -> str:
    owned = (config.owned, config.data_dir or DATA_DIR[config.role])
    properties = _user_properties(
        config.role, config.cluster_name, config.zookeeper, *owned, tuple(sorted(config.properties.items()))
    )
    if not _properties_render_apart(config.role):
        return _render(config.role, config.pool, config.cluster_name, config.zookeeper, properties, *owned)
    # Most edits change properties only: the owned block is rendered once per pool.
    block = _owned_block(config.role, config.pool, config.cluster_name, config.zookeeper, *owned)
    return block + _properties_block(properties)


@lru_cache(maxsize=512)
def _user_properties(
    role: Role,
    cluster_name: str,
    zookeeper: str,
    features: tuple[tuple[str, str], ...],
    data_dir: str,
    properties: tuple[tuple[str, str], ...],
) -> tuple[tuple[str, str], ...]:
    """The role's defaults and `properties`, merged by relaxed key (`properties` winning), less the
    owned keys they set to the very value the control plane writes. Validation has refused the rest
    (`owned_problem`); reaching here, they are a bug, and fail the render instead of being written."""
    owned = owned_values(role, cluster_name, zookeeper, features, data_dir)
    kept = []
    merged = merged_by_relaxed((ROLE_DEFAULTS[role], dict(properties)))
    for relaxed_key, (key, value) in sorted(merged.items(), key=lambda entry: entry[1]):
        problem = key_problem(key, relaxed_key)
        if problem is not None:
            raise UnwritableProperty(f"{key!r}: {problem}")
        found = owned.get(relaxed_key)
        if found is None:
            kept.append((key, value))
        elif encode(value) != found[1]:
            raise UnwritableProperty(f"{key!r} is owned by the control plane, which writes {'='.join(found)}")
    return tuple(kept)


@lru_cache(maxsize=512)
def _owned_block(
    role: Role,
    pool: str,
    cluster_name: str,
    zookeeper: str,
    features: tuple[tuple[str, str], ...],
    data_dir: str,
) -> str:
    """The role's file without properties: its rendering for none, less what properties.j2 writes
    for none."""
    whole = _render(role, pool, cluster_name, zookeeper, (), features, data_dir)
    return whole[: len(whole) - len(_properties_block(()))]


@lru_cache(maxsize=512)
def _properties_block(properties: tuple[tuple[str, str], ...]) -> str:
    return _properties_template().render(properties=list(properties))


@cache
def _properties_template() -> jinja2.Template:
    """Looked up once: a lookup in the environment's cache cost a change request as much as the
    rendering of a few properties."""
    return _environment().get_template(PROPERTIES_TEMPLATE)


@cache
def _properties_render_apart(role: Role) -> bool:
    env = _environment()
    return renders_apart(env, _source(env, f"{config_file_name(role)}.j2"), _source(env, PROPERTIES_TEMPLATE))


def _source(env: jinja2.Environment, name: str) -> str:
    if env.loader is None:
        raise RuntimeError("the template environment has no loader")
    return env.loader.get_source(env, name)[0]


def renders_apart(env: jinja2.Environment, role_source: str, properties_source: str) -> bool:
    """Whether a role's template renders as its owned block followed by properties.j2: it ends with
    the include, reads `properties` nowhere else, and properties.j2 reads nothing else."""
    tree = env.parse(role_source)
    last = tree.body[-1] if tree.body else None
    return (
        isinstance(last, nodes.Include)
        and isinstance(last.template, nodes.Const)
        and last.template.value == PROPERTIES_TEMPLATE
        and "properties" not in meta.find_undeclared_variables(tree)
        and meta.find_undeclared_variables(env.parse(properties_source)) <= {"properties"}
    )


@lru_cache(maxsize=512)
def _render(
    role: Role,
    pool: str,
    cluster_name: str,
    zookeeper: str,
    properties: tuple[tuple[str, str], ...],
    features: tuple[tuple[str, str], ...] = (),
    data_dir: str | None = None,
) -> str:
    """The text is a pure function of the template's inputs, and most pools are unchanged from one
    sync to the next: each distinct input is rendered once."""
    return _template(role).render(
        pool=pool,
        cluster_name=cluster_name,
        zookeeper=zookeeper,
        ports=PORTS,
        data_dir=data_dir or DATA_DIR[role],
        features=list(features),
        properties=list(properties),
    )


def parse_keys(text: str) -> list[str]:
    """Keys of a rendered properties file, in order (comments and blank lines skipped)."""
    return [key for key, _ in _entries(text)]


def _entries(text: str) -> list[tuple[str, str]]:
    """The `key=value` lines of a file rendered here (one line each: values are encoded)."""
    entries = []
    for line in text.splitlines():
        stripped = line.lstrip()
        if stripped and not stripped.startswith(("#", "!")):
            key, _, value = stripped.partition("=")
            entries.append((key, value))
    return entries


PROBE_POOL = "probe"


@lru_cache(maxsize=512)
def owned_values(
    role: Role,
    cluster_name: str,
    zookeeper: str,
    features: tuple[tuple[str, str], ...] = (),
    data_dir: str | None = None,
) -> Mapping[str, tuple[str, str]]:
    """What the control plane writes in `role`'s file for this cluster (its production settings'
    keys included), by relaxed key: (key, value as written). Rendered past `_render`'s memo, which
    keeps the files pools get."""
    text = _render.__wrapped__(role, PROBE_POOL, cluster_name, zookeeper, (), features, data_dir)
    return {relaxed(key): (key, value) for key, value in _entries(text)}


# Template inputs a user sets through spec fields, and those fields: an owned key written from one
# of them is accepted in properties only with the value the field gives it.
CONTEXT_FIELDS = {
    "cluster_name": "spec.clusterName",
    "zookeeper": "spec.zookeeper",
    "data_dir": "spec.deepStore",
}
# The values of CONTEXT_FIELDS a cluster's files are written with, by field: those known and
# writable. (A managed ensemble's address follows from the namespace, which validation has not.)
Context = tuple[tuple[str, str], ...]


@lru_cache(maxsize=256)
def owned_context(cluster_name: str, zookeeper: str | None, deep_store: str | None) -> Context:
    """The context of a cluster named `cluster_name` (Helix), on ZooKeeper `zookeeper` (None when
    managed), whose controllers keep segments in `deep_store` (None: their own data directory)."""
    values = {
        "cluster_name": cluster_name,
        "zookeeper": zookeeper,
        "data_dir": deep_store or DATA_DIR[Role.CONTROLLER],
    }
    return tuple(
        (CONTEXT_FIELDS[name], value)
        for name, value in values.items()
        if value is not None and value_problem(value) is None
    )


def _probes(role: Role) -> dict[str, tuple[str, str]]:
    """Two values of each template input a spec field sets: the first is the one `ownership` is
    described with."""
    probes = {"cluster_name": ("probe-a", "probe-b"), "zookeeper": ("probe-a:2181", "probe-b:2181")}
    if role is Role.CONTROLLER:  # the one data dir the spec moves (to the deep store)
        probes["data_dir"] = (DATA_DIR[role], "probe-b://segments")
    return probes


@dataclass(frozen=True)
class Owned:
    key: str  # as the template spells it
    value: str  # as written, for a cluster whose context is the probe's
    sources: tuple[str, ...]  # the spec fields it is written from, when its value depends on the spec


@cache
def ownership(role: Role) -> Mapping[str, Owned]:
    """The keys `role`'s template owns, by relaxed key; which of them follow the spec is found by
    rendering the template for two values of each spec field."""
    owned = {}
    probes = _probes(role)
    first = {name: values[0] for name, values in probes.items()}
    base = owned_values(role, **first)
    moved = {name: owned_values(role, **{**first, name: values[1]}) for name, values in probes.items()}
    for relaxed_key, (key, value) in base.items():
        sources = tuple(
            CONTEXT_FIELDS[name] for name, other in moved.items() if other[relaxed_key][1] != value
        )
        owned[relaxed_key] = Owned(key, value, sources)
    return owned


def owned_keys(role: Role) -> frozenset[str]:
    return frozenset(owned.key for owned in ownership(role).values())


def owned_problem(roles: Iterable[Role], key: str, value: str, context: Context | None) -> str | None:
    """Why `key: value` cannot be set in the properties of `roles`, if it is a key one of them owns
    (under any spelling) set to something else than what the control plane writes for this cluster
    (`context`: `owned_context`; None when the spec's other fields are invalid, so that keys written
    from them are not compared). `value` must be writable (`javaprops.value_problem`)."""
    relaxed_key = relaxed(key)
    for role in roles:
        owned = ownership(role).get(relaxed_key)
        if owned is None:
            continue
        sources = " and ".join(owned.sources)
        if not owned.sources:
            written = owned.value
        elif context is None:
            continue
        else:
            known = dict(context)
            if not all(source in known for source in owned.sources):
                return f"is owned by the control plane, which writes {owned.key} from {sources}"
            inputs = {
                name: known.get(CONTEXT_FIELDS[name], first) for name, (first, _) in _probes(role).items()
            }
            written = owned_values(role, **inputs)[relaxed_key][1]
        if encode(value) == written:
            continue  # the very line the control plane writes: it is written once
        if owned.sources:
            return f"is owned by the control plane, which writes {owned.key} from {sources}; set it there"
        return (
            f"is owned by the control plane, which writes {owned.key}={written}; "
            "leave it out or set exactly that value"
        )
    return None
