"""The PinotCluster CRD and the hook's spec model (hooks/cluster/spec.py) describe the same API.

Same field names, types, enums and defaults; every bound of the model is in the CRD, which may
add its own (so that the API server, not the hook, refuses a bad object). Most important:
whatever the API server would store, the model accepts. A hypothesis test generates objects
from the CRD's OpenAPI schema and feeds the defaulted spec to the model.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hooks.cluster.quantity import canonical_quantity
from hooks.cluster.spec import PinotClusterSpec
from hooks.cluster.validation import parse_spec
from hooks.syntax import IMAGE, QUALIFIED_NAME

from .crdcheck import REPO_ROOT, default_custom_resource, load_crds, schema_errors, validate_custom_resource

Json = Any
SPEC_SCHEMA: Mapping[str, Any] = load_crds()["PinotCluster"].schema["properties"]["spec"]
MODEL_SCHEMA: Mapping[str, Any] = PinotClusterSpec.model_json_schema()


def _resolve(node: Mapping[str, Any]) -> dict[str, Any]:
    """Inline $ref and drop the `| None` branch pydantic emits for optional fields."""
    resolved = dict(node)
    if "$ref" in resolved:
        target = MODEL_SCHEMA["$defs"][resolved.pop("$ref").split("/")[-1]]
        resolved = {**_resolve(target), **resolved}
    if "anyOf" in resolved:
        branches = [b for b in resolved.pop("anyOf") if b.get("type") != "null"]
        assert len(branches) == 1, f"unexpected union {branches}"
        resolved = {**_resolve(branches[0]), **resolved}
    return resolved


def _model_type(node: Mapping[str, Any]) -> str | None:
    if "type" in node:
        return str(node["type"])
    if "enum" in node:
        return "string"
    return None


def differences(model: Mapping[str, Any], crd: Mapping[str, Any], path: str = "spec") -> list[str]:
    """How the CRD node differs from the model node (CRD-only bounds are allowed)."""
    m = _resolve(model)
    found: list[str] = []
    if _model_type(m) != crd.get("type"):
        return [f"{path}: model type {_model_type(m)}, CRD type {crd.get('type')}"]
    if "enum" in m and sorted(m["enum"]) != sorted(crd.get("enum", [])):
        found.append(f"{path}: model enum {m['enum']}, CRD enum {crd.get('enum')}")
    for key in ("minimum", "minLength", "minItems"):
        if key in m and crd.get(key, float("-inf")) < m[key]:
            found.append(f"{path}: model {key} {m[key]}, CRD {crd.get(key)}")
    for key in ("maximum", "maxLength", "maxItems"):
        if key in m and crd.get(key, float("inf")) > m[key]:
            found.append(f"{path}: model {key} {m[key]}, CRD {crd.get(key)}")
    default = m.get("default")
    if default is not None and not isinstance(default, dict) and crd.get("default") != default:
        found.append(f"{path}: model default {default!r}, CRD default {crd.get('default')!r}")
    if m.get("type") == "array":
        found += differences(m["items"], crd["items"], f"{path}[]")
    if m.get("type") == "object":
        found += _object_differences(m, crd, path)
    return found


def _object_differences(m: Mapping[str, Any], crd: Mapping[str, Any], path: str) -> list[str]:
    if "properties" in m:
        found = []
        model_fields, crd_fields = set(m["properties"]), set(crd.get("properties", {}))
        if model_fields != crd_fields:
            found.append(
                f"{path}: only in model {model_fields - crd_fields}, only in CRD {crd_fields - model_fields}"
            )
        if set(m.get("required", [])) != set(crd.get("required", [])):
            found.append(f"{path}: model requires {m.get('required')}, CRD requires {crd.get('required')}")
        for name in sorted(model_fields & crd_fields):
            found += differences(m["properties"][name], crd["properties"][name], f"{path}.{name}")
        return found
    additional = m.get("additionalProperties")
    if isinstance(additional, Mapping):
        if not isinstance(crd.get("additionalProperties"), Mapping):
            return [f"{path}: a map in the model, not in the CRD"]
        return differences(additional, crd["additionalProperties"], f"{path}{{}}")
    if not crd.get("x-kubernetes-preserve-unknown-fields"):
        return [f"{path}: free-form in the model, pruned by the CRD"]
    return []


def test_crd_spec_matches_the_model_field_by_field() -> None:
    assert differences(MODEL_SCHEMA, SPEC_SCHEMA) == []


def _without_empty(value: Json) -> Json:
    if isinstance(value, dict):
        kept = {k: _without_empty(v) for k, v in value.items() if v is not None}
        return {k: v for k, v in kept.items() if v != {}}
    if isinstance(value, list):
        return [_without_empty(v) for v in value]
    return value


def _cluster(spec: Json) -> dict[str, Any]:
    return {
        "apiVersion": "pinot.controlplane.dev/v1alpha1",
        "kind": "PinotCluster",
        "metadata": {"name": "pinot"},
        "spec": spec,
    }


_MINIMAL_SPEC = {
    "image": "apachepinot/pinot:1.3.0",
    "zookeeper": {"address": "zk:2181"},
    "pools": [
        {"name": "c", "role": "controller"},
        {"name": "b", "role": "broker"},
        {"name": "s", "role": "server"},
    ],
}
SPECS = {
    "minimal": _MINIMAL_SPEC,
    "empty rollout": {**_MINIMAL_SPEC, "rollout": {}},
    "explicit nulls": {**_MINIMAL_SPEC, "paused": None, "rollout": None},
    "example minimal": yaml.safe_load((REPO_ROOT / "examples/cluster-minimal.yaml").read_text())["spec"],
    "example heterogeneous": yaml.safe_load((REPO_ROOT / "examples/cluster-heterogeneous.yaml").read_text())[
        "spec"
    ],
}


@pytest.mark.parametrize("spec", SPECS.values(), ids=SPECS.keys())
def test_hook_accepts_the_specs(spec: Json) -> None:
    stored = default_custom_resource(_cluster(spec))
    assert parse_spec(stored["spec"], stored["metadata"]["name"])[1] == []


@pytest.mark.parametrize("spec", SPECS.values(), ids=SPECS.keys())
def test_crd_defaults_equal_model_defaults(spec: Json) -> None:
    """The API server's defaulting and the model's defaults produce the same spec."""
    stored = default_custom_resource(_cluster(spec))["spec"]
    model = PinotClusterSpec.model_validate(stored).model_dump(mode="json", exclude_none=True)
    assert _without_empty(model) == _without_empty(stored)


# ---------------------------------------------------------------- CRD-valid => model-valid

# Map keys are label and annotation keys (a CEL rule on each map; the hook checks them too).
_KEYS = st.from_regex(
    re.sub(r"\?P<\w+>", "", QUALIFIED_NAME).removeprefix("^").removesuffix("$"), fullmatch=True
)
_FREE = st.dictionaries(_KEYS, st.integers() | st.text(max_size=5) | st.booleans(), max_size=2)


# Patterns whose values Hypothesis draws too slowly from the regex (tens of milliseconds each).
SAMPLES = {
    IMAGE: [
        "apachepinot/pinot:1.3.0",
        "registry.example.com:5000/data/pinot/pinot:1.3.0-jdk17",
        "pinot@sha256:" + "0a" * 32,
        "localhost/pinot",
    ]
}


def strategy(node: Mapping[str, Any]) -> st.SearchStrategy[Json]:
    """Values the OpenAPI node accepts (small ones), ignoring CEL rules: those only narrow it."""
    if "enum" in node:
        return st.sampled_from(node["enum"])
    kind = node.get("type")
    if kind == "string":
        low, high = node.get("minLength", 0), node.get("maxLength", 40)
        if node.get("pattern") in SAMPLES:
            return st.sampled_from(SAMPLES[node["pattern"]])
        if "pattern" in node:  # bounded by the schema only: shorter bounds reject most of what it draws
            return st.from_regex(node["pattern"], fullmatch=True).filter(lambda s: low <= len(s) <= high)
        return st.text(min_size=low, max_size=min(high, 40))
    if kind == "integer":
        return st.integers(min_value=node.get("minimum", -(2**31)), max_value=node.get("maximum", 2**31 - 1))
    if kind == "boolean":
        return st.booleans()
    if kind == "array":
        high = min(node.get("maxItems", 3), 3)
        items = strategy(node["items"])
        if node.get("x-kubernetes-list-type") == "map":
            keys = node["x-kubernetes-list-map-keys"]
            return st.lists(
                items,
                min_size=node.get("minItems", 0),
                max_size=high,
                unique_by=lambda i: tuple(i[k] for k in keys),
            )
        return st.lists(items, min_size=node.get("minItems", 0), max_size=high)
    if kind == "object":
        if isinstance(node.get("additionalProperties"), Mapping):
            return st.dictionaries(_KEYS, strategy(node["additionalProperties"]), max_size=2)
        if "properties" not in node:
            return _FREE
        required = set(node.get("required", []))
        props = node["properties"]
        return st.fixed_dictionaries(
            {k: strategy(v) for k, v in props.items() if k in required},
            optional={k: strategy(v) for k, v in props.items() if k not in required},
        )
    raise AssertionError(f"no strategy for {node}")


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
@given(spec=strategy(SPEC_SCHEMA))
def test_model_accepts_whatever_the_crd_schema_accepts(spec: Json) -> None:
    stored = default_custom_resource(_cluster(spec))
    assert schema_errors(stored) == []  # the generator only makes schema-valid objects
    PinotClusterSpec.model_validate(stored["spec"])


_SIZE = SPEC_SCHEMA["properties"]["pools"]["items"]["properties"]["kubernetes"]["properties"]["storage"]
_SIZE_PATTERN: str = _SIZE["properties"]["size"]["pattern"]


@settings(max_examples=300, deadline=None)
@given(size=st.from_regex(_SIZE_PATTERN, fullmatch=True).filter(lambda s: len(s) <= 64))
def test_hook_parses_every_storage_size_the_crd_accepts(size: str) -> None:
    """Including quickly: an unbounded decimal exponent would cost the hook a huge integer."""
    canonical_quantity(size)


def _with(path: str, value: Json) -> Json:
    """The minimal spec with one field (dotted path, list indices as numbers) replaced."""
    spec = copy.deepcopy(_MINIMAL_SPEC)
    *parents, last = path.split(".")
    target: Any = spec
    for part in parents:
        target = target[int(part)] if part.isdigit() else target.setdefault(part, {})
    target[int(last) if last.isdigit() else last] = value
    return spec


REFUSED_BY_BOTH = {
    "blank clusterName": _with("clusterName", "  "),
    "jvmOpts on two lines": _with("defaults.server.pinot.jvmOpts", "-Xmx1G\n-Xms1G"),
    "plugin list in one entry": _with("pools.2.pinot.plugins", ["pinot-s3,pinot-parquet"]),
    "property value on two lines": _with("defaults.common.pinot.properties", {"a.b": "x\ny"}),
    "pool name with capitals": _with("pools.0.name", "Controller"),
    "duplicate pool names": _with("pools.1", {"name": "c", "role": "broker"}),
    "no server pool": _with("pools.2", {"name": "s", "role": "minion"}),
    "incomplete deploymentOrder": _with("deploymentOrder", ["controller", "broker", "server"]),
    "storage size that is no quantity": _with("pools.2.kubernetes", {"storage": {"size": "ten gigs"}}),
}


@pytest.mark.parametrize("spec", REFUSED_BY_BOTH.values(), ids=REFUSED_BY_BOTH.keys())
def test_crd_refuses_at_admission_what_the_hook_refuses(spec: Json) -> None:
    obj = _cluster(spec)
    assert validate_custom_resource(obj) != []
    stored = default_custom_resource(obj)
    assert parse_spec(stored["spec"], stored["metadata"]["name"])[1] != []


def test_crd_refuses_storage_sizes_with_huge_exponents() -> None:
    """The hook would spend unbounded time expanding 1e99999999 into an integer."""
    errors = validate_custom_resource(
        _cluster(_with("pools.2.kubernetes", {"storage": {"size": "1e99999999"}}))
    )
    assert [e for e in errors if "storage.size" in e]
