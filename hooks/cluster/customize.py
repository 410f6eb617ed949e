"""The PinotCluster's customize hook: the related objects its sync and finalize read.

- the Pods of the cluster's membership Jobs: their termination messages carry Pinot's words;
- the PinotSchemas, PinotTables and PinotTenants of the namespace: a cluster being deleted waits for
  those that reference it with `deletionPolicy: Delete` (`hooks.cluster.finalize`).

The answer depends on the parent's identity only (Metacontroller caches it per UID and generation).
"""

from __future__ import annotations

from hooks import API_VERSION
from hooks.contract import CustomizeRequest
from hooks.decision import Decision
from hooks.membership.runs import CLUSTER_LABEL

RESOURCES = ("pinotschemas", "pinottables", "pinottenants")


def customize_cluster(request: CustomizeRequest) -> Decision:
    name, namespace = request.parent.metadata.name, request.parent.metadata.namespace
    rules = [
        {
            "apiVersion": "v1",
            "resource": "pods",
            "namespace": namespace,
            "labelSelector": {"matchLabels": {CLUSTER_LABEL: name}},
        }
    ]
    rules += [{"apiVersion": API_VERSION, "resource": plural, "namespace": namespace} for plural in RESOURCES]
    return Decision(
        {"relatedResources": rules}, f"pinotcluster {namespace}/{name}: pods of its Jobs, resources"
    )
