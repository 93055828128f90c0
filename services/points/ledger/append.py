"""``append_entries``: the ONE way anything is written to the 积分 ledger (API requests, event consumers,
the claims workflow, the bulk importer).

Inside the caller's transaction, for a batch of 1..n entries:

1. take the chain lock ONCE: ``SELECT … FROM ledger_head FOR UPDATE`` serialises appenders, so positions are
   dense (the verifier requires no gaps) and the hash chain has one head; year close takes the same lock,
   so an award is either in a year's snapshot or refused, never both or neither;
2. read, AFTER the lock (each READ COMMITTED statement sees what the previous holder committed), only the
   rows the batch touches — balances and stream versions, closed years, originals of reversals, redemption
   holds, "once per …" keys, already-recorded source events;
3. check every invariant in Python (``guards``) — nothing is written if one fails;
4. assign positions, stream versions and running balances, build the canonical bytes, chain the hashes,
   sign the checkpoints that fall due;
5. write everything in one statement (``sql``): ledger rows (or COPY first for a big batch), projections,
   checkpoints, outbox events, the new head, and ``pg_notify`` to wake the relay at commit.

The caller owns the transaction and commits (or rolls back: then nothing of it exists, events included).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, TypeAlias

import asyncpg
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from libs.kit.amounts import from_tenths
from libs.kit.errors import Conflict, InvalidInput

from . import sql
from .config import LedgerConfig
from .encoding import decode_entry
from .guards import Loaded, Original, RedemptionStep
from .model import NewEntry, StoredEntry
from .plan import Head, Plan, Row, accounts_of, make_plan, prepare

Db: TypeAlias = AsyncSession | AsyncConnection | asyncpg.Connection
COPY_THRESHOLD = 200  # below this, unnest inside the single write statement beats a separate COPY
_UNIQUE = {"uq_ledger_entries_source_event_id": ("来源事件已记账，不能重复赋分", "source_event_id"),
           "uq_ledger_entries_entry_id": ("分录编号已存在", "entry_id"),
           "uq_ledger_entries_stream_version": ("并发写入冲突：该账户流版本已被占用，请重试", "stream_version")}


async def raw_connection(db: Db) -> asyncpg.Connection:
    """The asyncpg connection under a session, inside the session's (already begun) transaction."""
    if isinstance(db, asyncpg.Connection):
        raw = db
    else:
        conn = await db.connection() if isinstance(db, AsyncSession) else db
        raw = (await conn.get_raw_connection()).driver_connection
        assert isinstance(raw, asyncpg.Connection), "the points service runs on asyncpg"
        if not raw.is_in_transaction():
            # SQLAlchemy begins lazily, at its first statement: make that happen before ours.
            await conn.exec_driver_sql("SELECT 1")
    if not raw.is_in_transaction():
        raise RuntimeError("append_entries must run inside the caller's transaction")
    return raw


async def append_entries(db: Db, entries: Sequence[NewEntry], *, config: LedgerConfig,
                         on_duplicate: Literal["raise", "skip"] = "raise") -> list[StoredEntry]:
    """Append ``entries`` in order; returns one ``StoredEntry`` per input entry.

    A source event id already in the ledger raises ``Conflict`` (``on_duplicate="raise"``) or is returned as
    the stored entry with ``duplicate=True`` and nothing appended (``"skip"``: consumers of redelivered facts).
    """
    if not entries:
        return []
    conn = await raw_connection(db)
    rows = [prepare(new) for new in entries]
    _check_unique_in_batch(rows)
    head = await lock_head(conn)
    duplicates: list[StoredEntry] = []
    if on_duplicate == "skip":
        rows, duplicates = await _split_duplicates(conn, rows)
    stored: list[StoredEntry] = []
    if rows:
        plan = make_plan(rows, await load(conn, rows), head, config)
        await write(conn, plan, config)
        stored = plan.stored
    by_source = {s.entry.source_event_id: s for s in duplicates}
    fresh = iter(stored)
    return [by_source[e.entry.source_event_id] if e.entry.source_event_id in by_source else next(fresh)
            for e in entries]


async def commit_plan(conn: asyncpg.Connection, plan: Plan, config: LedgerConfig) -> Plan:
    """Write a plan made ahead of the lock; re-plan first if the database moved since (bulk writer)."""
    head = await lock_head(conn)
    loaded = await load(conn, plan.rows)
    if (head.position, head.hash) != (plan.head.position, plan.head.hash) or \
            not same_state(loaded, plan.loaded, accounts_of(plan.rows)):
        plan = make_plan(plan.rows, loaded, head, config)
    await write(conn, plan, config)
    return plan


def same_state(actual: Loaded, assumed: Loaded, accounts: set[str]) -> bool:
    return (all(actual.balances.get(a, (0, 0)) == assumed.balances.get(a, (0, 0)) for a in accounts)
            and actual.closed == assumed.closed and actual.once_taken == assumed.once_taken
            and actual.originals == assumed.originals and actual.reversed == assumed.reversed
            and actual.redemptions == assumed.redemptions)


async def lock_head(conn: asyncpg.Connection) -> Head:
    record = await conn.fetchrow(sql.LOCK_HEAD)
    return Head(record["position"], bytes(record["head_hash"]), record["checkpoint_position"])


def _check_unique_in_batch(rows: list[Row]) -> None:
    ids = [r.new.entry.entry_id for r in rows]
    if len(set(ids)) != len(ids):
        raise InvalidInput("同一批分录中分录编号重复", field="entry_id")
    sources = [r.new.entry.source_event_id for r in rows if r.new.entry.source_event_id]
    if len(set(sources)) != len(sources):
        raise InvalidInput("同一批分录中来源事件重复", field="source_event_id")


async def _split_duplicates(conn: asyncpg.Connection, rows: list[Row]) -> tuple[list[Row], list[StoredEntry]]:
    sources = [r.new.entry.source_event_id for r in rows if r.new.entry.source_event_id]
    found = await conn.fetch(sql.LOAD_DUPLICATES, sources) if sources else []
    if not found:
        return rows, []
    known = {r["source_event_id"] for r in found}
    return [r for r in rows if r.new.entry.source_event_id not in known], [_stored_row(r) for r in found]


async def load(conn: asyncpg.Connection, rows: list[Row]) -> Loaded:
    """What the batch touches: under the lock (append), or ahead of it (bulk planning, verified later)."""
    loaded = Loaded()
    for rec in await conn.fetch(sql.LOAD_BALANCES, list(accounts_of(rows))):
        loaded.balances[rec["account"]] = (rec["balance_tenths"], rec["version"])
    alliances = list({r.new.alliance_id for r in rows})
    loaded.closed = {(rec["alliance_id"], rec["year"]) for rec in await conn.fetch(sql.LOAD_CLOSED, alliances)}
    await _load_reversals(conn, rows, loaded)
    await _load_redemptions(conn, rows, loaded)
    once = [(r.credit, r.new.once_key) for r in rows if r.new.once_key and r.new.entry.entry_type.value == "award"]
    if once:
        found = await conn.fetch(sql.LOAD_ONCE, [a for a, _ in once], [k for _, k in once])
        loaded.once_taken = {(rec["account"], rec["once_key"]) for rec in found}
    return loaded


async def _load_reversals(conn: asyncpg.Connection, rows: list[Row], loaded: Loaded) -> None:
    targets = [r.new.entry.reverses for r in rows if r.new.entry.reverses]
    if not targets:
        return
    for rec in await conn.fetch(sql.LOAD_ORIGINALS, targets):
        loaded.originals[rec["entry_id"]] = Original(rec["entry_type"], rec["debit_account"], rec["credit_account"],
                                                     rec["amount_tenths"], rec["once_key"])
    loaded.reversed = {rec["reverses"] for rec in await conn.fetch(sql.LOAD_REVERSED, targets)}


async def _load_redemptions(conn: asyncpg.Connection, rows: list[Row], loaded: Loaded) -> None:
    ids = list({r.new.entry.redemption_id for r in rows if r.new.entry.redemption_id})
    if not ids:
        return
    for rec in await conn.fetch(sql.LOAD_REDEMPTIONS, ids):
        step = RedemptionStep(rec["entry_type"], rec["debit_account"], rec["credit_account"], rec["amount_tenths"])
        loaded.redemptions.setdefault(rec["redemption_id"], []).append(step)


async def write(conn: asyncpg.Connection, plan: Plan, config: LedgerConfig) -> None:
    """Ledger rows (COPY for a big batch), projections, checkpoints, outbox, head, notify."""
    big = len(plan.rows) >= COPY_THRESHOLD
    try:
        if big:
            await conn.copy_records_to_table("ledger_entries", records=plan.records, columns=list(sql.LEDGER_NAMES),
                                             schema_name=config.schema)
            await conn.execute(sql.WRITE_AFTER_COPY, *plan.params)
        else:
            ledger = [list(column) for column in zip(*plan.records, strict=True)]
            await conn.execute(sql.WRITE_WITH_LEDGER, *ledger, *plan.params)
    except asyncpg.UniqueViolationError as exc:
        detail, field = _UNIQUE.get(exc.constraint_name or "", ("重复写入", "entry_id"))
        raise Conflict(detail, field=field, code="duplicate") from exc
    except asyncpg.CheckViolationError as exc:
        if exc.constraint_name == "ck_balances_not_negative":
            raise Conflict("积分余额不足", field="amount", code="insufficient_points") from exc
        raise


def _stored_row(rec: asyncpg.Record, *, duplicate: bool = True) -> StoredEntry:
    return StoredEntry(entry=decode_entry(bytes(rec["canonical"])), alliance_id=rec["alliance_id"],
                       position=rec["position"], stream=rec["stream"], stream_version=rec["stream_version"],
                       business_date=rec["business_date"], balance_after=from_tenths(rec["balance_after_tenths"]),
                       prev_hash=bytes(rec["prev_hash"]), hash=bytes(rec["hash"]), area=rec["area"],
                       duplicate=duplicate)


__all__ = ["COPY_THRESHOLD", "StoredEntry", "append_entries", "commit_plan", "raw_connection"]
