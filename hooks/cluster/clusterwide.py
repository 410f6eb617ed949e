"""Children of a cluster beside its pools: the external Services and the NetworkPolicy. They follow
from the spec, from whether the policy is on (`hooks.cluster.networkpolicy.enabled`, decided from
observed state) and the servers' gRPC ports; built and encoded once per distinct input
(`hooks.memo`)."""

from __future__ import annotations

from collections.abc import Sequence

from hooks.children import EncodedChild, encoded_child
from hooks.cluster import networkpolicy
from hooks.cluster.services import external_service
from hooks.cluster.settings import PoolSettings
from hooks.cluster.spec import Role, SpecShell
from hooks.memo import Memo, json_key

MEMO: Memo[tuple[EncodedChild, ...]] = Memo(128)
GRPC_PORT = "pinot.server.grpc.port"
DEFAULT_GRPC_PORT = 8090


def grpc_ports(pools: Sequence[PoolSettings]) -> tuple[int, ...]:
    """The gRPC port of each server pool (Pinot's default unless its properties set another)."""
    found = set()
    for pool in pools:
        if pool.role is Role.SERVER:
            port = str(pool.pinot.properties.get(GRPC_PORT, DEFAULT_GRPC_PORT)).strip()
            found.add(int(port) if port.isdigit() and 0 < int(port) < 65536 else DEFAULT_GRPC_PORT)
    return tuple(sorted(found))


def cluster_children(
    cluster: str, spec: SpecShell, policy_on: bool, grpc: tuple[int, ...]
) -> tuple[EncodedChild, ...]:
    metrics_port = spec.metrics.port if spec.metrics.enabled else None
    external, policy = spec.externalServices, spec.networkPolicy
    key = json_key(
        cluster,
        external.model_dump(mode="json") if external is not None else None,
        policy.model_dump(mode="json", by_alias=True),
        metrics_port,
        policy_on,
        grpc,
    )
    found = MEMO.get(key)
    if found is None:
        children = []
        for role in (Role.CONTROLLER, Role.BROKER):
            service = getattr(external, role.value) if external is not None else None
            if service is not None:
                children.append(encoded_child(external_service(cluster, role, service)))
        if policy_on:
            inputs = networkpolicy.inputs(policy, external, metrics_port, grpc)
            children.append(encoded_child(networkpolicy.network_policy(cluster, inputs)))
        found = tuple(children)
        MEMO.put(key, found)
    return found
