"""Cluster-wide production settings (deep store, Pinot's basic auth, metrics) and what each brings
to the pods of a role: config keys, environment, volumes, init containers, ports, annotations.

`Features` is plain data in the cluster's render inputs (`ClusterContext`), so a pool is rendered
again exactly when a setting that reaches it changes. `additions(role, features)` is a pure
function of the two; the renderers place what it returns.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hooks.cluster import deepstore, metrics, pinotauth
from hooks.cluster.deepstore import DeepStoreFeature
from hooks.cluster.pinotauth import AuthFeature
from hooks.cluster.pinotconf import CONFIG_DIR, DATA_DIR, PORTS
from hooks.cluster.spec import Role, SpecShell
from hooks.memo import Memo, json_key

JsonObject = dict[str, Any]


@dataclass(frozen=True)
class Features:
    deep_store: DeepStoreFeature | None = None
    auth: AuthFeature | None = None
    metrics_port: int | None = None


NONE = Features()


def features(spec: SpecShell, cluster: str, namespace: str) -> Features:
    vip = f"{cluster}-controller.{namespace}.svc"
    found = Features(
        deep_store=deepstore.feature(spec.deepStore, vip),
        auth=pinotauth.feature(spec.auth),
        metrics_port=spec.metrics.port if spec.metrics.enabled else None,
    )
    return NONE if found == NONE else found


@dataclass(frozen=True)
class Additions:
    """What the features add to the pods of one role."""

    config: tuple[tuple[str, str], ...] = ()
    data_dir: str | None = None  # the controller's data dir: the deep store's URI
    env: tuple[JsonObject, ...] = ()
    volumes: tuple[JsonObject, ...] = ()
    mounts: tuple[JsonObject, ...] = ()
    ports: tuple[JsonObject, ...] = ()
    annotations: tuple[tuple[str, str], ...] = ()
    java_flags: tuple[str, ...] = ()
    plugins: tuple[str, ...] = ()
    files: tuple[tuple[str, str], ...] = ()  # extra ConfigMap entries
    auth: AuthFeature | None = field(default=None)  # for the password check and token init container


NOTHING = Additions()


# By the role and the features' JSON: equal keys have equal features.
MEMO: Memo[Additions] = Memo(64)


def additions(role: Role, found: Features) -> Additions:
    if found is NONE:
        return NOTHING
    key = json_key(role, found)
    remembered = MEMO.get(key)
    if remembered is None:
        remembered = _additions(role, found)
        MEMO.put(key, remembered)
    return remembered


def _additions(role: Role, found: Features) -> Additions:
    config: list[tuple[str, str]] = []
    env: list[JsonObject] = []
    volumes: list[JsonObject] = []
    mounts: list[JsonObject] = []
    store, auth = found.deep_store, found.auth
    if store is not None:
        config += deepstore.config_lines(role, store, PORTS["controller"], DATA_DIR[role])
        env += deepstore.env(role, store)
        volumes += deepstore.volumes(role, store)
        mounts += deepstore.mounts(role, store)
    if auth is not None:
        config += pinotauth.config_lines(role, auth)
        env += pinotauth.env(role, auth)
        volumes += pinotauth.volumes(role)
        mounts += pinotauth.mounts(role)
    port = found.metrics_port
    return Additions(
        config=tuple(config),
        data_dir=store.uri if store is not None and store.data_dir and role is Role.CONTROLLER else None,
        env=tuple(env),
        volumes=tuple(volumes),
        mounts=tuple(mounts),
        ports=(metrics.container_port(port),) if port is not None else (),
        annotations=tuple(metrics.scrape_annotations(port).items()) if port is not None else (),
        java_flags=(metrics.agent_flag(port, CONFIG_DIR[role]),) if port is not None else (),
        plugins=deepstore.plugins(role, store) if store is not None else (),
        files=((metrics.CONFIG_NAME, metrics.exporter_config()),) if port is not None else (),
        auth=auth
        if auth is not None and (pinotauth.TOKEN_NAMESPACES[role] or pinotauth.checks(role, auth))
        else None,
    )


def owned_prefixes(role: Role, found: Features) -> tuple[tuple[str, str], ...]:
    """(key or key prefix ending in '.', the field that sets it) for every key the features write."""
    owned: list[tuple[str, str]] = []
    if found.deep_store is not None:
        owned += [(key, "spec.deepStore") for key in deepstore.owned_prefixes(role, found.deep_store)]
    if found.auth is not None:
        owned += [(key, "spec.auth.basic") for key in pinotauth.owned_prefixes(role)]
    return tuple(owned)
