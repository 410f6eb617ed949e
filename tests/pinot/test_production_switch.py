"""Basic auth turned on on a running, serving cluster, on real Pinot processes, as the hook plans it.

The sync hook plans every step; :class:`upgrade.fleet.Fleet` runs its answers as the StatefulSet
controller would (pods restarted one at a time from the configs the hook rendered, init containers
and Secrets included). The cluster: one controller, two brokers, two servers, an OFFLINE table with
replication 2, queried through the brokers with the admin's credentials the whole time (a broker that
does not check credentials ignores them). Phase 1 gives the controller and the servers the admin's
token, phase 2 makes the controller and brokers check credentials. Every answer must be full; at the
end Pinot refuses calls without credentials, and a segment uploaded with them reaches both servers,
which download it from the controller that now checks credentials, with their token.
"""

from __future__ import annotations

import base64
import shutil
import time
from pathlib import Path
from typing import Any

import httpx

from .conftest import log
from .harness import (
    load_classpath,
    pinot_version,
)
from .production.principals import ADMIN, AUTH, SECRETS
from .upgrade import test_upgrade
from .upgrade.fleet import Fleet
from .upgrade.queries import QueryLoop
from .upgrade.test_upgrade import (
    ROWS,
    SEGMENTS,
    TABLE,
    Driver,
    admin,
    create_table,
)
from .upgrade.test_upgrade import cluster as upgrade_cluster

JsonObject = dict[str, Any]
zookeeper = test_upgrade.zookeeper  # the fixture: a ZooKeeper with the chroot
PHASES = ["BasicAuthTokensFirst", "BasicAuthChecksOn"]


def version() -> str:
    return ".".join(map(str, pinot_version(load_classpath())))


def cluster(zk_port: int) -> JsonObject:
    """The upgrade test's cluster (one controller, two brokers, servers with their own gRPC ports) at
    the Pinot version under test, with two servers.

    Brokers wait 3 s instead of 10 before they stop, and servers give a query 4 s instead of 15 (a
    stopping server waits that long after its last query): settings a user may write, which save
    this test 40 s of waiting. The upgrade test (`make test-upgrade`) keeps Pinot's defaults."""
    found = upgrade_cluster(zk_port)
    found["metadata"] |= {"uid": "uid-switch", "annotations": {}}
    found["spec"]["image"] = f"apachepinot/pinot:{version()}"
    pools = {pool["role"]: pool for pool in found["spec"]["pools"]}
    pools["server"]["replicas"] = 2
    pools["server"]["pinot"]["properties"]["pinot.server.query.executor.timeout"] = "4000"
    pools["broker"]["pinot"] = {"properties": {"pinot.broker.delayShutdownTimeMs": "3000"}}
    return found


def basic(credentials: tuple[str, str]) -> dict[str, str]:
    token = base64.b64encode(f"{credentials[0]}:{credentials[1]}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def refused(response: httpx.Response) -> bool:
    """A query Pinot refused for want of credentials: 1.x answers 401 (403 for wrong ones); 0.11
    answers 200 with ACCESS_DENIED (error code 180) and no result."""
    if response.status_code in (401, 403):
        return True
    body = response.json() if response.status_code == 200 else {}
    codes = [e.get("errorCode") for e in body.get("exceptions", [])]
    return codes == [180] and not body.get("resultTable")


def count(broker: str, sql: str) -> int:
    answer = httpx.post(f"{broker}/query/sql", json={"sql": sql}, headers=basic(ADMIN), timeout=30).json()
    assert not answer.get("exceptions"), answer
    found: int = answer["resultTable"]["rows"][0][0]
    return found


def test_basic_auth_turned_on_while_serving_answers_every_query_in_full(
    zookeeper: int, tmp_path: Path
) -> None:
    fleet = Fleet(tmp_path / "pods", zookeeper, log=log, secrets=SECRETS)
    driver = Driver(cluster(zookeeper), fleet)
    queries = QueryLoop(f"SELECT COUNT(*) FROM {TABLE}", headers=basic(ADMIN))
    fleet.endpoints_changed = lambda: setattr(
        queries, "endpoints", tuple(p.overlaid.base_url for p in fleet.ready_pods("broker"))
    )
    try:
        driver.run()
        expected = create_table(fleet.url("controller"), tmp_path)
        assert expected == SEGMENTS * ROWS
        fleet.endpoints_changed()
        queries.start()
        time.sleep(3)

        driver.change(auth=AUTH)
        phases = driver.run()
        time.sleep(3)
        queries.stop()
        log(f"pinot[switch]: {', '.join(f'{reason} {seconds:.0f}s' for reason, seconds in phases)}")
        assert [reason for reason, _ in phases[:-1]] == PHASES
        restarted = sorted({event.pod for event in fleet.events if event.before})
        pods = [
            "pinot-brokers-0",
            "pinot-brokers-1",
            "pinot-controllers-0",
            "pinot-servers-0",
            "pinot-servers-1",
        ]
        assert restarted == pods
        missed = [a for a in queries.answers if not a.full(expected)]
        log(
            f"pinot[switch]: {len(queries.answers) - len(missed)} of {len(queries.answers)} "
            "queries answered in full"
        )
        assert len(queries.answers) > 50, "too few queries ran while basic auth was turned on"
        assert not missed, f"{len(missed)} of {len(queries.answers)} answers not full: {missed[:5]}"

        broker, controller = fleet.url("broker"), fleet.url("controller")
        sql = {"sql": f"SELECT COUNT(*) FROM {TABLE}"}
        assert refused(httpx.post(f"{broker}/query/sql", json=sql, timeout=30))
        assert httpx.get(f"{controller}/tables", timeout=30).status_code in (401, 403)
        assert httpx.get(f"{controller}/tables", headers=basic(ADMIN), timeout=30).status_code == 200

        # A segment uploaded now is downloaded by both servers from the controller, which checks
        # the token each server sends (it replaces the table's first segment with other rows).
        fresh = tmp_path / "fresh"
        fresh.mkdir()
        rows = [f"{100000 + i},fresh,{i}" for i in range(ROWS)]
        (fresh / "part-0.csv").write_text("id,city,v\n" + "\n".join(rows) + "\n", encoding="utf-8")
        shutil.rmtree(tmp_path / "segments")
        files = ["-tableConfigFile", "table.json", "-schemaFile", "schema.json"]
        admin(
            version(),
            tmp_path,
            "CreateSegment",
            "-dataDir",
            "fresh",
            "-format",
            "CSV",
            "-outDir",
            "segments",
            *files,
        )
        host, port = controller.removeprefix("http://").split(":")
        where = ["-controllerHost", host, "-controllerPort", port, "-user", ADMIN[0], "-password", ADMIN[1]]
        admin(version(), tmp_path, "UploadSegment", *where, "-segmentDir", "segments", "-tableName", TABLE)
        fresh_sql = f"SELECT COUNT(*) FROM {TABLE} WHERE city = 'fresh'"
        deadline = time.monotonic() + 120
        while (
            count(broker, fresh_sql) != ROWS
            or count(fleet.ready_pods("broker")[1].overlaid.base_url, fresh_sql) != ROWS
        ):
            assert time.monotonic() < deadline, "the uploaded segment did not reach the servers"
            time.sleep(1)
        view = httpx.get(f"{controller}/tables/{TABLE}/externalview", headers=basic(ADMIN), timeout=30).json()
        assert all(list(s.values()).count("ONLINE") == 2 for s in view["OFFLINE"].values()), view
        assert not fleet.failures(), fleet.failures()
    finally:
        queries.stop()
        fleet.stop()
