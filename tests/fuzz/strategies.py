"""Hostile inputs for the hook endpoints, from Metacontroller-shaped requests with one part
poisoned down to bytes that are not JSON at all.

The well-formed starting points are real requests: the ones the unit tests build, and the next
round of each (the hook's own children fed back as stored, with Kubernetes' status on them), so
that mutations reach the code that reads observed objects, not only the spec validation.
"""

from __future__ import annotations

import copy
import json
import math
import re
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from hooks.app import default_routes
from hooks.children import LAST_APPLIED
from tests.cluster import builders as cluster
from tests.cluster.rounds import Rounds
from tests.fuzz.budget import HUGE_STRING_CHARS, MAX_DEPTH
from tests.fuzz.checks import finalizing_of
from tests.resources import builders as resources

JsonObject = dict[str, Any]
Path = tuple[str | int, ...]
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT")


@dataclass(frozen=True)
class Target:
    """One hook endpoint and the kind it serves."""

    path: str
    hook: str  # sync, finalize or customize
    kind: str

    @property
    def finalizing(self) -> bool:
        return self.hook == "finalize"


def targets() -> list[Target]:
    found = []
    for route in default_routes():
        hook, singular = route.path.strip("/").split("/")
        kind = {"pinotcluster": "PinotCluster", **{k.lower(): k for k in resources.SPECS}}[singular]
        found.append(Target(route.path, hook, kind))
    return found


TARGETS = targets()
SYNC_TARGETS = [t for t in TARGETS if t.hook == "sync"]
OBSERVING_TARGETS = [t for t in TARGETS if t.hook != "customize"]  # requests with children

# --- well-formed requests to start from -------------------------------------------------------------


def _cluster_requests() -> list[JsonObject]:
    """For the unit tests' cluster and the production-shaped example (every optional field set):
    a first sync, then the cluster with every pool up, at rest, changing image, losing a pool."""
    requests = []
    for fresh in (cluster.parent(), cluster.example("cluster-heterogeneous.yaml")):
        rounds = Rounds(copy.deepcopy(fresh))
        for _ in range(8):
            rounds.step()
        stored = [_recorded(child) for child in rounds.children.values()]
        settled = copy.deepcopy(rounds.parent)
        changed = copy.deepcopy(settled)
        changed["metadata"]["generation"] += 1
        changed["spec"]["image"] = "apachepinot/pinot:1.4.0"
        shrunk = copy.deepcopy(settled)
        shrunk["spec"]["pools"] = shrunk["spec"]["pools"][:-1]  # its children are scaled down, then deleted
        requests += [
            cluster.request_body(fresh),
            cluster.request_body(settled, stored),
            cluster.request_body(changed, stored),
            cluster.request_body(shrunk, stored),
        ]
    return requests


def _recorded(stored: JsonObject, applied: JsonObject | None = None) -> JsonObject:
    """A child with Metacontroller's record of what the hook last applied to it (by default, the
    stored object without its status)."""
    stored = copy.deepcopy(stored)
    if applied is None:
        applied = {key: value for key, value in stored.items() if key != "status"}
    annotations = stored["metadata"].setdefault("annotations", {})
    annotations[LAST_APPLIED] = json.dumps(applied, sort_keys=True)
    return stored


EXAMPLES = {"PinotSchema": "schema.yaml", "PinotTable": "table-realtime.yaml", "PinotTenant": "tenant.yaml"}


def _resource_requests(kind: str, finalizing: bool) -> list[JsonObject]:
    requests = []
    for spec in (None, cluster.example(EXAMPLES[kind])["spec"]):
        requests += _resource_rounds(resources.parent(kind, spec=spec), finalizing)
    return requests


def _resource_rounds(obj: JsonObject, finalizing: bool) -> list[JsonObject]:
    """A first call, then the run's Job running, complete and failed, with its Pod."""
    kind = obj["kind"]
    if finalizing:
        obj["spec"]["deletionPolicy"] = "Delete"
        obj["metadata"]["deletionTimestamp"] = "2026-11-25T11:00:00Z"
    hook = "finalize" if finalizing else "sync"
    job = resources.the_job(resources.call(obj, finalizing=finalizing, hook=hook).body)
    requests = [resources.request_body(obj, finalizing=finalizing)]
    outcomes = {
        "running": None,
        "complete": resources.outcome_line("Succeeded", "Created", "created", pinot_name="x"),
        "failed": resources.outcome_line("Failed", "Rejected", "Invalid document: x", 400, pinot_name="x"),
    }
    for state, outcome in outcomes.items():
        stored = _recorded(resources.job_in(job, state), job)
        pods = [resources.pod_of(stored, outcome, exit_code=0 if state != "failed" else 1)]
        requests.append(
            resources.request_body(
                obj,
                [stored],
                resources.default_related(kind) + pods,
                finalizing=finalizing,
            )
        )
    return requests


def base_requests(target: Target) -> list[JsonObject]:
    if target.kind == "PinotCluster":
        return _cluster_requests()
    if target.hook == "customize":
        example = cluster.example(EXAMPLES[target.kind])["spec"]
        return [{"controller": {}, "parent": resources.parent(target.kind, spec=s)} for s in (None, example)]
    return _resource_requests(target.kind, target.finalizing)


BASES: dict[str, list[JsonObject]] = {t.path: base_requests(t) for t in TARGETS}

# --- hostile JSON values ------------------------------------------------------------------------

NASTY_STRINGS = [
    "",
    " ",
    "\x00",
    "\ud800",  # a lone surrogate: json.dumps writes it as an escape no UTF-8 decoder accepts
    "\udfff\ud800",
    "\u202e\u200b\ufeff",
    "😀" * 3,
    "e\u0301" * 5,
    "\n\r\t",
    "'\"\\",
    "${jndi:ldap://x}",
    # Pinot config injection: a line break, a trailing backslash, owned and reserved keys respelled.
    "zk:2181\ncontroller.port=1",
    "pinot\\",
    "Controller.Port",
    "controller.p_ort",
    "config.paths",
    "%s%n",
    "-1",
    "0x10",
    "1e400",
    "NaN",
    "true",
    "null",
    "controller",
    "Delete",
    "Retain",
    "OFFLINE",
    "SERVER",
    "InvalidSpec",
]
# Kubernetes timestamps at and past the ends of the calendar, in other zones, or not quite ones.
TIMESTAMPS = [
    "9999-12-31T23:59:59Z",
    "9999-12-31T23:59:59+00:00",
    "9999-12-31T23:59:59-14:00",
    "0001-01-01T00:00:00Z",
    "0001-01-01T00:00:00+14:00",
    "1970-01-01T00:00:00Z",
    "2026-11-25T12:00:00",
    "2026-11-25T12:00:00.123456789Z",
    "2026-11-25 12:00:00Z",
    "2026-02-30T12:00:00Z",
    "2026-11-25T24:00:00Z",
    "20261125T120000Z",
    "2026-W48-3",
    "2026-11-25",
]
FIELD_NAMES = [
    "apiVersion",
    "kind",
    "metadata",
    "name",
    "namespace",
    "spec",
    "status",
    "conditions",
    "type",
    "reason",
    "message",
    "labels",
    "annotations",
    "replicas",
    "readyReplicas",
    "observedGeneration",
    "generation",
    "deletionTimestamp",
    "deletionPolicy",
    "clusterRef",
    "schemaRef",
    "pools",
    "role",
    "image",
    "properties",
    "containerStatuses",
    "state",
    "terminated",
    "startTime",
    "completionTime",
    "lastTransitionTime",
    "succeeded",
    "failed",
    "active",
    "pinotName",
    "appliedHash",
    "lastOutcome",
    "controllerService",
    "__proto__",
]
EXTREME_INTS = [
    0,
    -1,
    2**31 - 1,
    2**31,
    2**53 + 1,
    2**63 - 1,
    2**63,
    -(2**63),
    -(2**63) - 1,
    2**64 - 1,
    2**64,
    -(2**64),
    10**30,
    -(10**30),
    10**400,
]
EXTREME_FLOATS = [0.5, -0.0, 1e-320, 1.5e308, -1.5e308, 1e30, 2.0**63, math.inf, -math.inf, math.nan]


def huge_strings(max_chars: int = HUGE_STRING_CHARS) -> st.SearchStrategy[str]:
    """Long strings made cheaply: one piece repeated (Hypothesis need not draw every character)."""
    return st.builds(
        lambda piece, count: piece * count,
        st.sampled_from(["x", "é", "😀", "\x00", "a-", "[", "{", '"', "\\u0000", "\ud800"]),
        st.integers(0, max_chars),
    )


def deep_values(max_depth: int = MAX_DEPTH) -> st.SearchStrategy[Any]:
    """Objects and arrays nested hundreds of levels, around pydantic's and orjson's recursion limits."""

    def build(depth: int, style: str, leaf: Any) -> Any:
        value = leaf
        for level in range(depth):
            shape = style if style != "mixed" else ("list", "dict")[level % 2]
            value = [value] if shape == "list" else {"a": value}
        return value

    return st.builds(
        build,
        st.one_of(st.integers(1, max_depth), st.sampled_from([190, 197, 198, 199, 200, 201, 254, 255, 256])),
        st.sampled_from(["list", "dict", "mixed"]),
        st.sampled_from([None, 1, "x", "{}", "[]"]).map(_fresh_leaf),
    )


def _fresh_leaf(leaf: Any) -> Any:
    """A new empty container each time: a shared one would be grown by one case and seen by the next."""
    return {} if leaf == "{}" else [] if leaf == "[]" else leaf


def leaves() -> st.SearchStrategy[Any]:
    return st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.sampled_from(EXTREME_INTS),
        st.floats(),
        st.sampled_from(EXTREME_FLOATS),
        st.text(max_size=20),
        st.text(st.characters(codec=None, exclude_categories=()), max_size=10),
        st.sampled_from(NASTY_STRINGS),
        st.sampled_from(FIELD_NAMES),
        st.sampled_from(TIMESTAMPS),
    )


def keys() -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(FIELD_NAMES),
        st.text(max_size=12),
        st.sampled_from(NASTY_STRINGS),
        huge_strings(4096),
    )


def hostile_json(max_leaves: int = 12) -> st.SearchStrategy[Any]:
    """Any JSON value (and some that JSON forbids: NaN, Infinity, lone surrogates)."""
    return st.one_of(
        st.recursive(
            leaves(),
            lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys(), inner, max_size=4),
            max_leaves=max_leaves,
        ),
        huge_strings(),
        deep_values(),
    )


# Built once: a strategy made afresh for every draw costs more than the draw.
HOSTILE = hostile_json()
SMALL_HOSTILE = hostile_json(4)
KEYS = keys()


# --- mutations of a well-formed request ---------------------------------------------------------


def nodes(value: Any, max_depth: int = 24) -> list[Path]:
    """Positions inside `value`, parents before children, down to `max_depth` levels (deeper
    positions are left alone, so mutations never nest past what json.dumps can write)."""
    found: list[Path] = []
    stack: list[tuple[Path, Any]] = [((), value)]
    while stack:
        path, node = stack.pop()
        found.append(path)
        if len(path) >= max_depth:
            continue
        if isinstance(node, dict):
            stack.extend(((*path, key), item) for key, item in reversed(list(node.items())))
        elif isinstance(node, list):
            stack.extend(((*path, index), item) for index, item in reversed(list(enumerate(node))))
    return found


def get(value: Any, path: Path) -> Any:
    for part in path:
        value = value[part]
    return value


def put(value: Any, path: Path, new: Any) -> Any:
    if not path:
        return new
    get(value, path[:-1])[path[-1]] = new
    return value


def mutate(draw: st.DrawFn, value: Any, max_mutations: int = 4) -> Any:
    """`value` with 1..max_mutations of: a node replaced by hostile JSON, a key added or removed,
    an element or entry repeated hundreds of times (duplicates, long lists), a list grown or emptied."""
    value = copy.deepcopy(value)
    for _ in range(draw(st.integers(1, max_mutations))):
        path = draw(st.sampled_from(nodes(value)))
        node = get(value, path)
        action = draw(st.sampled_from(["replace", "replace", "grow", "remove", "repeat"]))
        if action == "repeat" and node and isinstance(node, list):
            node.extend(copy.deepcopy(draw(st.sampled_from(node))) for _ in range(draw(st.integers(1, 500))))
        elif action == "repeat" and node and isinstance(node, dict):
            key = draw(st.sampled_from(sorted(node)))
            node.update({f"{key}{i}": copy.deepcopy(node[key]) for i in range(draw(st.integers(1, 500)))})
        elif action in ("replace", "repeat") or not isinstance(node, dict | list):
            value = put(value, path, draw(HOSTILE))
        elif action == "grow" and isinstance(node, dict):
            node[draw(KEYS)] = draw(HOSTILE)
        elif action == "grow" and isinstance(node, list):
            node.append(draw(HOSTILE))
        elif node:
            if isinstance(node, dict):
                del node[draw(st.sampled_from(sorted(node)))]
            else:
                del node[draw(st.integers(0, len(node) - 1))]
    return value


@dataclass(frozen=True, repr=False)
class Case:
    """One request: where it goes, its body, and what is known about its spec."""

    target: Target
    body: bytes
    finalizing: bool
    spec_broken: bool = False

    def __repr__(self) -> str:
        shown = self.body if len(self.body) <= 4000 else self.body[:4000] + b"..."
        return (
            f"Case(POST {self.target.path}, {len(self.body)} bytes, finalizing={self.finalizing}, "
            f"spec_broken={self.spec_broken}, body={shown!r})"
        )


def encode(request: Any) -> bytes:
    # json, not orjson: it writes what the fuzzer made (NaN, huge integers, lone surrogates) as text.
    return json.dumps(request).encode("utf-8", "surrogatepass")


def _case(target: Target, request: Any, spec_broken: bool = False) -> Case:
    body = encode(request)
    return Case(target, body, finalizing_of(body), spec_broken)


@st.composite
def hostile_specs(draw: st.DrawFn, target: Target) -> Case:
    """A well-formed request whose `parent.spec` is poisoned (or replaced outright)."""
    request = copy.deepcopy(draw(st.sampled_from(BASES[target.path])))
    how = draw(st.sampled_from(["mutated", "mutated", "replaced", "unknown fields only"]))
    if how == "mutated":
        spec = mutate(draw, request["parent"]["spec"])
    elif how == "replaced":
        spec = draw(HOSTILE)
    else:
        spec = draw(st.dictionaries(KEYS, HOSTILE, max_size=6))
    request["parent"]["spec"] = spec
    return _case(target, request, spec_broken=obviously_invalid(target.kind, spec))


# Fields every spec needs, per kind: anything but a non-empty string there makes the spec invalid.
REQUIRED_STRINGS: dict[str, list[Path]] = {
    "PinotCluster": [("image",), ("zookeeper", "address"), ("pools", 0, "name")],
    "PinotSchema": [("clusterRef", "name"), ("schema", "schemaName")],
    "PinotTable": [("clusterRef", "name"), ("table", "tableName"), ("schemaRef", "name")],
    "PinotTenant": [("clusterRef", "name"), ("tenant", "tenantName"), ("tenant", "tenantRole")],
}
NOT_STRINGS = st.one_of(
    st.none(),
    st.just(""),
    st.booleans(),
    st.integers(),
    st.sampled_from(EXTREME_INTS),
    st.floats(),
    st.lists(st.text(max_size=4), max_size=3),
    st.dictionaries(st.text(max_size=4), st.text(max_size=4), max_size=3),
    deep_values(),
)


@st.composite
def broken_specs(draw: st.DrawFn, target: Target) -> Case:
    """A valid request with one required spec field of the wrong type (or gone)."""
    request = copy.deepcopy(draw(st.sampled_from(BASES[target.path])))
    spec = request["parent"]["spec"]
    path = draw(st.sampled_from(REQUIRED_STRINGS[target.kind]))
    if draw(st.booleans()):
        put(spec, path, draw(NOT_STRINGS))
    else:
        del get(spec, path[:-1])[path[-1]]
    if draw(st.booleans()):
        spec = mutate(draw, spec, max_mutations=2)
        request["parent"]["spec"] = spec
    return _case(target, request, spec_broken=obviously_invalid(target.kind, spec))


def obviously_invalid(kind: str, spec: Any) -> bool:
    """A spec no reading can accept: a required string missing or not a string, or (for the strict
    PinotCluster schema) a field nobody declared. False means "may or may not be valid"."""
    if not isinstance(spec, dict):
        return True
    if kind == "PinotCluster":
        from hooks.cluster.spec import PinotClusterSpec

        if set(spec) - set(PinotClusterSpec.model_fields):
            return True
        pools = spec.get("pools")
        if not isinstance(pools, list) or not pools:
            return True
        paths = [p for p in REQUIRED_STRINGS[kind] if p[0] != "pools"]
        paths += [("pools", i, "name") for i in range(len(pools))]
    else:
        paths = REQUIRED_STRINGS[kind]
    for path in paths:
        try:
            found = get(spec, path)
        except (KeyError, IndexError, TypeError):
            return True
        if not isinstance(found, str) or not found:
            return True
    return False


# --- names, labels, images and numbers that Kubernetes or Pinot would refuse --------------------

# Characters that break one name syntax or another: separators, dot segments, whitespace and
# control characters (property file injections among them), quoting, non-ASCII.
NAME_BREAKERS = [
    *("/", ".", "..", " ", "\n", "\r", "\t", "\x00", "\x7f", "\\", "?", "#", "%", ";", ":", "="),
    *("!", "*", "'", "é", "\u202e", "__", "-"),
]


def refused_by(pattern: str) -> Any:
    """Whether a value breaks `pattern` (anchored as the API server anchors it: `$` is the end)."""
    whole = pattern.removeprefix("^").removesuffix("$")
    return lambda value: re.fullmatch(whole, value) is None


def broken(pattern: str, *valid: str, known: tuple[Any, ...] = ()) -> st.SearchStrategy[Any]:
    """Values `pattern` refuses: known ones, and valid names with a breaking character inserted."""
    inserted = st.builds(
        lambda name, where, breaker: name[:where] + breaker + name[where:],
        st.sampled_from(valid),
        st.integers(0, 12),
        st.sampled_from(NAME_BREAKERS),
    )
    generated = st.one_of(st.sampled_from(NAME_BREAKERS), inserted).filter(refused_by(pattern))
    return st.one_of(st.sampled_from(known), generated) if known else generated


def _names() -> dict[str, list[tuple[Path, st.SearchStrategy[Any]]]]:
    from hooks import syntax

    keys = broken(syntax.QUALIFIED_NAME, "team", "example.com/team", known=("k" * 64, "a" * 254 + "/x"))
    values = broken(syntax.LABEL_VALUE, "ssd", "team-a", known=("v" * 64,))
    objects = broken(syntax.DNS_SUBDOMAIN, "ssd", "a.b", known=("Foo Bar/..",))
    images = broken(syntax.IMAGE, "apachepinot/pinot:1.3.0", "registry.example.com:5000/pinot/pinot:1.3.0")
    pinot = broken(syntax.PINOT_NAME, "events", "db.events")
    kube = ("pools", 0, "kubernetes")
    return {
        "PinotCluster": [
            (("clusterName",), broken(syntax.HELIX_NAME, "pinot", "pinot-prod.1")),
            (("zookeeper", "address"), broken(syntax.ZOOKEEPER, "zk:2181/pinot", "zk-0.zk:2181,[::1]:2181")),
            ((*kube, "podLabels"), st.dictionaries(keys, st.just("x"), min_size=1, max_size=2)),
            ((*kube, "podLabels"), st.dictionaries(st.just("team"), values, min_size=1)),
            (
                (*kube, "nodeSelector"),
                st.dictionaries(keys | st.just("disktype"), values, min_size=1, max_size=2),
            ),
            ((*kube, "podAnnotations"), st.dictionaries(keys, st.text(max_size=5), min_size=1, max_size=2)),
            ((*kube, "storage"), st.fixed_dictionaries({"storageClassName": objects})),
            ((*kube, "serviceAccountName"), objects),
            ((*kube, "priorityClassName"), objects),
            (("auth",), st.fixed_dictionaries({"secretRef": st.fixed_dictionaries({"name": objects})})),
            (("image",), images),
            (("pools", 0, "image"), images),
            (("pools", 0, "replicas"), st.sampled_from([2**31, 2**40, 2**63, -1])),
        ],
        "PinotSchema": [(("schema", "schemaName"), pinot), (("clusterRef", "name"), objects)],
        "PinotTable": [(("table", "tableName"), pinot), (("schemaRef", "name"), objects)],
        "PinotTenant": [(("tenant", "tenantName"), pinot), (("clusterRef", "name"), objects)],
    }


INVALID_VALUES = _names()


@st.composite
def invalid_names(draw: st.DrawFn, target: Target) -> Case:
    """A valid request with one name, label, image or count that Kubernetes or Pinot would refuse."""
    request = copy.deepcopy(draw(st.sampled_from(BASES[target.path])))
    spec = request["parent"]["spec"]
    path, values = draw(st.sampled_from(INVALID_VALUES[target.kind]))
    target_node: Any = spec
    for part in path[:-1]:
        target_node = target_node[part] if isinstance(part, int) else target_node.setdefault(part, {})
    target_node[path[-1]] = draw(values)
    return _case(target, request, spec_broken=True)


@st.composite
def hostile_observed(draw: st.DrawFn, target: Target) -> Case:
    """A well-formed request whose `children` or `related` maps are poisoned: wrong shapes,
    objects without metadata, names that are no strings, junk status on real children."""
    request = copy.deepcopy(draw(st.sampled_from(BASES[target.path])))
    for field in draw(st.sets(st.sampled_from(["children", "related"]), min_size=1)):
        groups = request.get(field) or {}
        how = draw(
            st.sampled_from(
                [
                    "inside one",
                    "inside one",
                    "last applied",
                    "mutated",
                    "replaced",
                    "unidentifiable",
                    "no map",
                ]
            )
        )
        if how in ("inside one", "last applied") and _objects(groups):
            obj = draw(st.sampled_from(_objects(groups)))
            if how == "inside one":
                _mutate_inside(draw, obj)
            else:
                _mutate_record(draw, obj)
        elif how == "mutated":
            request[field] = mutate(draw, groups, max_mutations=draw(st.sampled_from([3, 6])))
        elif how == "replaced":
            request[field] = draw(
                st.dictionaries(KEYS, st.dictionaries(KEYS, HOSTILE, max_size=3), max_size=3)
            )
        elif how == "unidentifiable":
            request[field] = _objects_without_identity(draw, groups)
        else:
            request[field] = draw(HOSTILE)
    return _case(target, request)


def _objects(groups: JsonObject) -> list[JsonObject]:
    return [obj for group in groups.values() for obj in group.values()]


def retime(draw: st.DrawFn, value: Any) -> None:
    """Every timestamp inside `value` replaced by one of TIMESTAMPS (in place)."""
    for path in nodes(value):
        if path and isinstance(found := get(value, path), str) and TIMESTAMP.match(found):
            put(value, path, draw(st.sampled_from(TIMESTAMPS)))


def _mutate_inside(draw: st.DrawFn, obj: JsonObject) -> None:
    """Junk below an object's identity (spec, status, data, ...): it still is a Kubernetes object."""
    if draw(st.integers(0, 3)) == 0:
        retime(draw, obj)
        return
    parts = sorted(set(obj) - {"apiVersion", "kind", "metadata"})
    part = draw(st.sampled_from([*parts, "status", "spec"]))
    if part in obj and draw(st.booleans()):
        obj[part] = mutate(draw, obj[part], max_mutations=draw(st.sampled_from([1, 3, 6])))
    else:
        obj[part] = draw(HOSTILE)
    if draw(st.booleans()):
        meta = obj["metadata"]
        field = draw(
            st.sampled_from(["generation", "uid", "deletionTimestamp", "ownerReferences", "namespace"])
        )
        meta[field] = draw(st.one_of(HOSTILE, st.just(mutate(draw, meta.get(field, {})))))


def _mutate_record(draw: st.DrawFn, obj: JsonObject) -> None:
    """Metacontroller's last-applied record damaged: junk inside, or no JSON at all."""
    annotations = obj["metadata"].setdefault("annotations", {})
    recorded = annotations.get(LAST_APPLIED)
    try:
        applied = json.loads(recorded) if isinstance(recorded, str) else {}
    except ValueError:
        applied = {}
    if draw(st.booleans()):
        annotations[LAST_APPLIED] = encode(mutate(draw, applied)).decode("utf-8", "surrogatepass")
    else:
        annotations[LAST_APPLIED] = draw(st.one_of(st.text(max_size=30), st.sampled_from(NASTY_STRINGS)))


def _objects_without_identity(draw: st.DrawFn, groups: JsonObject) -> JsonObject:
    """Real type keys holding objects whose identity is damaged: metadata missing or no object,
    name missing or no string, apiVersion and kind gone."""
    groups = copy.deepcopy(groups)
    type_keys = sorted(groups) or ["ConfigMap.v1"]
    key = draw(st.sampled_from(type_keys))
    damaged = draw(
        st.sampled_from(
            [
                {},
                {"metadata": None},
                {"metadata": []},
                {"metadata": [1]},
                {"metadata": "x"},
                {"metadata": 7},
                {"metadata": {}},
                {"metadata": {"name": None}},
                {"metadata": {"name": 5}},
                {"metadata": {"name": ["a"]}},
                {"metadata": {"name": "orphan"}},
                {"metadata": {"name": "orphan", "labels": "x"}},
                {"metadata": {"name": "orphan", "labels": [1]}},
                {"metadata": {"name": "orphan", "annotations": [1]}},
                {"apiVersion": 1, "kind": None, "metadata": {"name": "orphan"}},
                {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "orphan"}, "status": "x"},
            ]
        )
    )
    groups.setdefault(key, {})[draw(KEYS)] = copy.deepcopy(damaged)
    return groups


# Regions of a request besides spec and the observed maps.
def _anywhere_paths(request: JsonObject) -> list[Path]:
    return [
        path
        for path in nodes(request)
        if path[:2] != ("parent", "spec") and path[:1] not in (("children",), ("related",))
    ]


@st.composite
def hostile_anywhere(draw: st.DrawFn, target: Target) -> Case:
    """Metadata, status, controller and the top level poisoned: a huge name, a generation out of
    range, labels that are no strings, junk previous conditions, unknown fields."""
    request = copy.deepcopy(draw(st.sampled_from(BASES[target.path])))
    status = request["parent"].get("status")
    if draw(st.booleans()):
        request["parent"]["status"] = draw(JUNK_STATUS)
    elif status and draw(st.booleans()):
        retime(draw, status)
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(_anywhere_paths(request)))
        node = get(request, path)
        if isinstance(node, dict) and draw(st.booleans()):
            node[draw(KEYS)] = draw(HOSTILE)
        else:
            request = put(request, path, draw(HOSTILE))
    return _case(target, request)


def junk_status() -> st.SearchStrategy[Any]:
    condition = st.fixed_dictionaries(
        {},
        optional={
            "type": st.one_of(st.sampled_from(["Ready", "Synced", "Progressing"]), SMALL_HOSTILE),
            "status": st.one_of(st.sampled_from(["True", "False", "Unknown"]), SMALL_HOSTILE),
            "reason": SMALL_HOSTILE,
            "message": SMALL_HOSTILE,
            "lastTransitionTime": st.one_of(st.just("2026-11-25T10:00:00Z"), SMALL_HOSTILE),
            "observedGeneration": SMALL_HOSTILE,
        },
    )
    return st.fixed_dictionaries(
        {},
        optional={
            "conditions": st.one_of(st.lists(st.one_of(condition, SMALL_HOSTILE), max_size=4), SMALL_HOSTILE),
            "pools": HOSTILE,
            "pinotName": SMALL_HOSTILE,
            "appliedHash": SMALL_HOSTILE,
            "lastOutcome": HOSTILE,
            "observedGeneration": SMALL_HOSTILE,
            "controllerService": SMALL_HOSTILE,
        },
    )


JUNK_STATUS = junk_status()


# --- bytes that are not (quite) JSON --------------------------------------------------------------


def _deep_text(depth: int, opener: str) -> bytes:
    closer = {"[": "]", '{"a":': "}", '[{"a":': "}]"}[opener]
    return (opener * depth + "1" + closer * depth).encode()


@st.composite
def raw_bodies(draw: st.DrawFn, target: Target) -> bytes:
    """Arbitrary bytes, truncated or corrupted requests, extreme nesting, non-JSON numbers."""
    valid = encode(draw(st.sampled_from(BASES[target.path])))
    kind = draw(
        st.sampled_from(["bytes", "truncated", "corrupted", "deep", "unclosed", "bad token", "bad document"])
    )
    if kind == "bytes":
        return draw(st.binary(max_size=2048))
    if kind == "truncated":
        return valid[: draw(st.integers(0, len(valid)))]
    if kind == "corrupted":
        return _corrupt(draw, valid)
    if kind == "deep":
        return _deep_text(draw(st.integers(1, 100_000)), draw(st.sampled_from(["[", '{"a":', '[{"a":'])))
    if kind == "unclosed":
        return b"[" * draw(st.integers(1, 100_000))
    if kind == "bad token":
        return _splice(draw, valid, draw(st.sampled_from(RAW_TOKENS)))
    return draw(st.sampled_from(RAW_DOCUMENTS))


def _corrupt(draw: st.DrawFn, valid: bytes) -> bytes:
    data = bytearray(valid)
    for _ in range(draw(st.integers(1, 8))):
        index = draw(st.integers(0, len(data) - 1))
        data[index] = draw(st.integers(0, 255))
    return bytes(data)


def _splice(draw: st.DrawFn, valid: bytes, token: bytes) -> bytes:
    """A JSON token dropped where a value stood (after some `":`), so the document mostly stays whole."""
    positions = [i + 2 for i in range(len(valid) - 1) if valid[i : i + 2] == b'":']
    if not positions:
        return token
    at = draw(st.sampled_from(positions))
    end = at
    depth = 0
    in_string = False
    while end < len(valid):  # skip one JSON value
        char = valid[end : end + 1]
        if in_string:
            if char == b"\\":
                end += 1
            elif char == b'"':
                in_string = False
        elif char == b'"':
            in_string = True
        elif char in b"[{":
            depth += 1
        elif char in b"]}":
            if depth == 0:
                break
            depth -= 1
        elif char == b"," and depth == 0:
            break
        end += 1
    return valid[:at] + token + valid[end:]


RAW_TOKENS = [
    b"NaN",
    b"-Infinity",
    b"1e400",
    b"-1e400",
    b"1e-400",
    b"123456789012345678901234567890123456789",
    b"-99999999999999999999",
    b"1" * 5000,
    b"0.1e999999999",
    b"01",
    b"+1",
    b".5",
    b"1.",
    b"-",
    b"tru",
    b"nul",
    b'"\\ud800"',
    b'"\\uDFFF\\uD800"',
    b'"\\u0000"',
    b'"\xff\xfe"',
    b'"\xed\xa0\x80"',
    b"'single'",
    b"[1,]",
    b'{"a":1,}',
    b'{"a" 1}',
    b"[" * 300 + b"]" * 300,
    b'{"a":' * 300 + b"1" + b"}" * 300,
    b'{"name":"x","name":"y"}',
]
PARENT = b'{"parent": {"apiVersion": "v", "kind": "K", "metadata": {"name": "n"}}, '
RAW_DOCUMENTS = [
    b"",
    b" ",
    b"null",
    b"0",
    b'""',
    b"[]",
    b"{}",
    b"\xef\xbb\xbf{}",
    b"\x00",
    b'{"parent": null}',
    PARENT + b'"children": null}',
    PARENT + b'"children": {"A.v1": null}}',
    PARENT + b'"children": {"A.v1": {"x": 1}}}',
    PARENT + b'"finalizing": "yes"}',
    b'{"parent": {"apiVersion": "v", "kind": "K", "metadata": {"name": "n", "generation": 1e400}}}',
    b'{"parent": {"apiVersion": "v", "kind": "K", "metadata": {"name": "n", "generation": 1e30}}}',
    b'{"parent": {"apiVersion": "v", "kind": "K", "metadata": {"name": "n"}, "spec": NaN}}',
    b'{"parent": {"apiVersion": "v", "kind": "K", "metadata": {"name": "n"}, "spec": {"x": NaN}}}',
    b'{"parent": {"apiVersion": "v", "kind": "K", "metadata": {"name": "\\ud800"}}}',
    b'{"parent": {"apiVersion": "v", "kind": "K", "metadata": {"name": "n"}}}' + b" " * 1000 + b"x",
    b'{"parent": {"apiVersion": "v", "kind": "K", "metadata": {"name": "n"}}}{}',
]
