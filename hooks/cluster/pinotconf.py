"""Pinot `.conf` files rendered from the Jinja2 templates in `templates/`.

The templates are the single source of truth for the keys the control plane owns: the set of
owned keys per role is read from the templates themselves at import, so a user property can
never duplicate one (newer Pinot refuses to start on a duplicate key). Environments are built
once per process; nothing is compiled on the request path, and each distinct config is rendered once.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

import jinja2
from jinja2 import meta, nodes

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
        autoescape=False,  # a Java properties file, not HTML
        auto_reload=False,  # templates never change while serving: no stat() per {% include %}
    )


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
    merged = dict(ROLE_DEFAULTS[config.role])
    merged.update(config.properties)
    properties = tuple(sorted(merged.items()))
    owned = (config.owned, config.data_dir or DATA_DIR[config.role])
    if not _properties_render_apart(config.role):
        return _render(config.role, config.pool, config.cluster_name, config.zookeeper, properties, *owned)
    # Most edits change properties only: the owned block is rendered once per pool.
    block = _owned_block(config.role, config.pool, config.cluster_name, config.zookeeper, *owned)
    return block + _properties_block(properties)


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
    return _environment().get_template(PROPERTIES_TEMPLATE).render(properties=list(properties))


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
    keys = []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith(("#", "!")):
            keys.append(stripped.split("=", 1)[0])
    return keys


@cache
def owned_keys(role: Role) -> frozenset[str]:
    probe = ConfigInput(role=role, pool="probe", cluster_name="probe", zookeeper="probe:2181", properties={})
    rendered = _template(role).render(
        pool=probe.pool,
        cluster_name=probe.cluster_name,
        zookeeper=probe.zookeeper,
        ports=PORTS,
        data_dir=DATA_DIR[role],
        features=[],
        properties=[],
    )
    return frozenset(parse_keys(rendered))
