"""Bulk ingestion through the real append path: ``python -m services.points.bulk``.

``python -m services.points.bulk --database-url URL --input awards.ndjson [--batch 10000]`` reads one award per
line — ``{"alliance_id", "doctor_id", "unit_id"?, "rule", "variant"?, "quantity"?, "facts"?, "occurred_at",
"source_event_id"?}`` — computes each amount from the scheme in force on its date, and appends batches with
``append_entries`` (chain lock once per batch, COPY, projections and outbox in one statement), one transaction
per batch. ``--synthetic N --members M`` generates N R02b awards over M doctors instead (load testing).

Batches are planned (awards computed, entries chained and hashed, projections computed) while the previous
batch is being written: the Python work of batch n+1 overlaps the database work of batch n
(``ledger.pipeline``).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import random
import sys
import time
from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

import asyncpg

from libs.kit.clock import business_date
from services.points.cli import add_database_argument, connect, settings_from, signing_key
from services.points.domain.scheme import Award, compute_award, scheme_effective_at
from services.points.ledger.config import LedgerConfig, policy_of
from services.points.ledger.model import NewEntry, new_award
from services.points.ledger.pipeline import append_batches


@dataclass
class BulkReport:
    entries: int = 0
    batches: int = 0
    seconds: float = 0.0
    replanned: int = 0

    @property
    def rate(self) -> float:
        return self.entries / self.seconds if self.seconds else 0.0


class AwardFactory:
    """Line → ``NewEntry``: awards are computed once per distinct (scheme, rule, variant, quantity, facts)."""

    def __init__(self, scheme_id: str, units: dict[str, str]) -> None:
        self.scheme_id = scheme_id
        self.units = units
        self._awards: dict[tuple[Any, ...], Award] = {}

    def entry(self, line: dict[str, Any], recorded_at: datetime) -> NewEntry:
        occurred = datetime.fromisoformat(line["occurred_at"])
        facts = line.get("facts") or {}
        key = (business_date(occurred), line["rule"], line.get("variant"), line.get("quantity", 1),
               json.dumps(facts, sort_keys=True))
        award = self._awards.get(key)
        if award is None:
            scheme = scheme_effective_at(self.scheme_id, key[0])
            award = compute_award(scheme, line["rule"], line.get("variant"), line.get("quantity", 1), facts)
            self._awards[key] = award
        doctor = line["doctor_id"]
        return new_award(award, alliance_id=line["alliance_id"], doctor_id=doctor,
                         unit_id=line.get("unit_id") or self.units.get(doctor), occurred_at=occurred,
                         recorded_at=recorded_at, source_event_id=line.get("source_event_id"), actor="bulk")


async def bulk_append(conn: asyncpg.Connection, reader: asyncpg.Connection, lines: Iterable[dict[str, Any]], *,
                      config: LedgerConfig, factory: AwardFactory, batch: int = 10_000) -> BulkReport:
    """Append every line, ``batch`` entries per transaction; returns counts and the rate."""
    started = time.perf_counter()
    result = await append_batches(conn, reader, _batches(lines, factory, config, batch), config=config)
    return BulkReport(result.entries, result.batches, time.perf_counter() - started, result.replanned)


async def _batches(lines: Iterable[dict[str, Any]], factory: AwardFactory, config: LedgerConfig,
                   batch: int) -> AsyncIterator[list[NewEntry]]:
    source = iter(lines)

    def build() -> list[NewEntry]:
        now = config.clock.now()
        return [factory.entry(line, now) for line in itertools.islice(source, batch)]

    # Built in a worker thread, so the event loop keeps writing the previous batch meanwhile.
    while chunk := await asyncio.to_thread(build):
        yield chunk


def read_lines(path: str) -> Iterator[dict[str, Any]]:
    handle = sys.stdin if path == "-" else open(path, encoding="utf-8")  # noqa: SIM115
    try:
        for raw in handle:
            if raw.strip():
                yield json.loads(raw)
    finally:
        if handle is not sys.stdin:
            handle.close()


def synthetic(n: int, members: int, *, alliance: str = "bulk-alliance", units: int = 100,
              seed: int = 7) -> Iterator[dict[str, Any]]:
    """N R02b up-referral awards spread over ``members`` doctors in ``units`` units of one alliance."""
    rng = random.Random(seed)
    start = datetime(2024, 5, 1, tzinfo=timezone.utc)
    run = f"{seed}-{time.time_ns()}"
    for i in range(n):
        d = rng.randrange(members)
        yield {"alliance_id": alliance, "doctor_id": f"d{d}", "unit_id": f"u{d % units}", "rule": "R02b",
               "variant": rng.choice(("inpatient", "outpatient")),
               "occurred_at": (start + timedelta(seconds=i)).isoformat(), "source_event_id": f"bulk:{run}:{i}"}


async def units_of(conn: asyncpg.Connection) -> dict[str, str]:
    return {r["doctor_id"]: r["institution_id"] for r in await conn.fetch(
        "SELECT doctor_id, institution_id FROM dir_doctors")}


async def run(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    conn, reader = await connect(settings), await connect(settings)
    try:
        config = LedgerConfig(key=await signing_key(settings, conn), checkpoint_every=settings.checkpoint_every,
                              namespace=settings.events_namespace, schema=settings.db_schema,
                              policy=policy_of(settings.scheme_id))
        factory = AwardFactory(settings.scheme_id, await units_of(conn))
        lines = synthetic(args.synthetic, args.members) if args.synthetic else read_lines(args.input)
        report = await bulk_append(conn, reader, lines, config=config, factory=factory,
                                   batch=args.batch or settings.bulk_batch)
    finally:
        await conn.close()
        await reader.close()
    print(f"批量入账：{report.entries} 条分录，{report.batches} 批，{report.seconds:.2f} 秒，{report.rate:,.0f} 条/秒\n"
          f"OK: {report.entries} entries in {report.batches} batches, {report.seconds:.2f}s, "
          f"{report.rate:,.0f} entries/s ({report.replanned} batches re-planned under the lock)")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.points.bulk", description="积分批量入账 / bulk awards")
    add_database_argument(parser)
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--input", help="NDJSON file of awards ('-' = stdin)")
    source.add_argument("--synthetic", type=int, help="generate this many R02b awards (load testing)")
    parser.add_argument("--members", type=int, default=200_000, help="doctors for --synthetic")
    parser.add_argument("--batch", type=int, default=0, help="entries per transaction (default POINTS_BULK_BATCH)")
    return asyncio.run(run(parser.parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
