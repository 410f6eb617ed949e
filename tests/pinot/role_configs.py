"""What the hooks render for each Pinot role: the pool's ``.conf`` file, container args and ``JAVA_OPTS``.

:func:`render_cluster` runs the real sync hook (``hooks.render.render_children``, the code behind
``pinot-control-plane render --ready``) on a PinotCluster document, by default
``examples/cluster-minimal.yaml``, and takes from the children, per pool:

* the StatefulSet's container ``args`` and its ``JAVA_OPTS`` env value, exactly as rendered;
* the ConfigMap named by the pod template's ``config`` volume, and from it the data key that the
  ``-configFileName`` argument names (the argument must point into the directory where that volume
  is mounted, or the pod would not find its file);
* the container's probes (path and port), so the tests wait on what the kubelet would wait on.

Nothing is changed here; the laptop overlay (``overlay.py``) rewrites ZooKeeper address,
ports, data directories and heap, and :func:`overlay.overlay_violations` proves it touched nothing else.
"""

from __future__ import annotations

import copy
import posixpath
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from hooks.render import load_cluster, render_children

from .overlay import ROLES, Probe, RenderedRole, Role

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "cluster-minimal.yaml"
ROLE_LABEL = "pinot.controlplane.dev/role"
PROBES = ("startupProbe", "livenessProbe", "readinessProbe")


def load_example(path: Path = EXAMPLE) -> dict[str, Any]:
    """The PinotCluster of ``path`` with the metadata the API server would add (as ``render`` does)."""
    return load_cluster(path.read_text(encoding="utf-8"), "default")


#: The external ZooKeeper of the heterogeneous example (examples/zookeeper-dev.yaml), with its chroot.
EXTERNAL_CHROOT = "/pinot"
EXTERNAL_ZOOKEEPER = f"zookeeper.zookeeper.svc.cluster.local:2181{EXTERNAL_CHROOT}"


def with_external_zookeeper(cluster: Mapping[str, Any], address: str = EXTERNAL_ZOOKEEPER) -> dict[str, Any]:
    """A copy of ``cluster`` on an existing ZooKeeper at ``address`` instead of its managed ensemble."""
    result = copy.deepcopy(dict(cluster))
    result["spec"]["zookeeper"] = {"address": address}
    return result


def with_pool_properties(
    cluster: Mapping[str, Any], role: Role, properties: Mapping[str, str]
) -> dict[str, Any]:
    """A copy of ``cluster`` whose pools of ``role`` carry ``properties`` in ``pinot.properties``."""
    result = copy.deepcopy(dict(cluster))
    pools = [pool for pool in result["spec"]["pools"] if pool["role"] == role]
    if not pools:
        raise ValueError(f"the PinotCluster has no {role} pool")
    for pool in pools:
        pinot = pool.setdefault("pinot", {})
        pinot["properties"] = {**pinot.get("properties", {}), **properties}
    return result


def render_cluster(cluster: Mapping[str, Any] | None = None) -> dict[Role, RenderedRole]:
    """Render ``cluster`` (default: the minimal example) and return each role's single pool."""
    document = copy.deepcopy(dict(cluster)) if cluster is not None else load_example()
    children, status = render_children(document, ready=True)
    ready = next((c for c in status.get("conditions", []) if c["type"] == "Ready"), None)
    if ready is None or ready.get("status") != "True":
        raise ValueError(f"the rendered cluster is not Ready: {ready}")
    configmaps = {c["metadata"]["name"]: c for c in children if c["kind"] == "ConfigMap"}
    found: dict[Role, RenderedRole] = {}
    for child in children:
        if (
            child["kind"] != "StatefulSet"
            or ROLE_LABEL not in child["spec"]["template"]["metadata"]["labels"]
        ):
            continue  # not a pool: a managed ZooKeeper ensemble (tests/pinot/ensemble)
        role = child["spec"]["template"]["metadata"]["labels"][ROLE_LABEL]
        if role not in ROLES:
            raise ValueError(f"StatefulSet {child['metadata']['name']} has unknown role {role!r}")
        if role in found:
            raise ValueError(f"more than one {role} pool; these tests start one pool per role")
        found[role] = _from_statefulset(role, child, configmaps)
    missing = [role for role in ROLES if role not in found]
    if missing:
        raise ValueError(f"no StatefulSet rendered for {missing}")
    return found


def statefulset_role(role: Role, sts: Mapping[str, Any], configmaps: Mapping[str, Any]) -> RenderedRole:
    """What a pod of ``sts`` gets: its container's args and ``JAVA_OPTS``, and the file of the ConfigMap
    (one of ``configmaps``, by name) its template mounts."""
    return _from_statefulset(role, sts, configmaps)


def _from_statefulset(role: Role, sts: Mapping[str, Any], configmaps: Mapping[str, Any]) -> RenderedRole:
    pod = sts["spec"]["template"]["spec"]
    (container,) = [c for c in pod["containers"] if c["name"] == role]
    args: list[str] = list(container["args"])
    env = {e["name"]: e.get("value", "") for e in container.get("env", []) if "value" in e}
    volume = next(v for v in pod["volumes"] if v["name"] == "config")
    configmap = configmaps[volume["configMap"]["name"]]
    mount = next(m["mountPath"] for m in container["volumeMounts"] if m["name"] == "config")
    conf_path = args[args.index("-configFileName") + 1]
    if posixpath.dirname(conf_path) != mount:
        raise ValueError(f"{role}: -configFileName {conf_path} is not in the config mount {mount}")
    conf_name = posixpath.basename(conf_path)
    probes = {
        kind: Probe(container[kind]["httpGet"]["path"], int(container[kind]["httpGet"]["port"]))
        for kind in PROBES
        if kind in container
    }
    return RenderedRole(
        role=role,
        statefulset=sts["metadata"]["name"],
        configmap=configmap["metadata"]["name"],
        conf_name=conf_name,
        conf_text=configmap["data"][conf_name],
        args=args,
        java_opts=env["JAVA_OPTS"],
        config_mount=mount,
        container_ports={p["name"]: int(p["containerPort"]) for p in container.get("ports", [])},
        probes=probes,
        replicas=int(sts["spec"]["replicas"]),
        files=dict(configmap["data"]),
        env=[e for e in container.get("env", []) if e["name"] != "JAVA_OPTS"],
        init_containers=list(pod.get("initContainers", [])),
        shared_mounts=_shared_mounts(role, pod, container),
    )


def _shared_mounts(role: Role, pod: Mapping[str, Any], container: Mapping[str, Any]) -> dict[str, str]:
    """Volumes of the pod that other pods share (a claim not of its own template): name -> path."""
    own = {"config", "logs", "data"}
    shared = {v["name"] for v in pod.get("volumes", []) if "persistentVolumeClaim" in v or "nfs" in v}
    return {m["name"]: m["mountPath"] for m in container["volumeMounts"] if m["name"] in shared - own}


def render_role(role: Role) -> RenderedRole:
    """``role``'s pool of the minimal example, as a pod of that pool would get it."""
    return render_cluster()[role]
