"""The fake Pinot controller's view of the simulated pods: an instance per Pinot pod, live while ready.

A pod of a broker, server or minion StatefulSet registers with Pinot as `<Role>_<pod FQDN>_<port>`
(pods run with `pinot.set.instance.id.to.hostname=true`; the FQDN is `<hostname>.<subdomain>.
<namespace>.svc.cluster.local`), carrying Pinot's default tags at its first join. It is live while
the pod is ready; a pod that is deleted or not ready is not live, and its instance stays registered
until a Job drops it, as in Helix. Controllers are not instances of a tenant and are left out.
"""

from __future__ import annotations

from tests.sim.apiserver import ApiServer
from tests.sim.controllers import pod_ready
from tests.support.fake_pinot import FakePinot

ROLE_LABEL = "pinot.controlplane.dev/role"
PREFIX = {"server": "Server", "broker": "Broker", "minion": "Minion"}
PORT = {"server": 8098, "broker": 8099, "minion": 9514}
CLUSTER_DOMAIN = "cluster.local"


def instance_id(role: str, pod: str, service: str, namespace: str) -> str:
    return f"{PREFIX[role]}_{pod}.{service}.{namespace}.svc.{CLUSTER_DOMAIN}_{PORT[role]}"


class PinotMirror:
    def __init__(self, api: ApiServer, pinot: FakePinot) -> None:
        self.api = api
        self.pinot = pinot
        self.mine: set[str] = set()  # instances this mirror registered

    def sync(self) -> None:
        live: set[str] = set()
        for pod in self.api.peek("v1", "Pod"):
            role = (pod["metadata"].get("labels") or {}).get(ROLE_LABEL)
            spec = pod.get("spec") or {}
            if role not in PREFIX or not spec.get("subdomain"):
                continue
            found = instance_id(role, spec["hostname"], spec["subdomain"], pod["metadata"]["namespace"])
            if pod_ready(pod):
                live.add(found)
                if found not in self.pinot.membership.live:
                    self.pinot.register(found)
                    self.mine.add(found)
        for found in self.mine - live:
            if found in self.pinot.membership.live:
                self.pinot.stop(found)
