"""The `membership` subcommand that a PinotCluster's membership Jobs run.

    pinot-control-plane membership tag|rebalance|drain|drop --role server|broker|minion
        --statefulset NAME --service HEADLESS --namespace NS --keep N --cluster-name HELIX
        [--tags T_OFFLINE,T_REALTIME] [--instance-id ORDINAL=ID ...] [--force]
        [--wait-seconds S] [--poll-seconds S] --controller-url URL [common options]

Instances of ordinals below `--keep` belong to the pool; those at or above it leave (`membership.py`).
`--tags` names the pool's tags when the pool owns them; without it the pool's tags are Pinot's and the
Job only restores what a drain marked. `--instance-id` gives instance ids explicitly instead of matching
pod host names. Waits (registration, rebalance, drain, liveness) end after `--wait-seconds`.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Final

from hooks.pinotapi.client import PinotController
from hooks.pinotapi.instances import ROLE_PREFIX, PoolIdentity
from hooks.pinotapi.membership import OPERATIONS, MembershipRequest, run_membership
from hooks.pinotapi.outcome import Outcome
from hooks.pinotapi.rebalance import Waiter

__all__ = ["DEFAULT_WAIT_SECONDS", "membership_outcome", "register_membership"]

DEFAULT_WAIT_SECONDS: Final = 3000.0
DEFAULT_POLL_SECONDS: Final = 2.0


def register_membership(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
    common: argparse.ArgumentParser,
    run: Callable[[argparse.Namespace], int],
) -> None:
    parser = subparsers.add_parser(
        "membership",
        parents=[common],
        help="tag, rebalance, drain or drop the Pinot instances of one pool",
    )
    parser.add_argument("operation", choices=OPERATIONS)
    parser.add_argument("--role", required=True, type=str.upper, choices=sorted(ROLE_PREFIX))
    parser.add_argument("--statefulset", required=True, help="the pool's StatefulSet")
    parser.add_argument("--service", required=True, help="the pool's headless Service")
    parser.add_argument("--namespace", required=True)
    parser.add_argument("--keep", required=True, type=_count, help="ordinals below this stay in the pool")
    parser.add_argument("--cluster-name", required=True, help="the Helix cluster name")
    parser.add_argument("--tags", type=_tags, default=None, help="the pool's tags, comma-separated")
    parser.add_argument(
        "--instance-id",
        action="append",
        type=_explicit,
        default=[],
        metavar="ORDINAL=ID",
        help="the instance id of a pod ordinal, instead of matching host names (repeatable)",
    )
    parser.add_argument("--force", action="store_true", help="go on although tables are left short")
    parser.add_argument("--wait-seconds", type=_seconds, default=DEFAULT_WAIT_SECONDS)
    parser.add_argument("--poll-seconds", type=_seconds, default=DEFAULT_POLL_SECONDS)
    parser.set_defaults(run=run, pinot_action="membership")


def membership_outcome(
    args: argparse.Namespace,
    controller: PinotController,
    sleep: Callable[[float], None],
    clock: Callable[[], float],
) -> Outcome:
    explicit = dict(args.instance_id)
    if len(explicit) != len(args.instance_id) or len(set(explicit.values())) != len(explicit):
        return Outcome.failed(
            "InvalidInput", args.statefulset, "each --instance-id names one ordinal and one id"
        )
    pool = PoolIdentity(args.role, args.statefulset, args.service, args.namespace, explicit)
    request = MembershipRequest(args.operation, pool, args.cluster_name, args.keep, args.tags, args.force)
    waiter = Waiter(sleep, clock, clock() + args.wait_seconds, args.poll_seconds)
    return run_membership(controller, request, waiter)


def _count(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}")
    return int(text)


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds: {text!r}")
    return value


def _tags(text: str) -> tuple[str, ...]:
    tags = tuple(sorted({tag for tag in text.split(",") if tag}))
    if not tags:
        raise argparse.ArgumentTypeError("--tags needs at least one tag")
    return tags


def _explicit(text: str) -> tuple[int, str]:
    ordinal, sep, instance_id = text.partition("=")
    if not sep or not ordinal.isdigit() or not instance_id:
        raise argparse.ArgumentTypeError(f"expected ORDINAL=ID, not {text!r}")
    return int(ordinal), instance_id
