"""Services, PodDisruptionBudgets and config ConfigMaps of a PinotCluster."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hooks.cluster import naming
from hooks.cluster.pinotconf import config_file_name
from hooks.cluster.settings import PoolSettings
from hooks.cluster.spec import ExternalService, Role
from hooks.cluster.workload import ClusterContext, container_ports

JsonObject = dict[str, Any]


def _service_ports(role: Role) -> list[JsonObject]:
    return [
        {"name": port["name"], "port": port["containerPort"], "protocol": "TCP", "targetPort": port["name"]}
        for port in container_ports(role)
    ]


def headless_service(cluster: str, pool: str, role: Role) -> JsonObject:
    """The governing Service: stable per-pod DNS names, published before pods are ready so Pinot
    instances can resolve each other (and register in Helix by hostname) while starting."""
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {
            "name": naming.headless_service_name(cluster, pool),
            "labels": naming.pool_labels(cluster, pool, role, ""),
        },
        "spec": {
            "clusterIP": "None",
            "ports": _service_ports(role),
            "publishNotReadyAddresses": True,
            "selector": naming.selector_labels(cluster, pool),
            "type": "ClusterIP",
        },
    }


def role_service(
    cluster: str, role: Role, service_type: str | None, annotations: Mapping[str, str]
) -> JsonObject:
    """`<cluster>-controller` / `<cluster>-broker`: one address for every pool of the role.

    Its type and annotations are those of the role's pools (validation refuses pools of one role
    that ask for different ones)."""
    metadata: JsonObject = {
        "name": naming.role_service_name(cluster, role),
        "labels": {**naming.common_labels(cluster), "app.kubernetes.io/component": role.value},
    }
    if annotations:
        metadata["annotations"] = dict(annotations)
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": metadata,
        "spec": {
            "ports": _service_ports(role),
            "selector": naming.role_selector(cluster, role),
            "type": service_type or "ClusterIP",
        },
    }


def disruption_budget(cluster: str, pool: str, role: Role) -> JsonObject:
    return {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": {
            "name": naming.pdb_name(cluster, pool),
            "labels": naming.pool_labels(cluster, pool, role, ""),
        },
        "spec": {
            "maxUnavailable": 1,
            "selector": {"matchLabels": naming.selector_labels(cluster, pool)},
        },
    }


def config_map(
    pool: PoolSettings,
    cluster: ClusterContext,
    name: str,
    config_hash: str,
    text: str,
    files: tuple[tuple[str, str], ...] = (),
) -> JsonObject:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": name,
            "labels": naming.pool_labels(cluster.name, pool.name, pool.role, ""),
            "annotations": {naming.CONFIG_HASH_ANNOTATION: config_hash},
        },
        "data": {config_file_name(pool.role): text, **dict(files)},
    }


def external_service(cluster: str, role: Role, service: ExternalService) -> JsonObject:
    """`<cluster>-controller-external` / `<cluster>-broker-external`: the role's port for clients
    outside the Kubernetes cluster, as the Apache Pinot Helm chart offers."""
    metadata: JsonObject = {
        "name": naming.external_service_name(cluster, role),
        "labels": {**naming.common_labels(cluster), "app.kubernetes.io/component": role.value},
    }
    if service.annotations:
        metadata["annotations"] = dict(sorted(service.annotations.items()))
    spec: JsonObject = {
        "ports": _service_ports(role),
        "selector": naming.role_selector(cluster, role),
        "type": service.type,
    }
    if service.loadBalancerSourceRanges:
        spec["loadBalancerSourceRanges"] = list(service.loadBalancerSourceRanges)
    traffic = external_traffic_policy(service)
    if traffic:
        spec["externalTrafficPolicy"] = traffic
    return {"apiVersion": "v1", "kind": "Service", "metadata": metadata, "spec": spec}


def external_traffic_policy(service: ExternalService) -> str | None:
    """Local by default when the Service admits source ranges: the cluster's NetworkPolicy admits
    the same ranges, and sees client addresses only when the nodes do not forward (and rewrite)."""
    if service.externalTrafficPolicy is None and service.loadBalancerSourceRanges:
        return "Local"
    return service.externalTrafficPolicy
