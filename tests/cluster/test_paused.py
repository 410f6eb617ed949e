"""A paused cluster reports what runs: pools ready at the revision their pods have, a change held."""

from __future__ import annotations

from typing import Any

from hooks.cluster.sync import sync_cluster
from tests.cluster.builders import NOW, parent, request
from tests.cluster.rounds import Rounds


def conditions(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["type"]: c for c in body["status"]["conditions"]}


def test_paused_with_a_pending_change_reports_ready_pools_at_their_current_revision() -> None:
    rounds = Rounds(parent())
    for _ in range(14):
        settled = rounds.step()
    revisions = {p["name"]: p["revision"] for p in settled["status"]["pools"]}
    rounds.change(paused=True, image="mirror.example/apachepinot/pinot:1.3.0")

    body = rounds.step()

    found = conditions(body)
    assert (found["Ready"]["status"], found["Ready"]["reason"]) == ("True", "AllPoolsReady")
    assert (found["Paused"]["status"], found["Progressing"]["reason"]) == ("True", "Paused")
    assert found["Progressing"]["message"].endswith(
        "a change is held for pools controllers, brokers, hot, cold, minions"
    )
    pools = body["status"]["pools"]
    assert {p["name"]: p["state"] for p in pools} == dict.fromkeys(revisions, "Ready")
    assert {p["name"]: p["revision"] for p in pools} == revisions
    assert all(p["message"].endswith("a change is held while spec.paused is true") for p in pools)
    again = sync_cluster(request(rounds.parent, list(rounds.children.values())), NOW).body
    assert again["status"] == body["status"]  # nothing moves while paused: a fixed point


def test_paused_without_a_change_says_nothing_is_held() -> None:
    rounds = Rounds(parent())
    for _ in range(14):
        rounds.step()
    rounds.change(paused=True)
    body = rounds.step()
    assert conditions(body)["Progressing"]["message"] == "spec.paused is true: children are kept as observed"
    assert all("held" not in p["message"] for p in body["status"]["pools"])


def test_a_version_change_held_by_a_pause_reports_the_version_each_pool_runs() -> None:
    rounds = Rounds(parent())
    for _ in range(14):
        rounds.step()
    rounds.change(paused=True, image="apachepinot/pinot:1.2.0")
    body = rounds.step()
    pools = body["status"]["pools"]
    assert {(p["runningVersion"], p["desiredVersion"], p["state"]) for p in pools} == {
        ("1.3.0", "1.2.0", "Ready")
    }
    assert "the downgrade 1.3.0 -> 1.2.0 holds where it stands" in conditions(body)["Progressing"]["message"]
    rounds.change(paused=False)
    moving = {p["name"]: p["runningVersion"] for p in rounds.step()["status"]["pools"]}
    assert moving["minions"] == "1.3.0 -> 1.2.0"  # released first on the way down, once unpaused
