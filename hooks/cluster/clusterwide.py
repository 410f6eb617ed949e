"""Children of a cluster that follow from its spec alone, not from any pool: the external Services
and the NetworkPolicy. Built and encoded once per distinct input (`hooks.memo`)."""

from __future__ import annotations

from hooks.children import EncodedChild, encoded_child
from hooks.cluster import networkpolicy
from hooks.cluster.services import external_service
from hooks.cluster.spec import Role, SpecShell
from hooks.memo import Memo, json_key

MEMO: Memo[tuple[EncodedChild, ...]] = Memo(128)


def cluster_children(cluster: str, spec: SpecShell) -> tuple[EncodedChild, ...]:
    metrics_port = spec.metrics.port if spec.metrics.enabled else None
    external, policy = spec.externalServices, spec.networkPolicy
    key = json_key(
        cluster,
        external.model_dump(mode="json") if external is not None else None,
        policy.model_dump(mode="json"),
        metrics_port,
    )
    found = MEMO.get(key)
    if found is None:
        children = []
        for role in (Role.CONTROLLER, Role.BROKER):
            service = getattr(external, role.value) if external is not None else None
            if service is not None:
                children.append(encoded_child(external_service(cluster, role, service)))
        inputs = networkpolicy.inputs(policy, external, metrics_port)
        if inputs is not None:
            children.append(encoded_child(networkpolicy.network_policy(cluster, inputs)))
        found = tuple(children)
        MEMO.put(key, found)
    return found
