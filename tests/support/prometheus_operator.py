"""Strict checks of the monitoring.coreos.com/v1 ServiceMonitor and PodMonitor fields this project
emits.

kubernetes-validate knows only built-in kinds. The fields, types and patterns below are those of
prometheus-operator's ServiceMonitor and PodMonitor CRDs for what we use; anything else is refused,
so a typo (`scrapeInterval`, `targetPort: http`) fails here instead of being pruned by the API server.
"""

from __future__ import annotations

from typing import Any

import jsonschema

_DURATION = {
    "type": "string",
    "pattern": r"^(0|(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?)$",
}
_LABELS = {"type": "object", "additionalProperties": {"type": "string"}}
_METADATA = {
    "type": "object",
    "additionalProperties": False,
    "required": ["name", "namespace"],
    "properties": {"name": {"type": "string"}, "namespace": {"type": "string"}, "labels": _LABELS},
}
_SELECTOR = {
    "type": "object",
    "additionalProperties": False,
    "required": ["matchLabels"],
    "properties": {"matchLabels": {**_LABELS, "minProperties": 1}},
}
_NAMESPACE_SELECTOR = {
    "type": "object",
    "additionalProperties": False,
    "properties": {"any": {"type": "boolean"}, "matchNames": {"type": "array", "items": {"type": "string"}}},
}


def _endpoints(extra: dict[str, Any]) -> dict[str, Any]:
    """A non-empty list of scrape endpoints: a named port, a path, and the `extra` fields."""
    port_and_path = {"port": {"type": "string", "minLength": 1}, "path": {"type": "string", "pattern": "^/"}}
    return {
        "type": "array",
        "minItems": 1,
        "items": {
            "type": "object",
            "additionalProperties": False,
            "required": ["port"],
            "properties": {**port_and_path, **extra},
        },
    }


def _monitor(kind: str, required: list[str], spec: dict[str, Any]) -> dict[str, Any]:
    """A whole object of `kind` whose spec has exactly the properties `spec`."""
    return {
        "type": "object",
        "additionalProperties": False,
        "required": ["apiVersion", "kind", "metadata", "spec"],
        "properties": {
            "apiVersion": {"const": "monitoring.coreos.com/v1"},
            "kind": {"const": kind},
            "metadata": _METADATA,
            "spec": {
                "type": "object",
                "additionalProperties": False,
                "required": required,
                "properties": spec,
            },
        },
    }


SERVICE_MONITOR = _monitor(
    "ServiceMonitor",
    ["endpoints", "selector"],
    {
        "selector": _SELECTOR,
        "namespaceSelector": _NAMESPACE_SELECTOR,
        "endpoints": _endpoints({"interval": _DURATION, "scrapeTimeout": _DURATION}),
    },
)

_RELABELING = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "sourceLabels": {"type": "array", "items": {"type": "string", "minLength": 1}},
        "targetLabel": {"type": "string", "minLength": 1},
    },
}
POD_MONITOR = _monitor(
    "PodMonitor",
    ["selector"],
    {
        "selector": _SELECTOR,
        "namespaceSelector": _NAMESPACE_SELECTOR,
        "podMetricsEndpoints": _endpoints({"relabelings": {"type": "array", "items": _RELABELING}}),
    },
)


def _errors(schema: dict[str, Any], obj: dict[str, Any]) -> list[str]:
    validator = jsonschema.Draft202012Validator(schema)
    return sorted(f"{'.'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(obj))


def service_monitor_errors(obj: dict[str, Any]) -> list[str]:
    return _errors(SERVICE_MONITOR, obj)


def pod_monitor_errors(obj: dict[str, Any]) -> list[str]:
    return _errors(POD_MONITOR, obj)
