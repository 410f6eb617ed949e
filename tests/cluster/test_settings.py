"""Layering: defaults.common, then defaults.<role>, then the pool (README "Merge rules")."""

from __future__ import annotations

import copy

from hooks.cluster.settings import ordered_pools, resolve_pool
from hooks.cluster.spec import PinotClusterSpec, Role
from tests.cluster.builders import BASE_SPEC


def layered_spec() -> PinotClusterSpec:
    raw = copy.deepcopy(BASE_SPEC)
    raw["defaults"] = {
        "common": {
            "pinot": {"properties": {"a": "common", "b": "common"}, "jvmOpts": "-Xmx1G", "plugins": ["x"]},
            "kubernetes": {
                "nodeSelector": {"zone": "a", "disk": "any"},
                "storage": {"size": "10Gi", "storageClassName": "standard"},
                "tolerations": [{"key": "common", "operator": "Exists"}],
                "resources": {"requests": {"cpu": "1", "memory": "1Gi"}},
                "service": {"type": "ClusterIP", "annotations": {"team": "data"}},
            },
        },
        "server": {
            "pinot": {"properties": {"b": "server"}},
            "kubernetes": {
                "nodeSelector": {"disk": "ssd"},
                "storage": {"size": "100Gi"},
                "tolerations": [{"key": "server", "operator": "Exists"}],
            },
        },
    }
    raw["pools"][2]["pinot"] = {"properties": {"c": "pool"}, "plugins": ["y", "z"]}
    raw["pools"][2]["kubernetes"] = {
        "resources": {"limits": {"memory": "2Gi"}},
        "service": {"annotations": {"x": "1"}},
    }
    return PinotClusterSpec.model_validate(raw)


def test_string_maps_merge_by_key_and_the_pool_wins() -> None:
    hot = resolve_pool(layered_spec(), layered_spec().pools[2], 2)
    assert hot.pinot.properties == {"a": "common", "b": "server", "c": "pool"}
    assert hot.kubernetes.node_selector == {"zone": "a", "disk": "ssd"}
    assert hot.kubernetes.service_annotations == {"team": "data", "x": "1"}


def test_own_objects_merge_field_by_field() -> None:
    hot = resolve_pool(layered_spec(), layered_spec().pools[2], 2)
    assert (hot.kubernetes.storage_size, hot.kubernetes.storage_class) == ("100Gi", "standard")
    assert hot.kubernetes.service_type == "ClusterIP"


def test_lists_and_kubernetes_objects_are_replaced_whole() -> None:
    spec = layered_spec()
    hot = resolve_pool(spec, spec.pools[2], 2)
    assert hot.kubernetes.tolerations == [{"key": "server", "operator": "Exists"}]
    assert hot.kubernetes.resources == {"limits": {"memory": "2Gi"}}
    assert hot.pinot.plugins == ["y", "z"]
    broker = resolve_pool(spec, spec.pools[1], 1)
    assert broker.kubernetes.tolerations == [{"key": "common", "operator": "Exists"}]
    assert broker.pinot.plugins == ["x"]
    assert broker.pinot.jvm_opts == "-Xmx1G"


def test_pool_image_overrides_cluster_image() -> None:
    raw = copy.deepcopy(BASE_SPEC)
    raw["pools"][3]["image"] = "apachepinot/pinot:1.4.0"
    spec = PinotClusterSpec.model_validate(raw)
    images = {p.name: p.image for p in ordered_pools(spec)}
    assert images["cold"] == "apachepinot/pinot:1.4.0"
    assert images["hot"] == "apachepinot/pinot:1.3.0"


def test_pools_are_ordered_by_role_then_position() -> None:
    raw = copy.deepcopy(BASE_SPEC)
    raw["pools"] = list(reversed(raw["pools"]))
    raw["deploymentOrder"] = ["controller", "server", "broker", "minion"]
    spec = PinotClusterSpec.model_validate(raw)
    assert [(p.role, p.name) for p in ordered_pools(spec)] == [
        (Role.CONTROLLER, "controllers"),
        (Role.SERVER, "cold"),
        (Role.SERVER, "hot"),
        (Role.BROKER, "brokers"),
        (Role.MINION, "minions"),
    ]


def _raw_layered() -> dict[str, object]:
    return layered_spec().model_dump(exclude_unset=True, mode="json")


def test_remembered_layering_is_the_layering() -> None:
    raw = _raw_layered()
    spec = PinotClusterSpec.model_validate(raw)

    assert ordered_pools(spec) == ordered_pools(spec)
    assert ordered_pools(spec) == ordered_pools(spec)  # now remembered


def test_a_changed_default_layer_is_layered_anew() -> None:
    raw = _raw_layered()
    ordered_pools(PinotClusterSpec.model_validate(raw))
    raw["defaults"]["server"]["pinot"]["properties"]["b"] = "changed"  # type: ignore[index]
    raw["image"] = "apachepinot/pinot:1.4.0"
    spec = PinotClusterSpec.model_validate(raw)

    hot = next(pool for pool in ordered_pools(spec) if pool.name == "hot")
    assert hot.pinot.properties["b"] == "changed"
    assert hot.image == "apachepinot/pinot:1.4.0"
    assert ordered_pools(spec) == ordered_pools(spec)


def test_a_pool_moved_to_another_position_keeps_its_own_index() -> None:
    raw = _raw_layered()
    ordered_pools(PinotClusterSpec.model_validate(raw))
    raw["pools"] = list(reversed(raw["pools"]))  # type: ignore[call-overload]
    spec = PinotClusterSpec.model_validate(raw)

    assert {p.name: p.index for p in ordered_pools(spec)} == {p.name: p.index for p in ordered_pools(spec)}
