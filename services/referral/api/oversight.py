"""Statistics without patient identities, for the alliance office, the health commission and auditors:
绿色通道 counts and waiting times (indicator 5), referral counts (indicators 16 / Haikou 7), churn flags (row 30)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from fastapi import APIRouter, Query
from pydantic import BaseModel
from sqlalchemy import func, select

from libs.kit.deps import SessionDep
from libs.kit.errors import InvalidInput, NotFound
from services.referral.api.deps import CallerDep
from services.referral.application import green_channel
from services.referral.application.actors import oversight_covers
from services.referral.domain.abuse import Activity, churn_flags
from services.referral.inputs import RegistryId
from services.referral.persistence import awards
from services.referral.persistence.tables import referrals

router = APIRouter(tags=["statistics 统计"])
MAX_PERIOD = timedelta(days=3 * 366)


class WaitOut(BaseModel):
    count: int
    median_minutes: str | None
    p90_minutes: str | None


class GreenChannelStatsOut(BaseModel):
    alliance_id: str
    start: date
    end: date
    cases: int
    served: dict[str, int]
    waits: dict[str, WaitOut]
    services_missing: list[str]


class CountOut(BaseModel):
    direction: str
    setting: str
    channel: str
    status: str
    count: int


class FlagOut(BaseModel):
    doctor_id: str
    reason: str
    count: int
    window_start: datetime
    window_end: datetime
    detail: str


@router.get("/green-channel/stats", response_model=GreenChannelStatsOut, summary="绿色通道统计（按到院日期）")
async def green_channel_stats(session: SessionDep, caller: CallerDep, alliance_id: RegistryId,
                              start: date = Query(), end: date = Query()) -> GreenChannelStatsOut:
    stats = await green_channel.stats(session, caller, alliance_id, start, end)
    return GreenChannelStatsOut(
        alliance_id=alliance_id, start=stats.start, end=stats.end, cases=stats.cases,
        served={s.value: n for s, n in stats.served.items()},
        waits={s.value: WaitOut(count=w.count, median_minutes=_text(w.median_minutes), p90_minutes=_text(w.p90_minutes))
               for s, w in stats.waits.items()},
        services_missing=[s.value for s in stats.services_missing])


@router.get("/stats/referrals", response_model=list[CountOut], summary="转诊人次（按方向、类型、渠道、状态）")
async def referral_counts(session: SessionDep, caller: CallerDep, alliance_id: RegistryId,
                          start: date = Query(), end: date = Query()) -> list[CountOut]:
    await _covered(session, caller, alliance_id, start, end)
    c = referrals.c
    stmt = (select(c.direction, c.setting, c.channel, c.status, func.count().label("n"))
            .where(c.alliance_id == alliance_id, c.business_date.between(start, end))
            .group_by(c.direction, c.setting, c.channel, c.status)
            .order_by(c.direction, c.setting, c.channel, c.status))
    return [CountOut(direction=r.direction, setting=r.setting, channel=r.channel, status=r.status, count=r.n)
            for r in await session.execute(stmt)]


@router.get("/abuse/flags", response_model=list[FlagOut], summary="刷分异常提示（取消过多 / 操作突增）")
async def abuse_flags(session: SessionDep, caller: CallerDep, alliance_id: RegistryId,
                      start: date = Query(), end: date = Query()) -> list[FlagOut]:
    await _covered(session, caller, alliance_id, start, end)
    rows = await awards.activity(session, alliance_id, start, end)
    flags = churn_flags(Activity(r["beneficiary_doctor_id"], r["occurred_at"], r["is_reversal"]) for r in rows)
    return [FlagOut(doctor_id=f.doctor_id, reason=f.reason, count=f.count, window_start=f.window_start,
                    window_end=f.window_end, detail=f.detail) for f in flags]


async def _covered(session: SessionDep, caller: CallerDep, alliance_id: str, start: date, end: date) -> None:
    if not await oversight_covers(session, caller.principal, alliance_id):
        raise NotFound("专科联盟不存在", field="alliance_id")
    if not timedelta(0) <= end - start <= MAX_PERIOD:
        raise InvalidInput("统计区间须为 0–3 年", field="query.end")


def _text(value: object) -> str | None:
    return None if value is None else str(value)

