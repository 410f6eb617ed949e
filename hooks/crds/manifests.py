"""The CRD files: each definition as a commented YAML document, written or compared with `crds/`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from hooks.crds.definitions import RESOURCES, CustomResource

HEADER = "# Generated from the pydantic models by `make crds` (hooks/crds); do not edit.\n"


class _Dumper(yaml.SafeDumper):
    """Block style, keys in the order built, no anchors for repeated parts (a reader of one field
    should not have to find its `&id001` elsewhere), one line per string however long."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def render(resource: CustomResource) -> str:
    body = yaml.dump(
        resource.document(), Dumper=_Dumper, sort_keys=False, default_flow_style=False, width=2**16
    )
    return (
        f"# {resource.summary}\n"
        f"# Field documentation: `kubectl explain {resource.plural}.spec`.\n"
        f"{HEADER}---\n{body}"
    )


def file_name(resource: CustomResource) -> str:
    return f"{resource.plural}.yaml"


def expected() -> dict[str, str]:
    """Every CRD file's text, by file name."""
    return {file_name(resource): render(resource) for resource in RESOURCES}


def write(directory: Path) -> list[str]:
    """Rewrite the CRD files in `directory`; the names of those that changed."""
    changed = []
    for name, text in expected().items():
        path = directory / name
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            changed.append(name)
    return changed


def stale(directory: Path) -> list[str]:
    """The CRD files in `directory` that differ from what the models generate."""
    return [
        name
        for name, text in expected().items()
        if not (directory / name).exists() or (directory / name).read_text(encoding="utf-8") != text
    ]
