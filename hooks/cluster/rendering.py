"""One pool rendered: its Pinot config file, the ConfigMap that carries it, its pod template, and
the children that follow from those alone.

Rendering is a pure function of the pool's resolved settings and the cluster context: each
distinct input is rendered once and remembered (`hooks.memo`). What is remembered is JSON only
(bytes, and `Encoded` values the answer is encoded around), so no dict is ever shared between
two answers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from hooks import jsonio
from hooks.children import CHILD_DEPTH, EncodedChild, encoded_child
from hooks.cluster import naming
from hooks.cluster.features import additions
from hooks.cluster.pinotconf import ConfigInput, render_config
from hooks.cluster.services import config_map, disruption_budget, headless_service
from hooks.cluster.settings import PoolSettings
from hooks.cluster.spec import Role
from hooks.cluster.workload import (
    IMMUTABLE_STATEFULSET_FIELDS,
    ClusterContext,
    PodInputs,
    immutable_spec,
    pod_inputs,
    pod_template_parts,
    pod_volumes,
    statefulset,
)
from hooks.hashing import content_hash, digest_of
from hooks.jsonio import Encoded
from hooks.memo import Memo, json_key

JsonObject = dict[str, Any]

MEMO_ENTRIES = 512  # pools; a few KiB each
# A pod template sits in an answer's `children` list, in a StatefulSet, in its spec.
TEMPLATE_DEPTH = CHILD_DEPTH + 2


@dataclass(frozen=True)
class RenderedPool:
    settings: PoolSettings
    cluster: ClusterContext
    config_name: str
    config_hash: str
    config_text: str
    template_hash: str
    template_json: bytes  # the pod template as `jsonio.dumps` encodes it; its digest is template_hash
    encoded_template: Encoded = field(compare=False)  # the same JSON, to place in a StatefulSet
    companions: tuple[EncodedChild, ...]  # the pool's headless Service, PDB and config ConfigMap
    # The StatefulSet's fields Kubernetes never changes, as this pool wants them (JSON, read-only).
    immutable: tuple[tuple[str, Any], ...]
    # Encoded StatefulSets by partition, filled as partitions are asked for: each is a pure
    # function of this pool and its partition, so the cache only saves building it again.
    _statefulsets: dict[int, EncodedChild] = field(default_factory=dict, compare=False, repr=False)

    @property
    def template(self) -> JsonObject:
        """The pod template, decoded afresh on every call."""
        decoded: JsonObject = jsonio.loads(self.template_json)
        return decoded

    def statefulset(self, partition: int) -> JsonObject:
        """The pool's StatefulSet, a fresh dict around the encoded pod template."""
        return statefulset(self.settings, self.cluster, partition, self.encoded_template, self.template_hash)

    def encoded_statefulset(self, partition: int) -> EncodedChild:
        found = self._statefulsets.get(partition)
        if found is None:
            found = self._statefulsets[partition] = encoded_child(self.statefulset(partition))
        return found

    def keeps_immutable(self, stored_spec: JsonObject) -> bool:
        """Whether an observed StatefulSet spec holds every immutable field as this pool wants it."""
        return all(stored_spec.get(name) == wanted for name, wanted in self.immutable)


# By the identity of the pool's settings (remembered themselves, by hooks.cluster.settings) and
# the cluster context's JSON. The entry keeps the settings alive (RenderedPool.settings), so
# their id cannot be taken by others while it is there.
MEMO: Memo[RenderedPool] = Memo(MEMO_ENTRIES)


def render_pool(pool: PoolSettings, cluster: ClusterContext) -> RenderedPool:
    key = (id(pool), json_key(cluster))
    found = MEMO.get(key)
    if found is None or found.settings is not pool:
        found = _render(pool, cluster)
        MEMO.put(key, found)
    return found


@lru_cache(maxsize=MEMO_ENTRIES)
def _pool_services(cluster: str, pool: str, role: Role) -> tuple[EncodedChild, EncodedChild]:
    """A pool's headless Service and PDB: they follow from its name and role alone, so a change
    to the rest of the pool does not build them again."""
    return encoded_child(headless_service(cluster, pool, role)), encoded_child(
        disruption_budget(cluster, pool, role)
    )


# Encoded pod template parts by their inputs' JSON: a change of the config alone (a new config map
# name) builds the template around them; see hooks.cluster.workload.PodInputs.
TEMPLATE_PARTS: Memo[tuple[Encoded, dict[str, Encoded]]] = Memo(MEMO_ENTRIES)


def _encoded_template_parts(inputs: PodInputs) -> tuple[Encoded, dict[str, Encoded]]:
    key = json_key(*inputs)
    found = TEMPLATE_PARTS.get(key)
    if found is None:
        metadata, spec = pod_template_parts(inputs)
        found = (
            Encoded(jsonio.dumps_nested(metadata, TEMPLATE_DEPTH + 1)),
            {name: Encoded(jsonio.dumps_nested(value, TEMPLATE_DEPTH + 2)) for name, value in spec.items()},
        )
        TEMPLATE_PARTS.put(key, found)
    return found


def _render(pool: PoolSettings, cluster: ClusterContext) -> RenderedPool:
    added = additions(pool.role, cluster.features)
    text = render_config(
        ConfigInput(
            role=pool.role,
            pool=pool.name,
            cluster_name=cluster.helix_cluster,
            zookeeper=cluster.zookeeper,
            properties=pool.pinot.properties,
            owned=added.config,
            data_dir=added.data_dir,
        )
    )
    # The ConfigMap's name covers every file in it: pods keep the content they started with.
    digest = content_hash(text) if not added.files else content_hash([text, *added.files])
    name = naming.config_map_name(cluster.name, pool.name, digest)
    metadata, spec = _encoded_template_parts(pod_inputs(pool, cluster))
    template = {"metadata": metadata, "spec": {**spec, "volumes": pod_volumes(name, added.volumes)}}
    template_json = jsonio.dumps_nested(template, TEMPLATE_DEPTH)
    companions = (
        *_pool_services(cluster.name, pool.name, pool.role),
        encoded_child(config_map(pool, cluster, name, digest, text, added.files)),
    )
    wanted = immutable_spec(pool, cluster)
    immutable = tuple((key, wanted.get(key)) for key in IMMUTABLE_STATEFULSET_FIELDS)
    return RenderedPool(
        pool,
        cluster,
        name,
        digest,
        text,
        digest_of(template_json),
        template_json,
        Encoded(template_json),
        companions,
        immutable,
    )
