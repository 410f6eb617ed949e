"""One pool rendered: its Pinot config file, the ConfigMap name that carries it, its pod template.

Rendering is a pure function of the pool's resolved settings and the cluster context, and most
sync calls (a pod became ready, another pool's spec changed, a resync) render pools whose inputs
did not change since the previous call. So each distinct input is rendered once and remembered,
in a bounded memo keyed by the exact JSON of the inputs. The pod template is remembered as JSON
bytes and decoded afresh on every call: no dict is ever shared between two answers.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import orjson

from hooks import jsonio
from hooks.cluster import naming
from hooks.cluster.pinotconf import ConfigInput, render_config
from hooks.cluster.settings import PoolSettings
from hooks.cluster.workload import ClusterContext, pod_template
from hooks.hashing import content_hash, digest_of

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


class _Memo:
    """Least recently used first out, at most `entries` inputs."""

    def __init__(self, entries: int) -> None:
        self.entries = entries
        self._found: OrderedDict[bytes, _Remembered] = OrderedDict()

    def get(self, key: bytes) -> _Remembered | None:
        found = self._found.get(key)
        if found is not None:
            self._found.move_to_end(key)
        return found

    def put(self, key: bytes, value: _Remembered) -> None:
        self._found[key] = value
        while len(self._found) > self.entries:
            self._found.popitem(last=False)

    def clear(self) -> None:
        self._found.clear()

    def __len__(self) -> int:
        return len(self._found)


MEMO = _Memo(MEMO_ENTRIES)


def render_pool(pool: PoolSettings, cluster: ClusterContext) -> RenderedPool:
    # Dataclasses, enums and JSON values encode as they are: equal bytes mean equal inputs.
    key = orjson.dumps((pool, cluster))
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
