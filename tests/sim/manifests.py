"""The CompositeControllers the product ships, read from `metacontroller/` at test time.

Only the fields the simulator acts on are interpreted (contract §1 "The CompositeController
spec"): parentResource, childResources with their update strategies, generateSelector,
resyncPeriodSeconds, and the sync/finalize/customize hooks with their version and decoding mode.
A webhook is reached by the path of its `url` or its `service` + `path`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from tests.sim.kinds import REPO_ROOT

MANIFEST_DIR = REPO_ROOT / "metacontroller"

JsonObject = dict[str, Any]


@dataclass(frozen=True)
class Hook:
    path: str
    version: str  # v1 | v2
    strict: bool  # responseUnMarshallMode: strict by default for v2, loose for v1
    timeout: str


@dataclass(frozen=True)
class ChildRule:
    api_version: str
    resource: str
    method: str  # OnDelete | Recreate | InPlace | RollingRecreate | RollingInPlace


@dataclass(frozen=True)
class CompositeController:
    name: str
    document: JsonObject
    parent_api_version: str
    parent_resource: str
    children: tuple[ChildRule, ...]
    generate_selector: bool
    resync_period_seconds: float | None
    sync: Hook | None
    finalize: Hook | None
    customize: Hook | None

    @property
    def finalizer(self) -> str:
        return f"metacontroller.io/compositecontroller-{self.name}"


def _hook(raw: JsonObject | None) -> Hook | None:
    if not raw:
        return None
    version = str(raw.get("version") or "v1")
    webhook = raw.get("webhook") or {}
    path = urlsplit(str(webhook["url"])).path if webhook.get("url") else str(webhook.get("path") or "")
    mode = webhook.get("responseUnMarshallMode") or ("strict" if version == "v2" else "loose")
    return Hook(
        path=path, version=version, strict=mode == "strict", timeout=str(webhook.get("timeout") or "10s")
    )


def parse(document: JsonObject) -> CompositeController:
    spec = document["spec"]
    hooks = spec.get("hooks")
    if not hooks:
        raise ValueError(f"CompositeController {document['metadata']['name']}: no hooks defined")
    children = tuple(
        ChildRule(
            api_version=str(rule["apiVersion"]),
            resource=str(rule["resource"]),
            method=str(((rule.get("updateStrategy") or {}).get("method")) or "OnDelete"),
        )
        for rule in spec.get("childResources") or []
    )
    resync = spec.get("resyncPeriodSeconds")
    return CompositeController(
        name=str(document["metadata"]["name"]),
        document=document,
        parent_api_version=str(spec["parentResource"]["apiVersion"]),
        parent_resource=str(spec["parentResource"]["resource"]),
        children=children,
        generate_selector=bool(spec.get("generateSelector", False)),
        resync_period_seconds=max(float(resync), 1.0) if resync else None,
        sync=_hook(hooks.get("sync")),
        finalize=_hook(hooks.get("finalize")),
        customize=_hook(hooks.get("customize")),
    )


def load(directory: Path = MANIFEST_DIR) -> dict[str, CompositeController]:
    """Every CompositeController under `directory`, keyed by parent resource (e.g. `pinotclusters`)."""
    found: dict[str, CompositeController] = {}
    for path in sorted(directory.rglob("*.y*ml")):
        for document in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if isinstance(document, dict) and document.get("kind") == "CompositeController":
                controller = parse(document)
                found[controller.parent_resource] = controller
    return found
