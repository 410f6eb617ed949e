"""`status.poolsReady` and `status.pinotVersion`: the PinotCluster's printer columns."""

from __future__ import annotations

import copy
from typing import Any

from hooks.cluster.sync import sync_cluster
from tests.cluster.builders import BASE_SPEC, NOW, parent, request
from tests.cluster.rounds import Rounds
from tests.crds.crdcheck import validate_status


def status_of(spec: dict[str, Any] | None = None) -> dict[str, Any]:
    status: dict[str, Any] = sync_cluster(request(parent(spec)), NOW).body["status"]
    return status


def test_a_fresh_cluster_has_no_pool_ready_and_the_spec_image_version() -> None:
    status = status_of()
    assert (status["poolsReady"], status["pinotVersion"]) == ("0/5", "1.3.0")
    assert validate_status("PinotCluster", status) == []


def test_pools_become_ready_one_role_after_another() -> None:
    rounds = Rounds(parent())
    seen = [rounds.step()["status"]["poolsReady"] for _ in range(16)]
    assert seen[0] == "0/5" and seen[-1] == "5/5"
    assert seen == sorted(seen, key=lambda text: int(text.split("/")[0]))


def test_a_pool_that_never_gets_ready_is_not_counted() -> None:
    rounds = Rounds(parent(), never_ready=frozenset({"cold"}))
    for _ in range(16):
        body = rounds.step()
    assert body["status"]["poolsReady"] == "3/5"  # cold never ready, minions wait behind it


def test_pools_with_their_own_images_list_each_version_once_in_pool_order() -> None:
    spec = copy.deepcopy(BASE_SPEC)
    spec["pools"][2]["image"] = "registry.example.com/pinot/pinot:1.4.0-rc1"
    spec["pools"][3]["image"] = "apachepinot/pinot:1.4.0-21-ms-openjdk"
    assert status_of(spec)["pinotVersion"] == "1.3.0,1.4.0"


def test_a_version_change_shows_where_from_and_where_to_until_it_is_done() -> None:
    rounds = Rounds(parent())
    for _ in range(6):
        rounds.step()
    assert rounds.step()["status"]["pinotVersion"] == "1.3.0"
    rounds.change(image="apachepinot/pinot:1.4.0")
    seen = [rounds.step()["status"]["pinotVersion"] for _ in range(12)]
    assert seen[0] == "1.3.0 -> 1.4.0" and seen[-1] == "1.4.0"
    assert set(seen) == {"1.3.0 -> 1.4.0", "1.4.0"}


def test_a_stated_version_counts_where_the_tag_has_none() -> None:
    spec = {**copy.deepcopy(BASE_SPEC), "image": "registry.example.com/pinot:custom", "pinotVersion": "1.3.0"}
    assert status_of(spec)["pinotVersion"] == "1.3.0"


def test_an_image_without_a_tag_shows_no_version() -> None:
    spec = {**copy.deepcopy(BASE_SPEC), "image": "apachepinot/pinot@sha256:" + "a" * 64}
    assert "pinotVersion" not in status_of(spec)


def test_an_invalid_spec_keeps_what_the_columns_showed() -> None:
    valid = parent()
    valid["status"] = status_of()
    broken = copy.deepcopy(valid)
    broken["spec"]["pools"][0]["replicas"] = -1
    status = sync_cluster(request(broken), NOW).body["status"]
    assert (status["poolsReady"], status["pinotVersion"]) == ("0/5", "1.3.0")
