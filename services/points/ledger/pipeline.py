"""The bulk writer: batches planned ahead, so Python work and database work overlap.

While batch n is being written (COPY + the write statement) on the writing connection, batch n+1 is planned:
its state is read on a second connection and overlaid with what batch n will leave (head, balances and
versions), then guarded, chained and hashed. Committing it takes the lock and re-reads that state; if anything
differs (another writer got in between, or batch n had to be re-planned), the batch is simply planned again
under the lock. So speculation can only save time, never change what is written.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass

import asyncpg

from libs.kit.errors import AppError

from .append import commit_plan, load
from .config import LedgerConfig
from .model import NewEntry
from .plan import Head, Plan, accounts_of, make_plan, prepare


@dataclass
class PipelineReport:
    entries: int = 0
    batches: int = 0
    replanned: int = 0


async def append_batches(conn: asyncpg.Connection, reader: asyncpg.Connection,
                         batches: AsyncIterable[list[NewEntry]], *, config: LedgerConfig) -> PipelineReport:
    """Append every batch, one transaction each, planning batch n+1 while batch n is written."""
    report = PipelineReport()
    source = aiter(batches)
    plan = await _next_plan(source, None, reader, config)
    while plan is not None:
        ahead = asyncio.create_task(_next_plan(source, plan, reader, config))
        async with conn.transaction():
            written = await commit_plan(conn, plan, config)
        report.entries += len(written.rows)
        report.batches += 1
        report.replanned += written is not plan
        plan = await ahead
    return report


async def _next_plan(source: AsyncIterator[list[NewEntry]], before: Plan | None, reader: asyncpg.Connection,
                     config: LedgerConfig) -> Plan | None:
    batch = await anext(source, None)
    return await speculate(reader, batch, before, config) if batch else None


async def speculate(reader: asyncpg.Connection, entries: list[NewEntry], before: Plan | None,
                    config: LedgerConfig) -> Plan:
    """A plan for ``entries`` assuming ``before`` (if any) is committed first; verified under the lock later."""
    rows = [prepare(new) for new in entries]
    loaded = await load(reader, rows)
    if before is None:
        record = await reader.fetchrow("SELECT position, head_hash, checkpoint_position FROM ledger_head")
        head = Head(record["position"], bytes(record["head_hash"]), record["checkpoint_position"])
    else:
        head = before.after
        touched = accounts_of(rows)
        loaded.balances.update({a: v for a, v in before.balances_after.items() if a in touched})
    try:
        # In a worker thread: the event loop keeps driving the previous batch's COPY and write meanwhile.
        return await asyncio.to_thread(make_plan, rows, loaded, head, config)
    except AppError:
        # The guess may be wrong (e.g. a balance another writer changed): plan it under the lock instead,
        # where the same refusal, if still true, is raised for real.
        return Plan(rows=rows, head=Head(-1, b"", 0), loaded=loaded)
