"""转诊档案 (第十四条): one patient's referrals in order, from platform and external referrals alike.

A clinical caller sees the entries of referrals their unit is a party to (with the outcome summary); the
alliance office sees its alliance's entries without outcomes; nobody sees another scope's entries.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from libs.auth.principal import Role
from libs.kit.errors import Forbidden, NotFound
from services.referral.application.actors import Caller
from services.referral.application.referrals import outcome_of
from services.referral.application.visibility import scope_filter
from services.referral.context import Ctx
from services.referral.domain.archive import ReferralArchive, build_archive
from services.referral.persistence import referrals as repo
from services.referral.persistence.tables import referral_marks, referrals

MAX_ENTRIES = 500


async def archive(session: AsyncSession, ctx: Ctx, caller: Caller, patient_ref: str) -> ReferralArchive:
    if caller.principal.role not in (Role.DOCTOR, Role.UNIT_ADMIN, Role.ALLIANCE_OFFICE):
        raise Forbidden(f"角色 {caller.principal.role.value} 无权查看转诊档案", field="role")
    rows = (await session.execute(select(referrals).where(referrals.c.patient_ref == patient_ref, scope_filter(caller))
                                  .limit(MAX_ENTRIES))).mappings().all()
    if not rows:
        raise NotFound("未找到该患者的转诊档案", field="patient_ref")
    marks = defaultdict(list)
    ids = [r["referral_id"] for r in rows]
    for m in (await session.execute(select(referral_marks).where(referral_marks.c.referral_id.in_(ids)))).mappings():
        marks[m["referral_id"]].append(m)
    states = [s for r in rows if (s := repo.state_of(r, marks[r["referral_id"]])) is not None]
    built = build_archive(patient_ref, states=states)
    if caller.actor is None:
        return built
    outcomes = {r["referral_id"]: outcome_of(ctx, r) for r in rows}
    entries = tuple(replace(e, outcome_summary=o.summary) if (o := outcomes.get(e.referral_id)) else e
                    for e in built.entries)
    return replace(built, entries=entries)
