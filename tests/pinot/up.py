"""Start the test cluster by hand and keep it running until Ctrl-C (``make pinot-up``).

Prints the URL of each role, e.g. to try requests with curl against a real controller. Everything
stops on Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import signal
import sys
import tempfile
import time
from pathlib import Path
from types import FrameType

from .harness import running_cluster
from .role_configs import render_cluster


def _exit(signum: int, frame: FrameType | None) -> None:
    sys.exit(0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--workdir", type=Path, help="where configs, data and logs go (default: a new tmp dir)"
    )
    parser.add_argument("--seconds", type=float, default=3600.0, help="stop after this long")
    options = parser.parse_args()
    workdir: Path = options.workdir or Path(tempfile.mkdtemp(prefix="pinot-"))
    workdir.mkdir(parents=True, exist_ok=True)
    signal.signal(signal.SIGTERM, _exit)
    with running_cluster(render_cluster(), workdir) as cluster:
        urls = {
            "controller": cluster.controller_url,
            "broker": cluster.broker_url,
            "server_admin": cluster.server_admin_url,
            "minion": cluster.minion_url,
            "zookeeper": f"127.0.0.1:{cluster.zk_port}",
        }
        (workdir / "urls.json").write_text(json.dumps(urls, indent=2), encoding="utf-8")
        print(json.dumps(urls, indent=2), flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            time.sleep(options.seconds)


if __name__ == "__main__":
    main()
