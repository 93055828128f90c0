"""``python -m bench [--scale small|full] [--only a,b] [--skip c]`` — what ``make bench`` runs.

Starts the embedded PostgreSQL (data kept under ``bench/cache/pg`` for the cached ledger) and a fresh
JetStream, or uses ``BENCH_DATABASE_URL`` (a server's maintenance database; the user needs CREATEDB) and
``BENCH_NATS_URL`` when both are set. Writes ``bench/results/<date>.json`` (``<date>-<scale>.json`` for scales
other than full), prints the table and rewrites the generated section of ``docs/benchmarks.md``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys

from bench import report
from bench.config import DEFAULT_SEED, SCALES
from bench.engines import BENCH_DIR, Engines
from bench.runner import ORDER, Options, build_cache, run, write


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", choices=sorted(SCALES), default="full")
    parser.add_argument("--only", default="", help=f"comma-separated scenarios: {', '.join(ORDER)}")
    parser.add_argument("--skip", default="", help="comma-separated scenarios to leave out")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--ledger-budget-minutes", type=float, default=25.0,
                        help="time allowed for building (or resuming) the cached ledger in this run")
    parser.add_argument("--no-docs", action="store_true", help="do not rewrite docs/benchmarks.md")
    parser.add_argument("--build-cache", action="store_true",
                        help="only build (or resume) the cached ledger of the scale and its export, then stop")
    parser.add_argument("--profile", action="store_true",
                        help="sample the services with py-spy during the load runs (results: detail.profile)")
    args = parser.parse_args(argv)
    options = Options(scale=SCALES[args.scale], seed=args.seed, only=_names(args.only), skip=_names(args.skip),
                      ledger_budget_seconds=args.ledger_budget_minutes * 60, profile=args.profile,
                      docs_path=None if args.no_docs or args.scale == "tiny" else BENCH_DIR.parent / "docs" /
                      "benchmarks.md")
    db, nats_url = os.environ.get("BENCH_DATABASE_URL"), os.environ.get("BENCH_NATS_URL")
    engines = Engines.external(db, nats_url) if db and nats_url else Engines.embedded()
    try:
        if args.build_cache:
            print(json.dumps(asyncio.run(build_cache(engines, options)), indent=1))
            return 0
        results = asyncio.run(run(engines, options))
    finally:
        engines.stop()
    path = write(results, options)
    print("\n" + report.print_summary(results))
    print(f"\nresults: {path}")
    if options.docs_path:
        print(f"docs:    {options.docs_path}")
    return 0


def _names(text: str) -> list[str]:
    return [n.strip() for n in text.split(",") if n.strip()]


if __name__ == "__main__":
    sys.exit(main())
