"""绿色通道: priority reception / examination / admission for up-referred 疑难危重症 patients, with timestamps,
and the per-alliance, per-period counts and waiting times evaluation indicator 5 reads.

The clock starts at the patient's arrival (the earliest milestone implying it), for platform and external
referrals alike. The receiving unit records each service once.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from libs.events.registry import EventData
from libs.events.schemas.referral import GreenChannelOpened, GreenChannelServiceRecorded
from libs.kit.clock import business_date
from libs.kit.errors import Conflict, InvalidInput, NotFound
from services.referral.application.actors import Caller, oversight_covers
from services.referral.application.visibility import is_party
from services.referral.context import Ctx
from services.referral.domain.green_channel import (
    GreenChannelCase,
    GreenChannelStats,
    PriorityService,
    open_case,
    period_stats,
)
from services.referral.domain.terms import Status
from services.referral.persistence import green_channel as repo
from services.referral.persistence import referrals as referral_repo

MAX_PERIOD = timedelta(days=3 * 366)
FUTURE_SLACK = timedelta(minutes=5)


async def record(session: AsyncSession, ctx: Ctx, caller: Caller, referral_id: str, service: PriorityService,
                 at: datetime | None) -> GreenChannelCase:
    row = await referral_repo.lock(session, referral_id)
    if row is None or caller.actor is None or not is_party(caller, row):
        raise NotFound("转诊不存在", field="referral_id")
    now = ctx.now()
    when = at or now
    if when - now > FUTURE_SLACK:
        raise InvalidInput("服务时间不能晚于当前时间", field="body.at")
    items: list[tuple[EventData, str]] = []
    case = await repo.case(session, referral_id)
    if case is None:
        case = await _open(session, row, items)
    updated = case.record(service, by=caller.actor, at=when)
    mark, wait = updated.services[service], updated.wait_seconds(service)
    assert wait is not None
    await repo.add_service(session, referral_id, service, mark, wait)
    items.append((GreenChannelServiceRecorded(
        referral_id=referral_id, alliance_id=row["alliance_id"], institution_id=case.institution_id,
        service=service.value, arrived_at=case.arrived_at, wait_seconds=wait, recorded_by=mark.by,
        occurred_at=mark.at, business_date=business_date(case.arrived_at)), referral_id))
    await ctx.publish(session, items)
    return updated


async def _open(session: AsyncSession, row: referral_repo.Row, items: list[tuple[EventData, str]]
                ) -> GreenChannelCase:
    state = referral_repo.state_of(row, await referral_repo.marks(session, row["referral_id"]))
    arrived = state.reached_at(Status.ARRIVED) if state is not None else None
    facts = state.facts if state is not None else None
    if arrived is None or facts is None:
        label = Status(row["status"]).label if row["status"] else "未知"
        raise Conflict(f"当前状态为「{label}」，患者尚未到院", field="status", current_status=row["status"])
    case = open_case(referral_id=row["referral_id"], institution_id=facts.receiving.institution_id,
                     patient_ref=facts.patient_ref, direction=facts.direction, urgency=facts.urgency,
                     indication=facts.indication, arrived_at=arrived)
    await repo.add_case(session, case, facts.alliance_id)
    items.append((GreenChannelOpened(
        referral_id=case.referral_id, alliance_id=facts.alliance_id, institution_id=case.institution_id,
        referring_institution_id=facts.referring.institution_id, urgency=facts.urgency.value,
        indication=facts.indication, patient_ref=case.patient_ref, arrived_at=case.arrived_at,
        business_date=business_date(case.arrived_at)), case.referral_id))
    return case


async def stats(session: AsyncSession, caller: Caller, alliance_id: str, start: date, end: date) -> GreenChannelStats:
    if not await oversight_covers(session, caller.principal, alliance_id):
        raise NotFound("专科联盟不存在", field="alliance_id")
    if end - start > MAX_PERIOD:
        raise InvalidInput("统计区间不能超过 3 年", field="query.end")
    return period_stats(await repo.cases_in(session, alliance_id, start, end), start=start, end=end)
