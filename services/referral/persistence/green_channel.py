"""Green-channel cases (绿色通道) and their priority services, one row per case and service."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession

from libs.kit.clock import business_date
from services.referral.domain.green_channel import GreenChannelCase, PriorityService, ServiceMark
from services.referral.persistence.tables import green_channel_cases, green_channel_services

Row = RowMapping  # a row as SQLAlchemy returns it (mapping of column name to value)


async def add_case(session: AsyncSession, case: GreenChannelCase, alliance_id: str) -> None:
    await session.execute(insert(green_channel_cases).values(
        referral_id=case.referral_id, alliance_id=alliance_id, institution_id=case.institution_id,
        patient_ref=case.patient_ref, arrived_at=case.arrived_at, business_date=business_date(case.arrived_at)))


async def add_service(session: AsyncSession, referral_id: str, service: PriorityService, mark: ServiceMark,
                      wait_seconds: int) -> None:
    await session.execute(insert(green_channel_services).values(
        referral_id=referral_id, service=service.value, at=mark.at, by_user=mark.by, wait_seconds=wait_seconds))


async def case(session: AsyncSession, referral_id: str) -> GreenChannelCase | None:
    cases = await _cases(session, green_channel_cases.c.referral_id == referral_id)
    return cases[0] if cases else None


async def cases_in(session: AsyncSession, alliance_id: str, start: date, end: date) -> list[GreenChannelCase]:
    return await _cases(session, (green_channel_cases.c.alliance_id == alliance_id)
                        & green_channel_cases.c.business_date.between(start, end))


async def _cases(session: AsyncSession, condition: Any) -> list[GreenChannelCase]:
    rows = (await session.execute(select(green_channel_cases).where(condition))).mappings().all()
    if not rows:
        return []
    ids = [r["referral_id"] for r in rows]
    services: dict[str, dict[PriorityService, ServiceMark]] = defaultdict(dict)
    for s in (await session.execute(select(green_channel_services)
                                    .where(green_channel_services.c.referral_id.in_(ids)))).mappings():
        services[s["referral_id"]][PriorityService(s["service"])] = ServiceMark(s["at"], s["by_user"])
    return [GreenChannelCase(r["referral_id"], r["institution_id"], r["patient_ref"], r["arrived_at"],
                             services[r["referral_id"]]) for r in rows]
