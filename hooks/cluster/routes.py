"""The PinotCluster hooks as routes for `hooks.app`: customize, sync and finalize (finalize shares
sync's entry: `finalizing` in the request decides). The Job image is read once, here, and passed to
the pure hook."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from hooks.cluster.customize import customize_cluster
from hooks.cluster.sync import sync_cluster
from hooks.contract import CustomizeRequest, HookRequest
from hooks.decision import Decision
from hooks.resources.routes import RouteSpec, job_image


def cluster_routes(environ: Mapping[str, str] | None = None) -> list[RouteSpec]:
    image = job_image(environ)

    def sync(request: HookRequest, now: datetime) -> Decision:
        return sync_cluster(request, now, image)

    def customize(request: CustomizeRequest, _now: datetime) -> Decision:
        return customize_cluster(request)

    return [
        ("/sync/pinotcluster", "sync-pinotcluster", HookRequest, sync),
        ("/finalize/pinotcluster", "finalize-pinotcluster", HookRequest, sync),
        ("/customize/pinotcluster", "customize-pinotcluster", CustomizeRequest, customize),
    ]
