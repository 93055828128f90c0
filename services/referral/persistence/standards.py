"""Referral standards per alliance (转诊标准、转诊指征、转诊流程), one row per version."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.referral.domain.standards import DocumentKind, Indication, ProcessDocument, ReferralStandard
from services.referral.domain.terms import Direction
from services.referral.persistence.tables import referral_standards


async def add(session: AsyncSession, standard: ReferralStandard, created_by: str) -> bool:
    """False when this version already exists (versions are immutable)."""
    stmt = insert(referral_standards).values(
        alliance_id=standard.alliance_id, version=standard.version, effective_from=standard.effective_from,
        indications=[{"code": i.code, "direction": i.direction.value, "title": i.title, "description": i.description}
                     for i in standard.indications],
        documents=[{"kind": d.kind.value, "title": d.title, "version": d.version,
                    "adopted_on": d.adopted_on.isoformat(), "implemented": d.implemented,
                    "document_ref": d.document_ref} for d in standard.documents],
        created_by=created_by,
    ).on_conflict_do_nothing(index_elements=["alliance_id", "version"]).returning(referral_standards.c.version)
    return (await session.execute(stmt)).first() is not None


async def all_of(session: AsyncSession, alliance_id: str) -> list[ReferralStandard]:
    stmt = (select(referral_standards).where(referral_standards.c.alliance_id == alliance_id)
            .order_by(referral_standards.c.effective_from, referral_standards.c.version))
    return [_standard(r) for r in (await session.execute(stmt)).mappings()]


async def in_force(session: AsyncSession, alliance_id: str, on: date) -> ReferralStandard | None:
    stmt = (select(referral_standards)
            .where(referral_standards.c.alliance_id == alliance_id, referral_standards.c.effective_from <= on)
            .order_by(referral_standards.c.effective_from.desc(), referral_standards.c.version.desc()).limit(1))
    row = (await session.execute(stmt)).mappings().first()
    return None if row is None else _standard(row)


def _standard(row) -> ReferralStandard:  # type: ignore[no-untyped-def]
    return ReferralStandard(
        alliance_id=row["alliance_id"], version=row["version"], effective_from=row["effective_from"],
        indications=tuple(Indication(i["code"], Direction(i["direction"]), i["title"], i.get("description", ""))
                          for i in row["indications"]),
        documents=tuple(ProcessDocument(DocumentKind(d["kind"]), d["title"], d["version"],
                                        date.fromisoformat(d["adopted_on"]), d["implemented"], d.get("document_ref"))
                        for d in row["documents"]),
    )
