"""`python -m hooks.crds [--check] [DIRECTORY]`: write the CRDs (default `crds/`), or with
`--check` exit 1 when the files there differ from what the models generate."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from hooks.crds.manifests import stale, write


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m hooks.crds", description=__doc__)
    parser.add_argument("directory", nargs="?", default="crds", type=Path)
    parser.add_argument("--check", action="store_true", help="only compare; exit 1 when a file differs")
    args = parser.parse_args(argv)
    if args.check:
        differing = stale(args.directory)
        for name in differing:
            print(f"{args.directory / name} differs from the models: run `make crds`", file=sys.stderr)
        return 1 if differing else 0
    for name in write(args.directory):
        print(f"wrote {args.directory / name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
