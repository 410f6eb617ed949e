"""What the API server fills in and rewrites when it stores an object (Kubernetes 1.30 defaults).

Our children leave these fields out; the dynamic-apply merge keeps them because the hook never
set them (contract §3 "Applying children"), so a hook that is correct here converges, and one that
emits a field in a non-stored shape (a quantity such as `1.5Gi`, a claim template without
`apiVersion`/`kind`/`status`) differs from the stored object on every sync (contract §4, #566).

Modelled per kind:
- Pod templates (StatefulSet, Job) and Pods: restartPolicy, dnsPolicy, schedulerName,
  securityContext, terminationGracePeriodSeconds; per container terminationMessagePath/Policy,
  imagePullPolicy (Always for `:latest` or no tag), port protocol, probe timings and HTTP scheme,
  env fieldRef apiVersion; volume defaultMode for configMap/secret/projected/downwardAPI;
  resource quantities canonicalised (`1.5Gi` -> `1536Mi`).
- StatefulSet: replicas, podManagementPolicy, revisionHistoryLimit, updateStrategy and its
  partition, persistentVolumeClaimRetentionPolicy; claim templates get apiVersion, kind,
  volumeMode and `status.phase: Pending`, with canonical storage quantities.
- Service: type, sessionAffinity, an allocated clusterIP (and clusterIPs), ipFamilies,
  ipFamilyPolicy, internalTrafficPolicy, port protocol and targetPort, nodePorts and
  externalTrafficPolicy for NodePort/LoadBalancer.
- Job: parallelism, completions, backoffLimit, completionMode, suspend, podReplacementPolicy,
  the generated selector and the controller-uid/job-name labels on the template.
- NetworkPolicy: policyTypes and port protocol.
- PodDisruptionBudget and ConfigMap: nothing.
Not modelled: `creationTimestamp: null` inside templates (older API servers print it), admission
plugins (LimitRanger, PodSecurity) and mutating webhooks.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

from hooks.cluster.quantity import QuantityError, canonical_quantity
from tests.sim.jsondata import clone

JsonObject = dict[str, Any]


class Invalid(ValueError):
    """The object would be refused with 422 Invalid."""


def _quantities(values: Any, where: str) -> Any:
    if not isinstance(values, dict):
        return values
    out = {}
    for name, quantity in values.items():
        try:
            out[name] = canonical_quantity(quantity)
        except QuantityError as exc:
            raise Invalid(f"{where}.{name}: {exc}") from None
    return out


def _resources(resources: JsonObject, where: str) -> None:
    for section in ("limits", "requests"):
        if section in resources:
            resources[section] = _quantities(resources[section], f"{where}.{section}")


def _image_pull_policy(image: str) -> str:
    reference = image.split("@", 1)
    if len(reference) == 2:
        return "IfNotPresent"
    last = reference[0].rsplit("/", 1)[-1]
    if ":" not in last or last.rsplit(":", 1)[1] == "latest":
        return "Always"
    return "IfNotPresent"


def _probe(probe: JsonObject) -> None:
    probe.setdefault("timeoutSeconds", 1)
    probe.setdefault("periodSeconds", 10)
    probe.setdefault("successThreshold", 1)
    probe.setdefault("failureThreshold", 3)
    http = probe.get("httpGet")
    if isinstance(http, dict):
        http.setdefault("path", "/")
        http.setdefault("scheme", "HTTP")


def _container(container: JsonObject, where: str) -> None:
    container.setdefault("terminationMessagePath", "/dev/termination-log")
    container.setdefault("terminationMessagePolicy", "File")
    if "image" in container:
        container.setdefault("imagePullPolicy", _image_pull_policy(str(container["image"])))
    for port in container.get("ports") or []:
        port.setdefault("protocol", "TCP")
    for name in ("livenessProbe", "readinessProbe", "startupProbe"):
        if isinstance(container.get(name), dict):
            _probe(container[name])
    for env in container.get("env") or []:
        field_ref = (env.get("valueFrom") or {}).get("fieldRef")
        if isinstance(field_ref, dict):
            field_ref.setdefault("apiVersion", "v1")
    if isinstance(container.get("resources"), dict):
        _resources(container["resources"], f"{where}.resources")


def pod_spec(spec: JsonObject, where: str = "spec") -> JsonObject:
    spec.setdefault("restartPolicy", "Always")
    spec.setdefault("dnsPolicy", "ClusterFirst")
    spec.setdefault("schedulerName", "default-scheduler")
    spec.setdefault("securityContext", {})
    spec.setdefault("terminationGracePeriodSeconds", 30)
    for group in ("initContainers", "containers"):
        for index, container in enumerate(spec.get(group) or []):
            _container(container, f"{where}.{group}[{index}]")
    for volume in spec.get("volumes") or []:
        for source in ("configMap", "secret", "projected", "downwardAPI"):
            if isinstance(volume.get(source), dict):
                volume[source].setdefault("defaultMode", 420)
        empty = volume.get("emptyDir")
        if isinstance(empty, dict) and "sizeLimit" in empty:
            empty["sizeLimit"] = _quantities({"s": empty["sizeLimit"]}, "emptyDir")["s"]
    return spec


def pod_template(template: JsonObject, where: str) -> None:
    template.setdefault("metadata", {})
    pod_spec(template.setdefault("spec", {}), f"{where}.spec")


def claim_template(claim: JsonObject, where: str) -> None:
    claim.setdefault("apiVersion", "v1")
    claim.setdefault("kind", "PersistentVolumeClaim")
    claim.setdefault("metadata", {})
    spec = claim.setdefault("spec", {})
    spec.setdefault("volumeMode", "Filesystem")
    if isinstance(spec.get("resources"), dict):
        _resources(spec["resources"], f"{where}.spec.resources")
    claim.setdefault("status", {"phase": "Pending"})


def statefulset(obj: JsonObject, allocate: Allocator) -> None:
    spec = obj.setdefault("spec", {})
    spec.setdefault("replicas", 1)
    spec.setdefault("podManagementPolicy", "OrderedReady")
    spec.setdefault("revisionHistoryLimit", 10)
    strategy = spec.setdefault("updateStrategy", {"type": "RollingUpdate"})
    strategy.setdefault("type", "RollingUpdate")
    if strategy["type"] == "RollingUpdate":
        strategy.setdefault("rollingUpdate", {}).setdefault("partition", 0)
    spec.setdefault("persistentVolumeClaimRetentionPolicy", {"whenDeleted": "Retain", "whenScaled": "Retain"})
    pod_template(spec.setdefault("template", {}), "spec.template")
    for index, claim in enumerate(spec.get("volumeClaimTemplates") or []):
        claim_template(claim, f"spec.volumeClaimTemplates[{index}]")


def service(obj: JsonObject, allocate: Allocator) -> None:
    spec = obj.setdefault("spec", {})
    kind = spec.setdefault("type", "ClusterIP")
    spec.setdefault("sessionAffinity", "None")
    if kind != "ExternalName":
        if "clusterIP" not in spec or spec["clusterIP"] == "":
            spec["clusterIP"] = allocate.cluster_ip()
        spec.setdefault("clusterIPs", [spec["clusterIP"]])
        spec.setdefault("ipFamilies", ["IPv4"])
        spec.setdefault("ipFamilyPolicy", "SingleStack")
        spec.setdefault("internalTrafficPolicy", "Cluster")
    for port in spec.get("ports") or []:
        port.setdefault("protocol", "TCP")
        port.setdefault("targetPort", port.get("port"))
        if kind in ("NodePort", "LoadBalancer"):
            port.setdefault("nodePort", allocate.node_port())
    if kind in ("NodePort", "LoadBalancer"):
        spec.setdefault("externalTrafficPolicy", "Cluster")
    if kind == "LoadBalancer":
        spec.setdefault("allocateLoadBalancerNodePorts", True)
    obj.setdefault("status", {"loadBalancer": {}})


JOB_UID_LABEL = "batch.kubernetes.io/controller-uid"
JOB_NAME_LABEL = "batch.kubernetes.io/job-name"


def job(obj: JsonObject, allocate: Allocator) -> None:
    spec = obj.setdefault("spec", {})
    if "parallelism" not in spec and "completions" not in spec:
        spec["completions"] = 1
    spec.setdefault("parallelism", 1)
    spec.setdefault("backoffLimit", 6)
    spec.setdefault("completionMode", "NonIndexed")
    spec.setdefault("suspend", False)
    spec.setdefault(
        "podReplacementPolicy", "Failed" if spec.get("podFailurePolicy") else "TerminatingOrFailed"
    )
    uid = obj["metadata"]["uid"]
    name = obj["metadata"]["name"]
    if not spec.get("manualSelector"):
        spec.setdefault("selector", {"matchLabels": {JOB_UID_LABEL: uid}})
        labels = spec.setdefault("template", {}).setdefault("metadata", {}).setdefault("labels", {})
        labels.setdefault(JOB_UID_LABEL, uid)
        labels.setdefault(JOB_NAME_LABEL, name)
        labels.setdefault("controller-uid", uid)
        labels.setdefault("job-name", name)
    pod_template(spec.setdefault("template", {}), "spec.template")


def pod(obj: JsonObject, allocate: Allocator) -> None:
    spec = pod_spec(obj.setdefault("spec", {}))
    spec.setdefault("enableServiceLinks", True)


def network_policy(obj: JsonObject, allocate: Allocator) -> None:
    """policyTypes from the rules present; TCP for a port without protocol."""
    spec = obj.setdefault("spec", {})
    if "policyTypes" not in spec:
        spec["policyTypes"] = ["Ingress", *(["Egress"] if spec.get("egress") else [])]
    for direction in ("ingress", "egress"):
        for rule in spec.get(direction) or []:
            for port in rule.get("ports") or []:
                port.setdefault("protocol", "TCP")


def nothing(obj: JsonObject, allocate: Allocator) -> None:
    return None


class Allocator:
    """Deterministic cluster IPs and node ports (the API server's allocators)."""

    def __init__(self) -> None:
        self._ips = itertools.count(10)
        self._ports = itertools.count(30000)

    def cluster_ip(self) -> str:
        n = next(self._ips)
        return f"10.96.{n // 250}.{n % 250 + 1}"

    def node_port(self) -> int:
        return next(self._ports)


DEFAULTERS: dict[tuple[str, str], Callable[[JsonObject, Allocator], None]] = {
    ("apps/v1", "StatefulSet"): statefulset,
    ("v1", "Service"): service,
    ("batch/v1", "Job"): job,
    ("v1", "Pod"): pod,
    ("v1", "ConfigMap"): nothing,
    ("policy/v1", "PodDisruptionBudget"): nothing,
    ("networking.k8s.io/v1", "NetworkPolicy"): network_policy,
}


def apply_defaults(obj: JsonObject, allocate: Allocator) -> JsonObject:
    """A defaulted copy of `obj` (raises `Invalid` for a quantity the API server would refuse)."""
    stored = clone(obj)
    DEFAULTERS.get((stored.get("apiVersion", ""), stored.get("kind", "")), nothing)(stored, allocate)
    return stored
