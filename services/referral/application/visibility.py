"""Who may read a referral, as a predicate on one row and as the same rule in SQL for lists.

Patient identity is shown only to the two institutions of a referral (``View.FULL``): a doctor who is a
party (referring, requested or accepting doctor) or works at the receiving unit (its incoming queue), a unit
admin of either unit. Oversight roles read without identities (``View.PSEUDONYMOUS``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, false, or_, true
from sqlalchemy.ext.asyncio import AsyncSession

from libs.auth.principal import Role
from services.referral.application.actors import Caller, View, oversight_covers, region_prefix
from services.referral.persistence import directory
from services.referral.persistence.referrals import Row
from services.referral.persistence.tables import referrals


def is_party(caller: Caller, row: Row) -> bool:
    unit = caller.institution_id
    if unit is None or row["alliance_id"] is None:
        return False
    if caller.principal.role is Role.DOCTOR:
        doctor = caller.doctor_id
        return doctor in (row["referring_doctor_id"], row["receiving_doctor_id"], row["accepted_doctor_id"]) \
            or unit == row["receiving_institution_id"]
    return unit in (row["referring_institution_id"], row["receiving_institution_id"])


async def view_of(session: AsyncSession, caller: Caller, row: Row) -> View | None:
    if caller.actor is not None:
        return View.FULL if is_party(caller, row) else None
    if await oversight_covers(session, caller.principal, row["alliance_id"]):
        return View.PSEUDONYMOUS
    return None


def scope_filter(caller: Caller, table: Any = referrals) -> ColumnElement[bool]:
    """The SQL form of ``view_of`` (a false condition when the caller may see nothing)."""
    p, c = caller.principal, table.c
    if p.role is Role.DOCTOR and caller.institution_id:
        return or_(c.referring_doctor_id == caller.doctor_id, c.receiving_doctor_id == caller.doctor_id,
                   c.accepted_doctor_id == caller.doctor_id, c.receiving_institution_id == caller.institution_id)
    if p.role is Role.UNIT_ADMIN and caller.institution_id:
        return or_(c.referring_institution_id == caller.institution_id,
                   c.receiving_institution_id == caller.institution_id)
    if p.role is Role.ALLIANCE_OFFICE and p.alliance_id:
        return c.alliance_id == p.alliance_id
    if p.role is Role.HEALTH_COMMISSION and (prefix := region_prefix(p.region_code)):
        return c.alliance_id.in_(directory.alliances_in_region(prefix))
    if p.role is Role.AUDITOR:
        return true()
    return false()
