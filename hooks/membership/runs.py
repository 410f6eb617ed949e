"""One membership Job: what it must make true about one pool's instances, named by a hash of that.

The hash covers the operation, the pool's identity (StatefulSet, headless Service, namespace, role),
the ordinals that stay (`keep`), the pool's tags, whether a drain is forced, the Helix cluster, the
controller URL and the auth Secret's name: a Job that made something true is never run again for it,
and any change of what must be true is a new Job. The Job runs `pinot-control-plane membership`
(`hooks/pinotapi/membership_command.py`) and leaves its outcome in its termination message.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import Any, Final, NamedTuple

from hooks import GROUP
from hooks.children import EncodedChild, encoded_child
from hooks.cluster import naming
from hooks.hashing import content_hash
from hooks.resources.jobs import job_object
from hooks.resources.naming import MANAGED_BY, MAX_OBJECT_NAME, RUN_LABEL
from hooks.resources.runs import TERMINATION_LOG

JsonObject = dict[str, Any]

OPERATION_LABEL: Final = f"{GROUP}/membership"
CLUSTER_LABEL: Final = f"{GROUP}/membership-cluster"
POOL_LABEL: Final = f"{GROUP}/membership-pool"
KEEP_LABEL: Final = f"{GROUP}/keep"
ATTEMPT_LABEL: Final = f"{GROUP}/attempt"
ROLE_LABEL: Final = f"{GROUP}/membership-role"
# Not the pool's selector labels: a Job's Pod must never count for the pool's Services or its PDB.
OPERATIONS: Final = ("tag", "rebalance", "drain", "drop")
NAME_PARTS: Final = {"tag": "tag", "rebalance": "move", "drain": "drain", "drop": "drop"}
WAIT_SECONDS: Final = 3000
DEADLINE_SECONDS: Final = WAIT_SECONDS + 300
HASH_LENGTH: Final = 10
MIN_HASH_LENGTH: Final = 5


class Target(NamedTuple):
    """Where the Jobs of one cluster go, and as whom. A named tuple: it is part of the key of every
    run asked for (`membership_run`), and a dataclass hashed and compared in Python."""

    cluster: str  # metadata.name of the PinotCluster
    namespace: str
    helix_cluster: str
    controller_url: str
    secret: str
    image: str


@dataclass(frozen=True)
class MembershipRun:
    operation: str
    target: Target
    pool: str
    role: str
    keep: int
    tags: tuple[str, ...] | None = None
    force: bool = False
    # A failed run is tried again as a new Job (attempt + 1): the failed one goes and the new one is
    # created in the same answer, so no answer depends on whether Metacontroller deleted one yet.
    attempt: int = 1

    def again(self) -> MembershipRun:
        return self.at(self.attempt + 1)

    def at(self, attempt: int) -> MembershipRun:
        """The same run at `attempt`."""
        if attempt == self.attempt:
            return self
        return membership_run(
            self.operation, self.target, self.pool, self.role, self.keep, self.tags, self.force, attempt
        )

    @cached_property
    def statefulset(self) -> str:
        return naming.statefulset_name(self.target.cluster, self.pool)

    @cached_property
    def digest(self) -> str:
        return _digest(self.operation, self.target, self.pool, self.role, self.keep, self.tags, self.force)

    @cached_property
    def name(self) -> str:
        prefix = f"{self.statefulset}-{NAME_PARTS[self.operation]}-"
        room = max(MIN_HASH_LENGTH, min(HASH_LENGTH, MAX_OBJECT_NAME - len(prefix)))
        digest = self.digest if self.attempt == 1 else content_hash([self.digest, self.attempt], HASH_LENGTH)
        return prefix + digest[:room]

    def argv(self) -> list[str]:
        args = [
            "membership",
            self.operation,
            "--role",
            self.role,
            "--statefulset",
            self.statefulset,
            "--service",
            naming.headless_service_name(self.target.cluster, self.pool),
            "--namespace",
            self.target.namespace,
            "--keep",
            str(self.keep),
            "--cluster-name",
            self.target.helix_cluster,
        ]
        if self.tags is not None:
            args += ["--tags", ",".join(self.tags)]
        if self.force:
            args.append("--force")
        return [
            *args,
            "--controller-url",
            self.target.controller_url,
            "--termination-log",
            TERMINATION_LOG,
            "--wait-seconds",
            str(WAIT_SECONDS),
        ]

    def labels(self) -> dict[str, str]:
        return {
            "app.kubernetes.io/name": "pinot-control-plane",
            "app.kubernetes.io/component": f"membership-{self.operation}",
            "app.kubernetes.io/managed-by": MANAGED_BY,
            CLUSTER_LABEL: self.target.cluster,
            POOL_LABEL: self.pool,
            ROLE_LABEL: self.role,
            OPERATION_LABEL: self.operation,
            KEEP_LABEL: str(self.keep),
            RUN_LABEL: self.digest,
            ATTEMPT_LABEL: str(self.attempt),
        }

    @cached_property
    def encoded_job(self) -> EncodedChild:
        """`job()`, encoded once: the Job of a run that exists is in the answer of every sync."""
        return encoded_child(self.job())

    def job(self) -> JsonObject:
        return job_object(
            self.name,
            self.labels(),
            self.operation,
            self.target.image,
            self.argv(),
            self.target.secret,
            deadline_seconds=DEADLINE_SECONDS,
        )


@lru_cache(maxsize=1024)
def membership_run(
    operation: str,
    target: Target,
    pool: str,
    role: str,
    keep: int,
    tags: tuple[str, ...] | None = None,
    force: bool = False,
    attempt: int = 1,
) -> MembershipRun:
    """The run of these values, one instance each: every sync asks for the runs of every pool, the
    same few each time, and an instance works out its name and digest only once."""
    return MembershipRun(operation, target, pool, role, keep, tags, force, attempt)


@lru_cache(maxsize=256)
def _digest(
    operation: str, target: Target, pool: str, role: str, keep: int, tags: tuple[str, ...] | None, force: bool
) -> str:
    """A run's digest, from what it does and where (not its attempt): the attempts of a run, and a run
    `membership_run` let go of and made again, hash it once."""
    identity = {
        "operation": operation,
        "statefulset": naming.statefulset_name(target.cluster, pool),
        "service": naming.headless_service_name(target.cluster, pool),
        "namespace": target.namespace,
        "role": role,
        "keep": keep,
        "tags": list(tags) if tags is not None else None,
        "force": force,
        "helixCluster": target.helix_cluster,
        "controllerUrl": target.controller_url,
        "authSecret": target.secret,
    }
    return content_hash(identity, HASH_LENGTH)
