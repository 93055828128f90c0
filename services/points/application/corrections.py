"""Corrections: 冲正 (a reversal entry referencing the original) and 调整 (an adjustment in the open year).
No entry is ever changed.

A reversal is dated like its original when that year is still open (集体积分 of that year goes down), and
today otherwise (the closed year stays as archived). It keeps the original's unit under the scheme's
``reversal_unit = "original"`` reading, or takes the doctor's current unit under ``"current"``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from libs.kit.clock import business_year
from libs.kit.errors import Conflict, InvalidInput
from services.points.domain.accounts import member
from services.points.domain.entries import Entry, EntryType
from services.points.domain.ledger import adjustment_entry, reversal_entry
from services.points.domain.scheme import compute_award
from services.points.domain.scheme_model import FactValue
from services.points.ledger.append import append_entries
from services.points.ledger.encoding import decode_entry
from services.points.ledger.model import NewEntry, StoredEntry, new_entry_id
from services.points.persistence import directory
from services.points.persistence.tables import ledger_entries, year_closes
from services.points.runtime import PointsRuntime

from .awards import scheme_at


@dataclass(frozen=True, slots=True)
class Original:
    entry: Entry
    alliance_id: str
    doctor_id: str | None


async def load_original(session: AsyncSession, entry_id: str) -> Original | None:
    le = ledger_entries.c
    row = (await session.execute(select(le.canonical, le.alliance_id, le.doctor_id)
                                 .where(le.entry_id == entry_id))).first()
    if row is None:
        return None
    return Original(decode_entry(bytes(row[0])), row[1], row[2])


async def find_by_source(session: AsyncSession, source_event_id: str) -> Original | None:
    le = ledger_entries.c
    entry_id = await session.scalar(select(le.entry_id).where(le.source_event_id == source_event_id))
    return await load_original(session, entry_id) if entry_id else None


async def year_is_closed(session: AsyncSession, alliance_id: str, year: int) -> bool:
    yc = year_closes.c
    found = await session.scalar(select(yc.year).where(yc.alliance_id == alliance_id, yc.year == year))
    return found is not None


async def reverse(session: AsyncSession, runtime: PointsRuntime, original: Original, *, reason: str, actor: str,
                  amount: Decimal | None = None, source_event_id: str | None = None,
                  on_duplicate: str = "raise") -> StoredEntry:
    if original.entry.entry_type not in (EntryType.AWARD, EntryType.ADJUSTMENT):
        raise Conflict("只有赋分或调整分录可以冲正", field="entry_id")
    now = runtime.clock.now()
    closed = await year_is_closed(session, original.alliance_id, business_year(original.entry.occurred_at))
    occurred = now if closed else original.entry.occurred_at
    reversal = reversal_entry(original.entry, entry_id=new_entry_id(), occurred_at=occurred, recorded_at=now,
                              memo=reason, amount=amount, actor=actor,
                              unit_id=await _reversal_unit(session, runtime, original, occurred))
    if source_event_id is not None:
        reversal = _with_source(reversal, source_event_id)
    [stored] = await append_entries(session, [NewEntry(reversal, original.alliance_id)], config=runtime.ledger,
                                    on_duplicate=on_duplicate)  # type: ignore[arg-type]
    return stored


async def _reversal_unit(session: AsyncSession, runtime: PointsRuntime, original: Original,
                         on: datetime) -> str | None:
    if runtime.ledger.policy.reversal_unit != "current" or original.doctor_id is None:
        return original.entry.unit_id
    known = await directory.doctor(session, original.doctor_id)
    return known[1] if known else original.entry.unit_id


def _with_source(entry: Entry, source_event_id: str) -> Entry:
    return dataclasses.replace(entry, source_event_id=source_event_id)


@dataclass(frozen=True, slots=True)
class Adjustment:
    alliance_id: str
    doctor_id: str
    reason: str
    actor: str
    amount: Decimal | None = None  # signed; or computed from a rule:
    rule: str | None = None
    variant: str | None = None
    quantity: int = 1
    facts: dict[str, FactValue] | None = None


async def adjust(session: AsyncSession, runtime: PointsRuntime, request: Adjustment) -> StoredEntry:
    """调整分录 dated now (the open year), on the doctor's current unit; amount typed or computed from a rule."""
    now = runtime.clock.now()
    known = await directory.doctor(session, request.doctor_id)
    if known is None:
        raise InvalidInput(f"医师 {request.doctor_id} 不存在（或尚未同步）", field="doctor_id")
    if await year_is_closed(session, request.alliance_id, business_year(now)):
        raise Conflict("当前年度已封账，无法记入调整分录", field="occurred_at")
    entry = adjustment_entry(entry_id=new_entry_id(), alliance_id=request.alliance_id,
                             account=member(request.doctor_id), amount=_amount(runtime, request, now),
                             memo=request.reason, occurred_at=now, recorded_at=now, unit_id=known[1],
                             actor=request.actor)
    if request.rule is not None:
        entry = _with_rule(entry, runtime, request, now)
    [stored] = await append_entries(session, [NewEntry(entry, request.alliance_id)], config=runtime.ledger)
    return stored


def _amount(runtime: PointsRuntime, request: Adjustment, now: datetime) -> Decimal:
    if (request.amount is None) == (request.rule is None):
        raise InvalidInput("调整须且只能给出积分（amount）或赋分规则（rule）之一", field="amount")
    if request.amount is not None:
        return request.amount
    award = compute_award(scheme_at(runtime, now), request.rule or "", request.variant, request.quantity,
                          dict(request.facts or {}), mode=None)
    return award.amount


def _with_rule(entry: Entry, runtime: PointsRuntime, request: Adjustment, now: datetime) -> Entry:
    award = compute_award(scheme_at(runtime, now), request.rule or "", request.variant, request.quantity,
                          dict(request.facts or {}))
    return dataclasses.replace(entry, rule_code=award.rule_code, scheme_id=award.scheme_id,
                               scheme_version=award.scheme_version, variant=award.variant, quantity=award.quantity,
                               facts=award.facts)
