"""直接赋分 (direct awards): from the office (R03a news, R16 bonus …) and from platform facts (referrals,
registry positions, evaluation prizes). The amount is always computed from the scheme in force on the
activity's business date; the beneficiary must be eligible on that day; the doctor's unit then is recorded.

Facts from events are idempotent on their source (``source_event_id``): a redelivered or re-emitted fact
finds its entry and appends nothing. A fact dated in a closed year is booked as an adjustment (调整分录) in
the open year instead — so after a close it is either in the snapshot or adjusted, never both or neither.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from libs.kit.clock import business_date
from libs.kit.errors import InvalidInput, NotFound
from services.points.domain.entries import EntryType
from services.points.domain.scheme import Award, Mode, Scheme, compute_award, direct_award_for, scheme_effective_at
from services.points.domain.scheme_model import FactValue
from services.points.ledger.append import append_entries
from services.points.ledger.guards import YearClosed
from services.points.ledger.model import NewEntry, StoredEntry, new_award
from services.points.runtime import PointsRuntime

from .eligibility import earner

log = logging.getLogger("points.awards")
FUTURE_TOLERANCE = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class DirectAward:
    alliance_id: str
    doctor_id: str
    rule: str
    variant: str | None
    quantity: int
    facts: Mapping[str, FactValue]
    occurred_at: datetime
    actor: str
    memo: str | None = None
    source_event_id: str | None = None


def scheme_at(runtime: PointsRuntime, occurred_at: datetime) -> Scheme:
    try:
        return scheme_effective_at(runtime.points_settings.scheme_id, business_date(occurred_at))
    except NotFound as exc:
        raise InvalidInput(exc.detail, field="occurred_at") from exc


def check_not_future(runtime: PointsRuntime, occurred_at: datetime) -> None:
    if occurred_at > runtime.clock.now() + FUTURE_TOLERANCE:
        raise InvalidInput("活动发生时间不能晚于当前时间", field="occurred_at")


async def award_directly(session: AsyncSession, runtime: PointsRuntime, request: DirectAward) -> StoredEntry:
    """Office: compute from the scheme (mode direct), check the doctor, append. A closed year → 409."""
    check_not_future(runtime, request.occurred_at)
    award = compute_award(scheme_at(runtime, request.occurred_at), request.rule, request.variant, request.quantity,
                          dict(request.facts), mode=Mode.DIRECT)
    new = await _new_award(session, runtime, award, request.alliance_id, request.doctor_id, request.occurred_at,
                           source_event_id=request.source_event_id, actor=request.actor, memo=request.memo)
    [stored] = await append_entries(session, [new], config=runtime.ledger)
    return stored


async def award_from_fact(session: AsyncSession, runtime: PointsRuntime, *, alliance_id: str,
                          fact: Mapping[str, FactValue], occurred_at: datetime, source_event_id: str,
                          fallback: tuple[str, str, str | None] | None = None, memo: str | None = None
                          ) -> StoredEntry | None:
    """A platform fact → its award via the scheme's ``[[direct]]`` routes (None when it earns nothing).

    ``fallback`` (rule, variant, beneficiary) is the producer's own reading, used when no route matches.
    """
    scheme = scheme_at(runtime, occurred_at)
    award = direct_award_for(scheme, fact)
    if award is None and fallback is not None:
        rule, variant, beneficiary = fallback
        award = dataclasses.replace(compute_award(scheme, rule, variant, int(fact.get("quantity", 1)), dict(fact),
                                                  mode=Mode.DIRECT), beneficiary_id=beneficiary)
    if award is None:
        log.info("platform fact earns nothing", extra={"source_event_id": source_event_id})
        return None
    if not award.beneficiary_id:
        raise InvalidInput("平台数据缺少受益医师，无法赋分", field="beneficiary_doctor_id")
    new = await _new_award(session, runtime, award, alliance_id, award.beneficiary_id, occurred_at,
                           source_event_id=source_event_id, actor="platform", memo=memo)
    return await append_fact(session, runtime, new)


async def append_fact(session: AsyncSession, runtime: PointsRuntime, new: NewEntry) -> StoredEntry:
    """Append idempotently on the source; a fact dated in a closed year becomes an adjustment of today."""
    try:
        [stored] = await append_entries(session, [new], config=runtime.ledger, on_duplicate="skip")
    except YearClosed as closed:
        [stored] = await append_entries(session, [as_late_adjustment(new, runtime, closed.detail)],
                                        config=runtime.ledger, on_duplicate="skip")
    return stored


def as_late_adjustment(new: NewEntry, runtime: PointsRuntime, why: str) -> NewEntry:
    """The same computed award, as an 调整分录 dated now (the open year); same source, so still idempotent."""
    now = runtime.clock.now()
    entry = dataclasses.replace(new.entry, entry_type=EntryType.ADJUSTMENT, occurred_at=now, recorded_at=now,
                                memo=f"补记：{new.entry.occurred_at.date().isoformat()} 的赋分（{why}）"[:500])
    return NewEntry(entry, new.alliance_id, None)


async def _new_award(session: AsyncSession, runtime: PointsRuntime, award: Award, alliance_id: str, doctor_id: str,
                     occurred_at: datetime, *, source_event_id: str | None, actor: str,
                     memo: str | None) -> NewEntry:
    who = await earner(session, alliance_id, doctor_id, business_date(occurred_at))
    return new_award(award, alliance_id=alliance_id, doctor_id=who.doctor_id, unit_id=who.unit_id,
                     occurred_at=occurred_at, recorded_at=runtime.clock.now(), source_event_id=source_event_id,
                     actor=actor, memo=memo)
