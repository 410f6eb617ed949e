"""What `kubectl get pinotclusters` shows besides the conditions: how many pools are ready, and
which Pinot version the spec runs (`status.poolsReady`, `status.pinotVersion`).

Both follow from the request alone (the plan's pool states; the versions the observed StatefulSets
record and the spec asks, hooks.cluster.upgrade), so they are the same on every call for the same
request and never make an answer depend on the clock.
"""

from __future__ import annotations

from collections.abc import Sequence

from hooks.cluster.rollout import PoolState
from hooks.cluster.status import Step
from hooks.cluster.upgrade import Plan
from hooks.cluster.upgrade_status import change, listed


def pools_ready(steps: Sequence[Step]) -> str:
    """`3/5`: the units of the rollout (the pools, and a managed ZooKeeper ensemble) that are ready,
    of all of them: the entries of `status.pools`."""
    ready = sum(1 for step in steps if step.state is PoolState.READY)
    return f"{ready}/{len(steps)}"


def pinot_version(plan: Plan) -> str:
    """The Pinot version the cluster runs: what the pools' pods run, each version once in pool order
    (`1.2.0,1.3.0` when pools run different ones by design); `0.11.0 -> 1.3.0` while versions move
    (those left behind, then those asked); empty when no version is known. Versions come from the
    image tags or the spec's stated `pinotVersion` (hooks.cluster.versions), for a fresh cluster from
    the spec alone."""
    if plan.moving and not plan.refusals:
        leaving, going = change(plan)
        return f"{leaving} -> {going}"
    running = [v for versions in plan.running.values() for v in versions]
    return listed(running or list(plan.desired.values()))


def summary(steps: Sequence[Step], plan: Plan) -> dict[str, str]:
    """The status fields of the printer columns (a field without a value is left out)."""
    fields = {"poolsReady": pools_ready(steps)}
    version = pinot_version(plan)
    if version:
        fields["pinotVersion"] = version
    return fields
