"""The customize hook: which related objects sync needs, from the parent's spec and identity only
(Metacontroller caches the answer per parent UID and generation).

- the referenced PinotCluster (is it Ready, where is its controller, which Secret logs in);
- for a table, the referenced PinotSchema (does its name match, is it Synced);
- the Pods of this resource's own Jobs (their termination messages carry Pinot's words).
"""

from __future__ import annotations

from typing import Any

from hooks import API_VERSION
from hooks.contract import CustomizeRequest
from hooks.decision import Decision
from hooks.resources.kinds import ResourceKind
from hooks.resources.naming import is_label_value

JsonObject = dict[str, Any]


def customize_resource(kind: ResourceKind, request: CustomizeRequest) -> Decision:
    parent = request.parent
    namespace = parent.metadata.namespace
    rules: list[JsonObject] = []
    wanted: list[str] = []
    for resource, ref in (("pinotclusters", "clusterRef"), ("pinotschemas", "schemaRef")):
        if resource == "pinotschemas" and not kind.uses_schema:
            continue
        name = (parent.spec.get(ref) or {}).get("name") if isinstance(parent.spec.get(ref), dict) else None
        if isinstance(name, str) and name:
            rules.append(
                {"apiVersion": API_VERSION, "resource": resource, "namespace": namespace, "names": [name]}
            )
            wanted.append(f"{resource}/{name}")
    # A name that is no label value would make the selector invalid; sync reports the name anyway.
    if is_label_value(parent.metadata.name):
        rules.append(
            {
                "apiVersion": "v1",
                "resource": "pods",
                "namespace": namespace,
                "labelSelector": {"matchLabels": {kind.label: parent.metadata.name}},
            }
        )
        wanted.append("pods of its Jobs")
    return Decision(
        {"relatedResources": rules},
        f"{kind.singular} {namespace}/{parent.metadata.name}: " + ", ".join(wanted),
    )
