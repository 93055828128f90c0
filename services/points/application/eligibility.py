"""Who may earn points (会员资格): a doctor registered at a member unit of an OPERATING alliance, on the day
the activity happened. The unit found here is the one recorded on the entry (集体积分 goes to it).

``Ineligible`` is a 422 naming the field for API callers; event consumers turn it into a retry (the
directory may lag behind the fact) and, after a few deliveries, a parked message with this reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from libs.kit.errors import InvalidInput
from services.points.persistence import directory


class Ineligible(InvalidInput):
    """The beneficiary is unknown or may not earn points in this alliance on that day."""


@dataclass(frozen=True, slots=True)
class Earner:
    doctor_id: str
    unit_id: str


async def operating_alliance(session: AsyncSession, alliance_id: str, *, field: str = "alliance_id") -> None:
    alliance = await directory.find_alliance(session, alliance_id)
    if alliance is None:
        raise Ineligible(f"联盟 {alliance_id} 不存在（或尚未同步）", field=field)
    if not alliance.operating:
        raise Ineligible(f"联盟“{alliance.name}”当前不在运行状态（{alliance.status}），不能赋分", field=field)


async def earner(session: AsyncSession, alliance_id: str, doctor_id: str, on: date, *,
                 field: str = "doctor_id") -> Earner:
    """The doctor and their unit on ``on``, if they may earn in ``alliance_id``; else ``Ineligible``."""
    await operating_alliance(session, alliance_id)
    if await directory.doctor(session, doctor_id) is None:
        raise Ineligible(f"医师 {doctor_id} 不存在（或尚未同步）", field=field)
    unit = await directory.unit_at(session, doctor_id, on)
    if unit is None:
        raise Ineligible(f"医师 {doctor_id} 在 {on.isoformat()} 未注册在任何成员单位", field=field)
    if not await directory.is_member(session, alliance_id, unit, on):
        raise Ineligible(f"医师 {doctor_id} 所在单位 {unit} 在 {on.isoformat()} 不是该联盟的成员单位", field=field)
    return Earner(doctor_id, unit)
