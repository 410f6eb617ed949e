"""The CRDs pass the API server's own validation of a CRD create (tools/crdvalidate, built from
k8s.io/apiextensions-apiserver): structural schemas, defaults, list types, and every CEL rule
compiled and costed, which the Python checks in crdcheck.py cannot do."""

from __future__ import annotations

import hashlib
import os
import subprocess
from pathlib import Path

import pytest
import yaml

from .crdcheck import CRD_DIR, REPO_ROOT

SOURCE = REPO_ROOT / "tools" / "crdvalidate"


def validator() -> str:
    """The binary `make crd-validator` builds (PCP_CRDVALIDATE when make passes it)."""
    given = os.environ.get("PCP_CRDVALIDATE")
    if given:
        path = Path(given)
    else:
        digest = hashlib.sha256(b"".join((SOURCE / n).read_bytes() for n in ("go.mod", "go.sum", "main.go")))
        cache = Path(os.environ.get("TOOLS_CACHE") or Path.home() / ".cache" / "pinot-control-plane")
        path = cache / f"crdvalidate-{digest.hexdigest()[:16]}" / "crdvalidate"
    if not path.is_file():
        pytest.fail(f"{path} is missing: `make crd-validator` builds it with go", pytrace=False)
    return str(path)


def crdvalidate(*paths: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [validator(), *map(str, paths)], capture_output=True, text=True, timeout=120, check=False
    )


def test_the_api_server_accepts_every_crd() -> None:
    files = sorted(CRD_DIR.glob("pinot*.yaml"))
    assert len(files) == 4
    done = crdvalidate(*files)
    assert (done.returncode, done.stdout) == (0, ""), done.stdout + done.stderr


BREAKAGES = {
    "a rule that does not compile": (
        "reload",
        "x-kubernetes-validations",
        [{"rule": "self.nope == 1"}],
        "compile",
    ),
    "a default of the wrong type": ("force", "default", "yes", "must be of type boolean"),
    "a $ref": ("clusterRef", "$ref", "#/definitions/x", "$ref is not supported"),
}


@pytest.mark.parametrize(("field", "key", "value", "said"), BREAKAGES.values(), ids=BREAKAGES.keys())
def test_the_validator_refuses_what_the_api_server_refuses(
    tmp_path: Path, field: str, key: str, value: object, said: str
) -> None:
    crd = yaml.safe_load((CRD_DIR / "pinottables.yaml").read_text())
    spec = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"]
    spec[field][key] = value
    broken = tmp_path / "broken.yaml"
    broken.write_text(yaml.safe_dump(crd))
    done = crdvalidate(broken)
    assert done.returncode == 1
    assert any(f"properties[{field}]" in p and said in p for p in done.stdout.splitlines()), done.stdout
