"""The resource hooks as routes for `hooks.app`: customize, sync and finalize for each kind.

The Job image is read from `PINOT_CP_JOB_IMAGE` once, here, when the routes are built, and passed
into the pure hooks; nothing below this module reads the environment.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from pydantic import BaseModel

from hooks.contract import CustomizeRequest, HookRequest
from hooks.decision import Decision
from hooks.resources.customize import customize_resource
from hooks.resources.finalize import finalize_resource
from hooks.resources.kinds import KINDS, ResourceKind

IMAGE_VARIABLE = "PINOT_CP_JOB_IMAGE"
DEFAULT_IMAGE = "pinot-control-plane:0.1.0"

Handler = Callable[[Any, datetime], Decision]
RouteSpec = tuple[str, str, type[BaseModel], Handler]


def job_image(environ: Mapping[str, str] | None = None) -> str:
    return (os.environ if environ is None else environ).get(IMAGE_VARIABLE) or DEFAULT_IMAGE


def resource_routes(environ: Mapping[str, str] | None = None) -> list[RouteSpec]:
    image = job_image(environ)
    routes: list[RouteSpec] = []
    for kind in KINDS:
        routes += [
            (f"/customize/{kind.singular}", f"customize-{kind.singular}", CustomizeRequest, _customize(kind)),
            (f"/sync/{kind.singular}", f"sync-{kind.singular}", HookRequest, _hook(kind, image)),
            (f"/finalize/{kind.singular}", f"finalize-{kind.singular}", HookRequest, _hook(kind, image)),
        ]
    return routes


def _customize(kind: ResourceKind) -> Handler:
    def handle(request: CustomizeRequest, _now: datetime) -> Decision:
        return customize_resource(kind, request)

    return handle


def _hook(kind: ResourceKind, image: str) -> Handler:
    """Sync and finalize share one entry point: `finalizing` in the request decides, so a finalize
    path never deletes while the resource lives, and a sync path never applies while it is deleted."""

    def handle(request: HookRequest, now: datetime) -> Decision:
        return finalize_resource(kind, image, request, now)

    return handle
