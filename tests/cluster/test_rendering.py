"""A pool is rendered once per distinct input; what is remembered never leaks between answers."""

from __future__ import annotations

import copy
from collections.abc import Iterator

import pytest

from hooks import jsonio
from hooks.cluster import rendering
from hooks.cluster.rendering import render_pool
from hooks.cluster.services import config_map, disruption_budget, headless_service
from hooks.cluster.settings import PoolSettings, ordered_pools
from hooks.cluster.spec import PinotClusterSpec
from hooks.cluster.workload import ClusterContext, pod_inputs, pod_template, template_hash
from tests.cluster.builders import BASE_SPEC

CLUSTER = ClusterContext(
    name="demo",
    namespace="analytics",
    helix_cluster="demo",
    zookeeper="zk:2181/pinot",
    image_pull_policy=None,
    image_pull_secrets=[],
)


@pytest.fixture(autouse=True)
def empty_memo() -> Iterator[None]:
    rendering.MEMO.clear()
    yield
    rendering.MEMO.clear()


def server_pool(**properties: str) -> PoolSettings:
    raw = copy.deepcopy(BASE_SPEC)
    raw["pools"][2]["pinot"] = {"properties": properties}
    spec = PinotClusterSpec.model_validate(raw)
    return next(pool for pool in ordered_pools(spec) if pool.name == "hot")


def test_a_remembered_pool_renders_exactly_as_a_fresh_one() -> None:
    pool = server_pool(**{"pinot.server.query.executor.timeout": "30000"})
    fresh = render_pool(pool, CLUSTER)
    remembered = render_pool(pool, CLUSTER)
    rendering.MEMO.clear()
    again = render_pool(pool, CLUSTER)

    assert remembered == fresh == again
    assert remembered.template_hash == template_hash(remembered.template)
    assert len(rendering.MEMO) == 1


def test_a_changed_property_is_rendered_anew() -> None:
    before = render_pool(server_pool(**{"pinot.server.query.executor.timeout": "30000"}), CLUSTER)
    after = render_pool(server_pool(**{"pinot.server.query.executor.timeout": "30001"}), CLUSTER)

    assert "pinot.server.query.executor.timeout=30001" in after.config_text
    assert after.config_name != before.config_name
    assert after.template_hash != before.template_hash
    assert len(rendering.MEMO) == 2


def test_a_changed_cluster_context_is_rendered_anew() -> None:
    pool = server_pool()
    moved = ClusterContext(**{**CLUSTER.__dict__, "zookeeper": "zk-2:2181/pinot"})

    # A server reads the ZooKeeper address from its start arguments.
    assert "zk-2:2181/pinot" in render_pool(pool, moved).template["spec"]["containers"][0]["args"]
    assert "zk-2:2181/pinot" not in render_pool(pool, CLUSTER).template["spec"]["containers"][0]["args"]


def test_every_call_gets_its_own_pod_template() -> None:
    pool = server_pool()
    first = render_pool(pool, CLUSTER)
    first.template["spec"]["containers"][0]["image"] = "changed-by-a-caller"
    first.template["metadata"]["labels"].clear()

    second = render_pool(pool, CLUSTER)

    assert second.template is not first.template
    assert second.template["spec"]["containers"][0]["image"] == pool.image
    assert second.template["metadata"]["labels"]
    assert second.template_hash == template_hash(second.template)


@pytest.mark.parametrize("partition", [0, 1, 3])
def test_a_remembered_statefulset_is_the_one_built_afresh(partition: int) -> None:
    rendered = render_pool(server_pool(), CLUSTER)
    remembered = rendered.encoded_statefulset(partition)

    assert remembered is rendered.encoded_statefulset(partition)
    assert remembered.data == jsonio.dumps(rendered.statefulset(partition))
    assert jsonio.loads(remembered.data)["spec"]["template"] == rendered.template
    assert jsonio.loads(remembered.data)["spec"]["updateStrategy"]["rollingUpdate"]["partition"] == partition


def test_companions_are_the_services_and_config_map_built_afresh() -> None:
    pool = server_pool()
    rendered = render_pool(pool, CLUSTER)
    config = config_map(pool, CLUSTER, rendered.config_name, rendered.config_hash, rendered.config_text)
    built = [
        headless_service(CLUSTER.name, pool.name, pool.role),
        disruption_budget(CLUSTER.name, pool.name, pool.role),
        config,
    ]

    assert [jsonio.loads(c.data) for c in rendered.companions] == built


def test_an_observed_statefulset_keeps_immutable_fields_only_as_the_pool_wants_them() -> None:
    rendered = render_pool(server_pool(), CLUSTER)
    stored = jsonio.loads(rendered.encoded_statefulset(0).data)["spec"]
    stored["template"] = {"changed": "by the API server's defaulting"}
    assert rendered.keeps_immutable(stored)

    stored["volumeClaimTemplates"][0]["spec"]["resources"]["requests"]["storage"] = "1Ti"
    assert not rendered.keeps_immutable(stored)
    assert not rendered.keeps_immutable({})


def test_a_changed_config_builds_the_template_around_the_parts_it_kept() -> None:
    rendering.TEMPLATE_PARTS.clear()
    before = render_pool(server_pool(**{"pinot.server.query.executor.timeout": "30000"}), CLUSTER)
    after = render_pool(server_pool(**{"pinot.server.query.executor.timeout": "30001"}), CLUSTER)

    assert len(rendering.TEMPLATE_PARTS) == 1  # only the config map's name differs
    for rendered in (before, after):
        built = pod_template(pod_inputs(rendered.settings, CLUSTER), rendered.config_name)
        assert rendered.template_json == jsonio.dumps(built)
        assert built["spec"]["volumes"][0]["configMap"]["name"] == rendered.config_name
    assert before.template_hash != after.template_hash


def test_a_changed_drain_builds_new_template_parts() -> None:
    rendering.TEMPLATE_PARTS.clear()
    quick = render_pool(server_pool(**{"pinot.server.shutdown.timeoutMs": "10000"}), CLUSTER)
    slow = render_pool(server_pool(**{"pinot.server.shutdown.timeoutMs": "600000"}), CLUSTER)

    assert len(rendering.TEMPLATE_PARTS) == 2
    assert quick.template["spec"]["terminationGracePeriodSeconds"] == 40
    assert slow.template["spec"]["terminationGracePeriodSeconds"] == 630
