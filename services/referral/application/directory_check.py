"""Is the activity an external sender reports attributable? (备案 and membership rules, 第七条)

Activity must belong to an operating alliance, between its member units, by doctors registered at those
units. The registry replica may lag behind the sender, so a failed check is not an error: the message goes
to quarantine with the reason and the directory refs it waits for (``doctor:<id>``, ``institution:<id>``,
``alliance:<id>``), and is re-processed when a registry event touches one of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.referral.application.external import Prepared
from services.referral.domain.alliance import AllianceView
from services.referral.domain.terms import Status
from services.referral.persistence import directory
from services.referral.persistence import referrals as referral_repo

# Registry handlers take this lock exclusively; a webhook about to quarantine takes it shared and checks
# again, so a directory update committing meanwhile is never missed by both sides.
DIRECTORY_LOCK = "referral.directory"


@dataclass(frozen=True)
class Problem:
    code: str
    detail: str
    refs: tuple[str, ...]


async def problems_of(session: AsyncSession, prepared: Prepared) -> list[Problem]:
    data = prepared.data
    if prepared.event.milestone is Status.REQUESTED:
        return await _request_problems(session, data)
    doctor = getattr(data, "doctor_id", None)
    if prepared.event.milestone is Status.ACCEPTED and doctor:
        row = await referral_repo.get(session, prepared.referral_id)
        unit = row["receiving_institution_id"] if row is not None else None
        return _doctor_problems({doctor: unit}, await directory.doctor_institutions(session, [doctor]))
    return []


async def recheck_under_lock(session: AsyncSession, prepared: Prepared) -> list[Problem]:
    await session.execute(select(func.pg_advisory_xact_lock_shared(func.hashtext(DIRECTORY_LOCK))))
    return await problems_of(session, prepared)


async def lock_directory(session: AsyncSession) -> None:
    await session.execute(select(func.pg_advisory_xact_lock(func.hashtext(DIRECTORY_LOCK))))


async def _request_problems(session: AsyncSession, data: Any) -> list[Problem]:
    aid, referring, receiving = data.alliance_id, data.referring, data.receiving
    units = (referring.institution_id, receiving.institution_id)
    expected = {d: unit for d, unit in ((referring.doctor_id, referring.institution_id),
                                        (receiving.doctor_id, receiving.institution_id)) if d}
    seen = await directory.snapshot(session, alliance_id=aid, institution_ids=units, doctor_ids=expected)
    problems = [Problem("unknown_institution", f"机构 {unit} 不在联盟目录中", (f"institution:{unit}",))
                for unit in dict.fromkeys(units) if unit not in seen.institutions]
    problems += _alliance_problems(seen.alliance, aid, data.direction, *units)
    return problems + _doctor_problems(expected, seen.doctors)


def _alliance_problems(view: AllianceView | None, aid: str, direction: str, referring: str,
                       receiving: str) -> list[Problem]:
    ref = (f"alliance:{aid}",)
    if view is None:
        return [Problem("unknown_alliance", f"专科联盟 {aid} 不在联盟目录中", ref)]
    if not view.operating:
        return [Problem("alliance_not_operating", f"专科联盟 {aid} 未备案或已解散，不能开展活动", ref)]
    if not view.lead_institution_id:
        return [Problem("alliance_without_lead", f"专科联盟 {aid} 尚无牵头单位", ref)]
    lead, member = (receiving, referring) if direction == "up" else (referring, receiving)
    problems = []
    if lead != view.lead_institution_id:
        problems.append(Problem("not_lead", f"机构 {lead} 不是该联盟的牵头单位", (*ref, f"institution:{lead}")))
    if not view.is_member(member):
        problems.append(Problem("not_member", f"机构 {member} 不是该联盟的成员单位", (*ref, f"institution:{member}")))
    return problems


def _doctor_problems(expected: dict[str, str | None], units: dict[str, str]) -> list[Problem]:
    problems = []
    for doctor, unit in expected.items():
        ref = (f"doctor:{doctor}",)
        if doctor not in units:
            problems.append(Problem("unknown_doctor", f"医生 {doctor} 不在联盟目录中", ref))
        elif unit is not None and units[doctor] != unit:
            problems.append(Problem("doctor_not_at_institution", f"医生 {doctor} 未在机构 {unit} 登记执业", ref))
    return problems
