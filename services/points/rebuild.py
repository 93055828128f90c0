"""CLI: ``python -m services.points.rebuild --check`` (or ``--repair``).

``--check`` rebuilds every projection from the log (the stored canonical bytes), recomputes every award from
its scheme version and compares with the live tables: exit 0 when equal, 1 with the differences otherwise.
``--repair`` rewrites the projections from the log under the append lock (the ledger is never touched).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import sys

from services.points.cli import add_database_argument, connect, settings_from
from services.points.ledger.config import policy_of
from services.points.ledger.diff import DiffReport, diff, repair
from services.points.runtime import rebuild_parallel


async def run(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    policy = policy_of(settings.scheme_id)
    conn = await connect(settings)
    try:
        if args.repair:
            async with conn.transaction():
                report = await repair(conn, policy)
        else:
            async with conn.transaction(isolation="repeatable_read", readonly=True):
                parallel = dataclasses.replace(rebuild_parallel(settings), min_entries=0)
                if args.jobs:
                    parallel = dataclasses.replace(parallel, jobs=args.jobs)
                report = await diff(conn, policy, parallel=parallel)
    finally:
        await conn.close()
    print(_summary(report))
    return 0 if report.ok and not report.replay_mismatches else 1


def _summary(report: DiffReport) -> str:
    head = (f"重建比对：{report.entries} 条分录，{report.awards_checked} 条赋分已重算；"
            f"投影差异 {report.difference_count} 处，行内不一致 {len(report.row_mismatches)} 处，"
            f"重算不符 {len(report.replay_mismatches)} 处")
    if report.ok and not report.replay_mismatches:
        return head + "\nOK: projections equal the rebuild from the log"
    details = {"differences": report.differences, "row_mismatches": report.row_mismatches,
               "replay_mismatches": report.replay_mismatches}
    return head + "\nFAILED:\n" + json.dumps(details, ensure_ascii=False, indent=1, default=str)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.points.rebuild",
                                     description="从账本重建投影并比对 / rebuild projections from the ledger")
    add_database_argument(parser)
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--check", action="store_true", help="compare, change nothing")
    mode.add_argument("--repair", action="store_true", help="rewrite the projections from the log")
    parser.add_argument("--jobs", type=int, default=0, help="worker processes (default: one per core, at most 8)")
    return asyncio.run(run(parser.parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
