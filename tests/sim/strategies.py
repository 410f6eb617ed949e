"""Hypothesis strategies: valid PinotCluster specs, pod-ready delays, and histories of user edits.

Specs stay small (a few pools of at most two replicas) so that a whole history runs in about a
second, but cover what the hook renders differently: several pools per role, any deployment
order, pool-level images, Pinot properties at every layer, quantities in non-canonical spellings
(`1.5Gi`, `0.5`, `2G`), storage sizes and classes, env entries with empty values, labels,
node selectors, tolerations and Service settings.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from tests.sim import specs

JsonObject = dict[str, Any]
ROLES = ("controller", "broker", "server", "minion")
PREFIX = {"controller": "ctl", "broker": "brk", "server": "srv", "minion": "min"}
QUANTITIES = {
    "cpu": ["100m", "0.5", "1", "1.5", "250m"],
    "memory": ["512Mi", "1.5Gi", "1Gi", "2G", "1073741824"],
}
STORAGE = ["1Gi", "1.5Gi", "4Gi", "10Gi", "500M"]
# Two adjacent release lines (a jump across lines is refused until annotated) and another image of
# the newer one: going back and forth between them never moves pools up and down at once.
IMAGES = ["apachepinot/pinot:1.2.0", "apachepinot/pinot:1.3.0", "apachepinot/pinot:1.3.0-17-amazoncorretto"]

property_keys = st.sampled_from(["pinot.query.trace", "pinot.custom.flag", "pinot.segment.fetch.timeout"])
property_values = st.sampled_from(["on", "off", "30000", "x y"])
properties = st.dictionaries(property_keys, property_values, max_size=2)


@st.composite
def resources(draw: st.DrawFn) -> JsonObject:
    out: JsonObject = {}
    for section in draw(st.sets(st.sampled_from(["requests", "limits"]), min_size=1)):
        names = draw(st.sets(st.sampled_from(["cpu", "memory"]), min_size=1))
        out[section] = {name: draw(st.sampled_from(QUANTITIES[name])) for name in sorted(names)}
    return out


@st.composite
def kubernetes_settings(draw: st.DrawFn, role: str) -> JsonObject:
    kube: JsonObject = {}
    if draw(st.booleans()):
        kube["resources"] = draw(resources())
    if role != "broker" and draw(st.booleans()):
        storage: JsonObject = {"size": draw(st.sampled_from(STORAGE))}
        if draw(st.booleans()):
            storage["storageClassName"] = "fast"
        kube["storage"] = storage
    if draw(st.booleans()):
        kube["podLabels"] = {"team": draw(st.sampled_from(["a", "b"]))}
    if draw(st.booleans()):
        kube["nodeSelector"] = {"disk": draw(st.sampled_from(["ssd", "hdd"]))}
    if draw(st.booleans()):
        kube["env"] = [{"name": "EXTRA", "value": draw(st.sampled_from(["", "1"]))}]
    if draw(st.booleans()):
        kube["tolerations"] = [{"key": "pinot", "operator": "Exists", "effect": "NoSchedule"}]
    return kube


@st.composite
def pool(draw: st.DrawFn, role: str, index: int) -> JsonObject:
    entry: JsonObject = {
        "name": f"{PREFIX[role]}{index}",
        "role": role,
        "replicas": draw(st.integers(min_value=1 if role == "controller" else 0, max_value=2)),
    }
    if draw(st.integers(0, 4)) == 0:
        entry["image"] = draw(st.sampled_from(IMAGES))
    if draw(st.booleans()):
        entry["pinot"] = {"properties": draw(properties)}
    kube = draw(kubernetes_settings(role))
    if kube:
        entry["kubernetes"] = kube
    return entry


@st.composite
def cluster_specs(draw: st.DrawFn, max_pools: int = 5) -> JsonObject:
    """A PinotCluster the CRD and the hook both accept."""
    counts = {
        "controller": draw(st.integers(1, 2)),
        "broker": draw(st.integers(1, 2)),
        "server": draw(st.integers(1, 2)),
        "minion": draw(st.integers(0, 1)),
    }
    while sum(counts.values()) > max_pools:
        role = max(counts, key=lambda r: counts[r] - (1 if r != "minion" else 0))
        counts[role] -= 1
    pools = [draw(pool(role, i)) for role in ROLES for i in range(counts[role])]
    for role in ("controller", "broker"):  # one Service per role: its pools ask alike
        if draw(st.booleans()):
            for entry in pools:
                if entry["role"] == role:
                    entry.setdefault("kubernetes", {})["service"] = {
                        "type": "NodePort",
                        "annotations": {"a": "b"},
                    }
    pools = draw(st.permutations(pools))
    extra: JsonObject = {}
    if draw(st.booleans()):
        extra["deploymentOrder"] = list(draw(st.permutations(ROLES)))
    if draw(st.booleans()):
        extra["defaults"] = {"common": {"pinot": {"properties": draw(properties)}}}
    if draw(st.booleans()):
        extra["imagePullPolicy"] = draw(st.sampled_from(["IfNotPresent", "Always"]))
    if draw(st.booleans()) or controller_replicas(list(pools)) > 1:
        extra["deepStore"] = DEEP_STORE
    return specs.cluster(pools=list(pools), image=draw(st.sampled_from(IMAGES[:2])), **extra)


# Several controllers need a deep store (the hook refuses them without one).
DEEP_STORE: JsonObject = {"uri": "s3://segments/sim", "options": {"region": "us-east-1"}}


def controller_replicas(pools: list[JsonObject]) -> int:
    return sum(int(p.get("replicas", 1)) for p in pools if p["role"] == "controller")


def ready_delays(obj: JsonObject) -> st.SearchStrategy[dict[str, int]]:
    """Steps until a new pod of each pool is ready (1 or 2)."""
    names = [p["name"] for p in obj["spec"]["pools"]]
    return st.fixed_dictionaries({name: st.integers(1, 2) for name in names})


# ------------------------------------------------------------------------------------ histories


@dataclass(frozen=True)
class Edit:
    """One user edit of the spec, then `wait` steps."""

    action: str
    pick: int  # which pool, modulo the pools there are
    value: int  # a small number the action uses as it likes
    wait: int

    def apply(self, obj: JsonObject, serial: int) -> JsonObject:
        """The edited object; `serial` keeps added pool names fresh."""
        changed = copy.deepcopy(obj)
        spec = changed["spec"]
        pools = spec["pools"]
        target = pools[self.pick % len(pools)]
        if self.action == "image":
            spec["image"] = IMAGES[self.value % len(IMAGES)]
        elif self.action == "property":
            layer = spec.setdefault("defaults", {}).setdefault("common", {}).setdefault("pinot", {})
            layer.setdefault("properties", {})["pinot.query.trace"] = str(self.value)
        elif self.action == "scale":
            minimum = 1 if target["role"] == "controller" else 0
            target["replicas"] = max(
                minimum, min(3, target.get("replicas", 1) + (1 if self.value % 2 else -1))
            )
            if controller_replicas(pools) > 1:
                spec.setdefault("deepStore", DEEP_STORE)
        elif self.action == "add":
            role = ("broker", "server", "minion")[self.value % 3]
            added: JsonObject = {"name": f"{PREFIX[role]}x{serial}", "role": role, "replicas": 1}
            service = next(
                (
                    p["kubernetes"]["service"]
                    for p in pools
                    if p["role"] == role and "service" in p.get("kubernetes", {})
                ),
                None,
            )
            if service is not None:  # pools of one role share its Service
                added["kubernetes"] = {"service": copy.deepcopy(service)}
            pools.append(added)
        elif self.action == "remove":
            same_role = [p for p in pools if p["role"] == target["role"]]
            if target["role"] == "minion" or len(same_role) > 1:
                pools.remove(target)
        elif self.action == "storage" and target["role"] != "broker":
            target.setdefault("kubernetes", {})["storage"] = {"size": STORAGE[self.value % len(STORAGE)]}
        elif self.action == "order":
            spec["deploymentOrder"] = [ROLES[(i + self.value) % 4] for i in range(4)]
        elif self.action == "service":
            first = next(p for p in pools if p["role"] in ("controller", "broker"))
            for same_role in (p for p in pools if p["role"] == first["role"]):
                kube = same_role.setdefault("kubernetes", {})
                kube["service"] = {"type": ("ClusterIP", "NodePort", "LoadBalancer")[self.value % 3]}
        elif self.action == "pause":
            spec["paused"] = not spec.get("paused", False)
        elif self.action == "break":
            kube = target.setdefault("kubernetes", {})
            kube["resources"] = {"limits": {"memory": "a lot"}}
        return changed


edits = st.builds(
    Edit,
    action=st.sampled_from(
        ["image", "property", "scale", "add", "remove", "storage", "order", "pause", "break"]
    ),
    pick=st.integers(0, 7),
    value=st.integers(0, 11),
    wait=st.integers(0, 3),
)
histories = st.lists(edits, min_size=1, max_size=4)
