"""What `kubectl get pinotclusters` shows besides the conditions: how many pools are ready, and
which Pinot version the spec runs (`status.poolsReady`, `status.pinotVersion`).

Both follow from the request alone (the plan's pool states, the spec's images), so they are the
same on every call for the same request and never make an answer depend on the clock.
"""

from __future__ import annotations

from collections.abc import Sequence

from hooks.cluster.naming import image_version
from hooks.cluster.rollout import PoolState
from hooks.cluster.spec import PinotClusterSpec
from hooks.cluster.status import Step


def pools_ready(steps: Sequence[Step]) -> str:
    """`3/5`: the units of the rollout (the pools, and a managed ZooKeeper ensemble) that are ready,
    of all of them: the entries of `status.pools`."""
    ready = sum(1 for step in steps if step.state is PoolState.READY)
    return f"{ready}/{len(steps)}"


def pinot_version(spec: PinotClusterSpec) -> str:
    """The Pinot version the spec asks for: the tag of every pool's image, in pool order and each
    once (`1.2.0,1.3.0` while pools run different images); empty when no image has a tag."""
    versions: list[str] = []
    for pool in spec.pools:
        version = image_version(pool.image or spec.image)
        if version and version not in versions:
            versions.append(version)
    return ",".join(versions)


def summary(steps: Sequence[Step], spec: PinotClusterSpec) -> dict[str, str]:
    """The status fields of the printer columns (a field without a value is left out)."""
    fields = {"poolsReady": pools_ready(steps)}
    version = pinot_version(spec)
    if version:
        fields["pinotVersion"] = version
    return fields
