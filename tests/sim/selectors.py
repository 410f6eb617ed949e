"""Kubernetes label selectors (`matchLabels` + `matchExpressions`) and Go-style deep equality."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson


def matches(selector: Mapping[str, Any] | None, labels: Mapping[str, str] | None) -> bool:
    """True when `labels` satisfy `selector`; an empty selector matches everything."""
    labels = labels or {}
    selector = selector or {}
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expression in selector.get("matchExpressions") or []:
        key, operator = expression["key"], expression["operator"]
        values = expression.get("values") or []
        if operator == "In" and labels.get(key) not in values:
            return False
        if operator == "NotIn" and key in labels and labels[key] in values:
            return False
        if operator == "Exists" and key not in labels:
            return False
        if operator == "DoesNotExist" and key in labels:
            return False
    return True


def go_equal(left: Any, right: Any) -> bool:
    """`reflect.DeepEqual` on decoded JSON: int64 and float64 differ even for equal values.

    Canonical JSON bytes compare exactly that way (`1` vs `1.0`, `true` vs `1`), and fast."""
    return orjson.dumps(left, option=orjson.OPT_SORT_KEYS) == orjson.dumps(right, option=orjson.OPT_SORT_KEYS)
