"""Names and labels of everything a PinotCluster owns.

Selectors use only labels that never change for a pool (cluster, pool, role); mutable facts such
as the image version go into labels that are never selected on.
"""

from __future__ import annotations

from functools import lru_cache

from hooks import GROUP
from hooks.cluster.spec import Role

CLUSTER_LABEL = f"{GROUP}/cluster"
POOL_LABEL = f"{GROUP}/pool"
ROLE_LABEL = f"{GROUP}/role"
TEMPLATE_HASH_ANNOTATION = f"{GROUP}/template-hash"
CONFIG_HASH_ANNOTATION = f"{GROUP}/config-hash"
ZOOKEEPER_MODE_ANNOTATION = f"{GROUP}/zookeeper"  # on the pools of a managed ensemble:
ZOOKEEPER_MANAGED = "managed"
# On a StatefulSet: the Pinot version of its pod template; while its template changes, the versions
# (and known steps) its pods may still run besides. See hooks.cluster.running.
PINOT_VERSION_ANNOTATION = f"{GROUP}/pinot-version"
RUNNING_VERSIONS_ANNOTATION = f"{GROUP}/running-versions"


def statefulset_name(cluster: str, pool: str) -> str:
    return f"{cluster}-{pool}"


def headless_service_name(cluster: str, pool: str) -> str:
    return f"{cluster}-{pool}-headless"


def config_map_name(cluster: str, pool: str, config_hash: str) -> str:
    return f"{cluster}-{pool}-config-{config_hash}"


def config_map_prefix(cluster: str, pool: str) -> str:
    return f"{cluster}-{pool}-config-"


def pdb_name(cluster: str, pool: str) -> str:
    return f"{cluster}-{pool}"


def role_service_name(cluster: str, role: Role) -> str:
    return f"{cluster}-{role.value}"


def external_service_name(cluster: str, role: Role) -> str:
    return f"{cluster}-{role.value}-external"


def selector_labels(cluster: str, pool: str) -> dict[str, str]:
    return {CLUSTER_LABEL: cluster, POOL_LABEL: pool}


def role_selector(cluster: str, role: Role) -> dict[str, str]:
    return {CLUSTER_LABEL: cluster, ROLE_LABEL: role.value}


def common_labels(cluster: str) -> dict[str, str]:
    return {
        "app.kubernetes.io/name": "pinot",
        "app.kubernetes.io/instance": cluster,
        "app.kubernetes.io/managed-by": "pinot-control-plane",
        "app.kubernetes.io/part-of": "pinot",
        CLUSTER_LABEL: cluster,
    }


def pool_labels(cluster: str, pool: str, role: Role, version: str) -> dict[str, str]:
    labels = common_labels(cluster)
    labels.update(
        {
            "app.kubernetes.io/component": role.value,
            POOL_LABEL: pool,
            ROLE_LABEL: role.value,
        }
    )
    if version:
        labels["app.kubernetes.io/version"] = version
    return labels


@lru_cache(maxsize=256)
def image_version(image: str) -> str:
    """The tag of an image reference, if it is a valid label value; else empty. Pure, and asked
    twice per pool on every sync: remembered."""
    reference = image.split("@", 1)[0]
    last = reference.rsplit("/", 1)[-1]
    if ":" not in last:
        return ""
    tag = last.rsplit(":", 1)[1]
    valid = len(tag) <= 63 and all(c.isalnum() or c in "-_." for c in tag) and tag[:1].isalnum()
    return tag if valid and tag[-1:].isalnum() else ""


def controller_url(cluster: str, namespace: str, port: int) -> str:
    return f"http://{cluster}-controller.{namespace}.svc:{port}"
