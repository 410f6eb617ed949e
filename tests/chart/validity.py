"""Every object an install path renders, checked the strictest way we have for its kind."""

from __future__ import annotations

from tests.manifests.test_install import composite_controller_errors
from tests.support.kube_schemas import strict_errors
from tests.support.prometheus_operator import pod_monitor_errors, service_monitor_errors
from tests.support.tools import JsonObject


def problems(objects: list[JsonObject]) -> list[str]:
    """[] when every object is valid. CRDs are left to tests/crds, which checks crds/ (the chart's
    CRDs are byte copies of those)."""
    found = []
    for obj in objects:
        if obj["kind"] == "CompositeController":
            found += composite_controller_errors(obj)
        elif obj["kind"] == "ServiceMonitor":
            found += service_monitor_errors(obj)
        elif obj["kind"] == "PodMonitor":
            found += pod_monitor_errors(obj)
        elif obj["kind"] != "CustomResourceDefinition":
            found += strict_errors(obj)
    return found
