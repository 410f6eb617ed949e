"""Hints for the mistakes people make writing a spec by hand, added to the problem they cause.

A field put one level off (`jvmOpts` beside `pinot` instead of inside it, `replicas` under
`kubernetes`), a misspelt field, and a YAML scalar that is no string where a string must be
(`timeoutMs: 180000`, `prometheus.io/scrape: true`). Only ever asked about a refused spec.
"""

from __future__ import annotations

import difflib
import re
from typing import Any

from pydantic import BaseModel

# Where a field of a settings layer or a pool belongs, relative to the layer (or pool) itself.
PLACES: dict[str, str] = {
    **{name: f"pinot.{name}" for name in ("properties", "jvmOpts", "plugins")},
    **{
        name: f"kubernetes.{name}"
        for name in (
            "resources",
            "storage",
            "nodeSelector",
            "tolerations",
            "affinity",
            "topologySpreadConstraints",
            "podLabels",
            "podAnnotations",
            "env",
            "serviceAccountName",
            "priorityClassName",
            "terminationGracePeriodSeconds",
            "service",
        )
    },
    **{name: f"kubernetes.storage.{name}" for name in ("size", "storageClassName")},
}
POOL_ONLY = ("replicas", "image", "role", "name")


def hint(kind: str, path: str, name: str | int, parent: Any, value: Any, expected: str = "") -> str:
    """A hint for the error `kind` at `path` (ending in `name`) inside a `parent` model, or ''.
    `expected` is pydantic's list of the choices of an enum, if that is what was refused."""
    if kind == "extra_forbidden" and isinstance(name, str):
        return _misplaced(path, name, parent)
    if kind in ("literal_error", "enum") and isinstance(value, str):
        same = [choice for choice in re.findall(r"'([^']*)'", expected) if choice.lower() == value.lower()]
        return f"did you mean {same[0]!r}? Choices are case-sensitive" if same else ""
    if kind == "string_type" and isinstance(value, bool | int | float):
        text = ("true" if value else "false") if isinstance(value, bool) else str(value)
        what = "a boolean" if isinstance(value, bool) else "a number"
        return f'YAML read {text} as {what}: quote it ("{text}")'
    if kind == "string_type" and isinstance(value, dict):
        return "a single string is expected here; property keys are written whole ('a.b.c': value)"
    return ""


def _misplaced(path: str, name: str, parent: Any) -> str:
    base = path[: -len(name) - 1] if path.endswith(f".{name}") else path
    place = PLACES.get(name)
    if place is not None and base in ("spec", "spec.defaults"):  # settings of every pool
        return f"did you mean spec.defaults.common.{place}?"
    layer = next(
        (suffix for suffix in (".pinot", ".kubernetes.storage", ".kubernetes") if base.endswith(suffix)), ""
    )
    if place is not None and not (base + "." + name).endswith(place):
        return f"did you mean {base.removesuffix(layer)}.{place}?"
    if name in POOL_ONLY and layer and "pools[" in base:
        return f"{name} is a field of the pool: did you mean {base.removesuffix(layer)}.{name}?"
    fields = list(parent.model_fields) if isinstance(parent, type) and issubclass(parent, BaseModel) else []
    if base == "spec":
        fields.append("pools")  # validated apart from the rest of the spec
    close = difflib.get_close_matches(name, fields, n=1, cutoff=0.75)
    return f"did you mean {base}.{close[0]}?" if close else ""
