"""Which Pinot instances belong to a pool, and what Pinot says about them.

A pod of a pool runs with `pinot.set.instance.id.to.hostname=true`, so its instance id is
`<Role>_<canonical host name>_<port>`, and the canonical host name of a StatefulSet pod is its
FQDN `<pod>.<headless service>.<namespace>.svc.<cluster domain>`. The Job cannot know the cluster
domain, so an id belongs to ordinal `k` of the pool when its host is `<statefulset>-<k>.<service>.
<namespace>.svc` followed by nothing or by a dot and anything. The port is not part of the match:
the pod's FQDN alone is unique. Explicit ids (`ordinal=id`) replace the match, for clusters whose
instances do not run in pods (all instances of a machine share its host name).

Ids are read, never formed: an instance keeps the id it registered with, and a changed id would
leave its segments on an instance nobody drops.

Liveness is read from ZooKeeper through the controller (`GET /zk/ls?path=/<cluster>/LIVEINSTANCES`),
the one endpoint both 0.11 and 1.x have for it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Final

from hooks.pinotapi.client import PinotController, Reply

__all__ = [
    "LEAVING_SUFFIX",
    "ROLE_PREFIX",
    "Instance",
    "PinotAnswerError",
    "PoolIdentity",
    "parked",
    "read_instances",
    "unparked",
]

ROLE_PREFIX: Final = {"SERVER": "Server_", "BROKER": "Broker_", "MINION": "Minion_"}
LEAVING_SUFFIX: Final = ".leaving"
"""Appended to every tag of an instance that leaves its pool. The tags then name no tenant (they end in
neither `_OFFLINE`, `_REALTIME` nor `_BROKER`), so tables move off the instance; the list is never empty,
so a restart does not re-apply Pinot's default tags; `server_untagged` is not among them, so a PinotTenant
never picks the instance up; and removing the suffix restores what it carried."""


class PinotAnswerError(Exception):
    """An answer the operation cannot go on from; carries Pinot's reply."""

    def __init__(self, reply: Reply, doing: str) -> None:
        super().__init__(f"{doing}: HTTP {reply.status}: {reply.message}")
        self.reply = reply
        self.doing = doing


def parked(tags: Iterable[str]) -> list[str]:
    return sorted(tag if tag.endswith(LEAVING_SUFFIX) else tag + LEAVING_SUFFIX for tag in tags)


def unparked(tags: Iterable[str]) -> list[str]:
    return sorted({tag[: -len(LEAVING_SUFFIX)] if tag.endswith(LEAVING_SUFFIX) else tag for tag in tags})


@dataclass(frozen=True)
class PoolIdentity:
    """How to recognise the instances of one pool among all of Pinot's."""

    role: str  # SERVER, BROKER or MINION
    statefulset: str
    service: str
    namespace: str
    explicit: Mapping[int, str] = field(default_factory=dict)

    @cached_property
    def _host(self) -> re.Pattern[str]:
        suffix = re.escape(f".{self.service}.{self.namespace}.svc")
        return re.compile(rf"^{re.escape(self.statefulset)}-(0|[1-9][0-9]*){suffix}(\..+)?$")

    def ordinal(self, instance_id: str) -> int | None:
        """The pod ordinal `instance_id` belongs to, or None when it is not of this pool."""
        if self.explicit:
            for ordinal, explicit_id in self.explicit.items():
                if explicit_id == instance_id:
                    return ordinal
            return None
        prefix = ROLE_PREFIX[self.role]
        if not instance_id.startswith(prefix):
            return None
        host, sep, port = instance_id[len(prefix) :].rpartition("_")
        if not sep or not port.isdigit():
            return None
        found = self._host.match(host)
        return int(found.group(1)) if found else None

    def pod(self, ordinal: int) -> str:
        return f"{self.statefulset}-{ordinal}"


@dataclass(frozen=True)
class Instance:
    id: str
    ordinal: int
    live: bool
    tags: tuple[str, ...]

    @property
    def leaving(self) -> bool:
        return any(tag.endswith(LEAVING_SUFFIX) for tag in self.tags)


def expect(reply: Reply, doing: str) -> Any:
    """The body of a 200 answer; anything else stops the operation with Pinot's words."""
    if reply.status != 200:
        raise PinotAnswerError(reply, doing)
    return reply.body


def live_instances(controller: PinotController, helix_cluster: str) -> set[str]:
    path = f"/{helix_cluster}/LIVEINSTANCES"
    reply = controller.get(("zk", "ls"), {"path": path})
    if reply.status == 404:  # no instance has ever been live
        return set()
    body = expect(reply, f"reading {path}")
    return {str(name) for name in body} if isinstance(body, list) else set()


def all_instance_ids(controller: PinotController) -> list[str]:
    body = expect(controller.get(("instances",)), "listing instances")
    names = body.get("instances") if isinstance(body, dict) else None
    return sorted(str(name) for name in names) if isinstance(names, list) else []


def instance_tags(controller: PinotController, instance_id: str) -> tuple[str, ...] | None:
    """The instance's tags; None when Pinot no longer knows it."""
    reply = controller.get(("instances", instance_id))
    if reply.status == 404:
        return None
    body = expect(reply, f"reading instance {instance_id}")
    tags = body.get("tags") if isinstance(body, dict) else None
    return tuple(str(tag) for tag in tags) if isinstance(tags, list) else ()


def read_instances(
    controller: PinotController, pool: PoolIdentity, helix_cluster: str, ids: Sequence[str] | None = None
) -> list[Instance]:
    """Every instance of `pool` Pinot knows, by ordinal then id, with its liveness and tags."""
    live = live_instances(controller, helix_cluster)
    found = []
    for instance_id in all_instance_ids(controller) if ids is None else ids:
        ordinal = pool.ordinal(instance_id)
        if ordinal is None:
            continue
        tags = instance_tags(controller, instance_id)
        if tags is not None:
            found.append(Instance(instance_id, ordinal, instance_id in live, tags))
    return sorted(found, key=lambda i: (i.ordinal, i.id))


def update_tags(controller: PinotController, instance: Instance, tags: Sequence[str]) -> Reply:
    """Replace the instance's tag list (never empty); brokers also join or leave the tables of their tags."""
    params = {"tags": ",".join(tags)}
    if instance.id.startswith(ROLE_PREFIX["BROKER"]):
        params["updateBrokerResource"] = "true"
    return controller.put(("instances", instance.id, "updateTags"), None, params)
