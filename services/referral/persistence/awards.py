"""Award facts told to the points service. The partial unique index ``uq_award_facts_open_subject`` lets at
most one award per subject be open, so a bug cannot pay a subject twice."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession

from services.referral.persistence.tables import award_facts

Row = RowMapping  # a row as SQLAlchemy returns it (mapping of column name to value)


async def open_award(session: AsyncSession, subject_type: str, subject_id: str) -> Row | None:
    stmt = select(award_facts).where(award_facts.c.subject_type == subject_type,
                                     award_facts.c.subject_id == subject_id, award_facts.c.is_reversal.is_(False),
                                     award_facts.c.revoked_by.is_(None))
    return (await session.execute(stmt)).mappings().first()


async def add(session: AsyncSession, *, fact_id: str, subject_type: str, subject_id: str, kind: str, rule_code: str,
              variant: str, alliance_id: str, beneficiary_doctor_id: str | None, occurred_at: datetime,
              business_date: date, is_reversal: bool, revokes_fact_id: str | None = None) -> None:
    await session.execute(insert(award_facts).values(
        fact_id=fact_id, subject_type=subject_type, subject_id=subject_id, kind=kind, rule_code=rule_code,
        variant=variant, alliance_id=alliance_id, beneficiary_doctor_id=beneficiary_doctor_id,
        occurred_at=occurred_at, business_date=business_date, is_reversal=is_reversal,
        revokes_fact_id=revokes_fact_id))
    if revokes_fact_id is not None:
        await session.execute(update(award_facts).where(award_facts.c.fact_id == revokes_fact_id)
                              .values(revoked_by=fact_id))


async def activity(session: AsyncSession, alliance_id: str, start: date, end: date) -> list[Row]:
    """Award facts of an alliance in a period (for the churn / anomaly flags)."""
    stmt = (select(award_facts.c.beneficiary_doctor_id, award_facts.c.occurred_at, award_facts.c.is_reversal)
            .where(award_facts.c.alliance_id == alliance_id, award_facts.c.business_date.between(start, end),
                   award_facts.c.beneficiary_doctor_id.is_not(None)))
    return list((await session.execute(stmt)).mappings().all())
