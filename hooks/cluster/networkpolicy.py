"""The cluster's NetworkPolicy: who may reach the Pinot pods, and on which ports.

- Pinot pods of the cluster reach each other on every port (Helix, queries, segment transfer,
  the multi-stage engine).
- The control plane's Jobs in the namespace (schemas, tables, tenants) reach the controller.
- Broker queries come from `brokerClients` (unset: every pod of the namespace); the controller's
  port (its REST API can delete tables) only from `controllerClients` besides the two above.
- Server queries (netty, and gRPC for clients such as the Presto, Trino and Spark connectors) from
  `serverClients` besides the cluster's own pods (unset: nobody else).
- An external Service's clients reach its role's port from where the Service admits them: its
  `loadBalancerSourceRanges`, or any address when it has none (a NodePort Service, or a
  LoadBalancer without ranges), so that the policy never blocks what the Service exposes.
- The metrics port, when metrics are on, from `metricsClients` (unset: any source).

Only ingress is restricted: Pinot reaches ZooKeeper, the deep store and streams wherever they are.
Kubelet probes come from the node and are not subject to the policy.

When. `spec.networkPolicy.enabled` decides; unset, the policy is on for a cluster created with it and
off for one whose pools existed before it (`enabled`): a new policy on a running cluster admits only
the clients it lists, which cuts off every other client at once, although nothing restarts. The
answer is a fixed point of observed state: a policy observed stays, and without one it is created
only while no pool's StatefulSet exists yet.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hooks.cluster import naming
from hooks.cluster.peers import stored
from hooks.cluster.pinotconf import PORTS
from hooks.cluster.spec import ExternalServices, NetworkPolicySettings, Role

JsonObject = dict[str, Any]

# Labels every Job of the control plane carries (hooks.resources.naming.run_labels).
JOB_LABELS = {
    "app.kubernetes.io/name": "pinot-control-plane",
    "app.kubernetes.io/managed-by": "pinot-control-plane",
}
EVERY_POD_OF_THE_NAMESPACE: JsonObject = {"podSelector": {}}
ANYWHERE = ("0.0.0.0/0", "::/0")


@dataclass(frozen=True)
class PolicyInputs:
    broker_clients: tuple[JsonObject, ...]
    controller_clients: tuple[JsonObject, ...]
    server_clients: tuple[JsonObject, ...]
    server_ports: tuple[int, ...]  # netty and the gRPC ports of the server pools
    metrics_clients: tuple[JsonObject, ...] | None  # None: any source
    metrics_port: int | None


def enabled(settings: NetworkPolicySettings, pools_exist: bool, policy_observed: bool) -> bool:
    """Whether the cluster has its policy (see the module: unset means new clusters only)."""
    if settings.enabled is not None:
        return settings.enabled
    return policy_observed or not pools_exist


def inputs(
    settings: NetworkPolicySettings,
    external: ExternalServices | None,
    metrics_port: int | None,
    grpc_ports: tuple[int, ...],
) -> PolicyInputs:
    brokers = (
        [stored(peer) for peer in settings.brokerClients]
        if settings.brokerClients is not None
        else [EVERY_POD_OF_THE_NAMESPACE]
    )
    controllers = [stored(peer) for peer in settings.controllerClients or []]
    for role, peers in ((Role.BROKER, brokers), (Role.CONTROLLER, controllers)):
        service = getattr(external, role.value) if external is not None else None
        if service is not None:  # from where the Service admits: its ranges, or any address
            peers += [{"ipBlock": {"cidr": cidr}} for cidr in service.loadBalancerSourceRanges or ANYWHERE]
    metrics = tuple(map(stored, settings.metricsClients)) if settings.metricsClients is not None else None
    return PolicyInputs(
        tuple(brokers),
        tuple(controllers),
        tuple(map(stored, settings.serverClients or [])),
        tuple(sorted({PORTS["netty"], *grpc_ports})),
        metrics,
        metrics_port,
    )


def policy_name(cluster: str) -> str:
    return f"{cluster}-pinot"


def _port(port: int) -> JsonObject:
    return {"port": port, "protocol": "TCP"}


def network_policy(cluster: str, policy: PolicyInputs) -> JsonObject:
    """One policy over every pod of the cluster. A port rule admits to that port of any of them,
    and only the role it belongs to listens on it (controller 9000, broker 8099, server 8098 and gRPC)."""
    own = {"podSelector": {"matchLabels": {naming.CLUSTER_LABEL: cluster}}}
    jobs = {"podSelector": {"matchLabels": dict(JOB_LABELS)}}
    ingress: list[JsonObject] = [
        {"from": [own]},
        {"from": [jobs, *policy.controller_clients], "ports": [_port(PORTS["controller"])]},
    ]
    if policy.broker_clients:
        ingress.append({"from": list(policy.broker_clients), "ports": [_port(PORTS["broker"])]})
    if policy.server_clients:
        ingress.append({"from": list(policy.server_clients), "ports": list(map(_port, policy.server_ports))})
    # An empty `from` admits every source: no clients listed means no rule.
    if policy.metrics_port is not None and policy.metrics_clients != ():
        metrics_rule: JsonObject = {"ports": [_port(policy.metrics_port)]}
        if policy.metrics_clients is not None:
            metrics_rule["from"] = list(policy.metrics_clients)
        ingress.append(metrics_rule)
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": policy_name(cluster), "labels": naming.common_labels(cluster)},
        "spec": {
            "podSelector": {"matchLabels": {naming.CLUSTER_LABEL: cluster}},
            "policyTypes": ["Ingress"],
            "ingress": ingress,
        },
    }
