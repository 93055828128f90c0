"""``python -m libs.devstack run`` — what ``make run`` calls."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from libs.devstack.supervisor import run
from libs.kit.migrations import REPO_ROOT


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m libs.devstack")
    sub = parser.add_subparsers(dest="command", required=True)
    run_cmd = sub.add_parser("run", help="start engines, migrate, start every service and the gateway")
    run_cmd.add_argument("--data", type=Path, default=REPO_ROOT / ".var" / "run")
    args = parser.parse_args()
    if args.command == "run":
        return run(args.data)
    return 2


if __name__ == "__main__":
    sys.exit(main())
