"""One pool rendered: its Pinot config file, the ConfigMap name that carries it, its pod template.

Rendering is a pure function of the pool's resolved settings and the cluster context: each
distinct input is rendered once and remembered (`hooks.memo`). The pod template is remembered as
JSON bytes and decoded afresh on every call, so no dict is ever shared between two answers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hooks import jsonio
from hooks.cluster import naming
from hooks.cluster.pinotconf import ConfigInput, render_config
from hooks.cluster.settings import PoolSettings
from hooks.cluster.workload import ClusterContext, pod_template
from hooks.hashing import content_hash, digest_of
from hooks.memo import Memo, json_key

JsonObject = dict[str, Any]

MEMO_ENTRIES = 512  # pools; a few KiB each


@dataclass(frozen=True)
class RenderedPool:
    settings: PoolSettings
    config_name: str
    config_hash: str
    config_text: str
    template_hash: str
    template: JsonObject  # the pod template, built once per sync for both its hash and the StatefulSet


@dataclass(frozen=True)
class _Remembered:
    config_name: str
    config_hash: str
    config_text: str
    template_hash: str
    template_json: bytes


MEMO: Memo[_Remembered] = Memo(MEMO_ENTRIES)


def render_pool(pool: PoolSettings, cluster: ClusterContext) -> RenderedPool:
    key = json_key(pool, cluster)
    found = MEMO.get(key)
    if found is None:
        found = _render(pool, cluster)
        MEMO.put(key, found)
    return RenderedPool(
        pool,
        found.config_name,
        found.config_hash,
        found.config_text,
        found.template_hash,
        jsonio.loads(found.template_json),
    )


def _render(pool: PoolSettings, cluster: ClusterContext) -> _Remembered:
    text = render_config(
        ConfigInput(
            role=pool.role,
            pool=pool.name,
            cluster_name=cluster.helix_cluster,
            zookeeper=cluster.zookeeper,
            properties=pool.pinot.properties,
        )
    )
    digest = content_hash(text)
    name = naming.config_map_name(cluster.name, pool.name, digest)
    labels = naming.pool_labels(cluster.name, pool.name, pool.role, naming.image_version(pool.image))
    template_json = jsonio.dumps(pod_template(pool, cluster, name, labels))
    return _Remembered(name, digest, text, digest_of(template_json), template_json)
