"""The cluster from the rendered configs starts and every role registers with the controller."""

from __future__ import annotations

import httpx

from .harness import LOOPBACK, ROLES, Cluster, http_status


def test_every_role_is_healthy(pinot_cluster: Cluster) -> None:
    for role in ROLES:
        overlaid = pinot_cluster.roles[role]
        assert http_status(overlaid.health_url) == 200, f"{role} at {overlaid.health_url}"


def test_controller_lists_every_instance(pinot_cluster: Cluster) -> None:
    response = httpx.get(f"{pinot_cluster.controller_url}/instances", timeout=10)
    assert response.status_code == 200
    instances: list[str] = response.json()["instances"]
    roles = pinot_cluster.roles
    expected = {
        f"Controller_{LOOPBACK}_{roles['controller'].props['controller.port']}",
        f"Broker_{LOOPBACK}_{roles['broker'].props['pinot.broker.client.queryPort']}",
        f"Server_{LOOPBACK}_{roles['server'].props['pinot.server.netty.port']}",
        f"Minion_{LOOPBACK}_{roles['minion'].props['pinot.minion.port']}",
    }
    assert expected <= set(instances), instances
