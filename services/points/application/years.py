"""年度封账 (year close): freeze each unit's 集体积分 and each doctor's 年度积分 of an alliance's year.

Only after 31 Dec (Asia/Shanghai, ``runtime.clock``). The close takes the ledger's append lock, so an award
racing with it either committed before (and is in the snapshot) or comes after (and is refused as dated in a
closed year). The totals come from the maintained ``earnings`` projection (equal to a rebuild from the log);
the snapshot pins the ledger head (position + hash) and a signed checkpoint is written there.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from libs.events.envelope import new_envelope
from libs.events.schemas.points import YearClosed
from libs.kit.amounts import format_points, from_tenths
from services.points.domain.chain import Checkpoint, sign_checkpoint
from services.points.domain.year_close import ensure_closable
from services.points.ledger import sql
from services.points.ledger.append import raw_connection
from services.points.ledger.config import SOURCE
from services.points.persistence.tables import (
    earnings,
    ledger_checkpoints,
    year_close_totals,
    year_closes,
    year_stats,
)
from services.points.runtime import PointsRuntime


async def close_year(session: AsyncSession, runtime: PointsRuntime, *, alliance_id: str, year: int,
                     actor: str) -> dict[str, Any]:
    conn = await raw_connection(session)
    head = await conn.fetchrow(sql.LOCK_HEAD)  # the append lock: no entry slips in while we read the totals
    now = runtime.clock.now()
    closed = set(await session.scalars(select(year_closes.c.year).where(year_closes.c.alliance_id == alliance_id)))
    ensure_closable(year, now, closed)
    totals = await _totals(session, alliance_id, year)
    count = await session.scalar(select(year_stats.c.entries).where(
        year_stats.c.alliance_id == alliance_id, year_stats.c.year == year)) or 0
    position, head_hash = head["position"], bytes(head["head_hash"])
    if position:
        await _checkpoint(session, runtime, position, head_hash, now)
    data = YearClosed(alliance_id=alliance_id, year=year, closed_at=now, entry_count=count,
                      unit_totals={k: format_points(from_tenths(v)) for k, v in totals["unit"].items()},
                      member_totals={k: format_points(from_tenths(v)) for k, v in totals["member"].items()},
                      head_position=position, head_hash=head_hash.hex())
    envelope = new_envelope(data, source=SOURCE, subject=f"{alliance_id}/{year}")
    await session.execute(insert(year_closes).values(
        alliance_id=alliance_id, year=year, closed_at=now, head_position=position, head_hash=head_hash,
        entry_count=count, actor=actor, event_id=envelope.id))
    rows = [{"alliance_id": alliance_id, "year": year, "scope": scope, "subject": subject, "points_tenths": value}
            for scope, values in totals.items() for subject, value in values.items()]
    if rows:
        await session.execute(insert(year_close_totals), rows)
    await runtime.outbox.add(session, envelope)
    return snapshot_body(alliance_id, year, now, position, head_hash, count, totals)


async def _totals(session: AsyncSession, alliance_id: str, year: int) -> dict[str, dict[str, int]]:
    e = earnings.c
    rows = await session.execute(select(e.scope, e.subject, e.points_tenths).where(
        e.alliance_id == alliance_id, e.year == year, e.area == "*").order_by(e.scope, e.subject))
    totals: dict[str, dict[str, int]] = {"member": {}, "unit": {}}
    for scope, subject, value in rows:
        totals[scope][subject] = value
    return totals


async def _checkpoint(session: AsyncSession, runtime: PointsRuntime, position: int, head_hash: bytes,
                      now: datetime) -> None:
    signed = sign_checkpoint(Checkpoint(position, head_hash, position, now), runtime.ledger.key.private)
    await session.execute(pg_insert(ledger_checkpoints).values(
        position=position, head_hash=head_hash, count=position, created_at=now, signature=signed.signature,
        key_id=runtime.ledger.key.key_id).on_conflict_do_nothing(index_elements=["position"]))


async def snapshot(session: AsyncSession, alliance_id: str, year: int) -> dict[str, Any] | None:
    yc = year_closes.c
    row = (await session.execute(select(year_closes).where(yc.alliance_id == alliance_id, yc.year == year))
           ).mappings().first()
    if row is None:
        return None
    t = year_close_totals.c
    totals: dict[str, dict[str, int]] = {"member": {}, "unit": {}}
    for scope, subject, value in await session.execute(select(t.scope, t.subject, t.points_tenths).where(
            t.alliance_id == alliance_id, t.year == year).order_by(t.scope, t.subject)):
        totals[scope][subject] = value
    return snapshot_body(alliance_id, year, row["closed_at"], row["head_position"], bytes(row["head_hash"]),
                         row["entry_count"], totals)


def snapshot_body(alliance_id: str, year: int, closed_at: datetime, position: int, head_hash: bytes, count: int,
                  totals: dict[str, dict[str, int]]) -> dict[str, Any]:
    return {"alliance_id": alliance_id, "year": year, "closed_at": closed_at, "head_position": position,
            "head_hash": head_hash.hex(), "entry_count": count,
            "unit_totals": {k: format_points(from_tenths(v)) for k, v in totals["unit"].items()},
            "member_totals": {k: format_points(from_tenths(v)) for k, v in totals["member"].items()}}


async def closed_years(session: AsyncSession, alliance_id: str) -> set[int]:
    return set(await session.scalars(select(year_closes.c.year).where(year_closes.c.alliance_id == alliance_id)))
