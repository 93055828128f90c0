"""Alliance rows, their 备案 transitions and the "one per specialty per authority" slot query."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, RowMapping, Select, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.registry.domain.alliance import ExistingAlliance, FilingAuthority, SpecialtyFigures
from services.registry.domain.codes.regions import Level
from services.registry.domain.contact import Contact
from services.registry.domain.status import HOLDS_SLOT, FilingStatus
from services.registry.persistence.tables import alliance_transitions, alliances, dissolution_flags

A = alliances
TR = alliance_transitions


def contact_json(contact: Contact) -> dict[str, str | None]:
    return {"name": contact.name, "phone": contact.phone, "email": contact.email}


def contact_from_json(data: Mapping[Any, Any]) -> Contact:
    return Contact(data["name"], data["phone"], data.get("email"))


def figures_json(figures: SpecialtyFigures) -> dict[str, Any]:
    """Exact decimals as strings (never binary floats), counts as integers."""
    out: dict[str, Any] = {}
    for key in SpecialtyFigures.__dataclass_fields__:
        value = getattr(figures, key)
        out[key] = str(value) if isinstance(value, Decimal) else value
    return out


def authority_of(row: Mapping[Any, Any]) -> FilingAuthority:
    return FilingAuthority(row["authority_region_code"], Level(row["authority_level"]), row["authority_name"],
                           row["authority_basis"])


def authority_values(authority: FilingAuthority) -> dict[str, str]:
    return {"authority_region_code": authority.region_code, "authority_level": authority.level.value,
            "authority_name": authority.name, "authority_basis": authority.basis}


async def get(session: AsyncSession, alliance_id: str, *, where: ColumnElement[bool] | None = None,
              for_update: bool = False) -> RowMapping | None:
    stmt = select(A).where(A.c.id == alliance_id)
    if where is not None:
        stmt = stmt.where(where)
    if for_update:
        stmt = stmt.with_for_update(of=A)
    return (await session.execute(stmt)).mappings().one_or_none()


async def insert(session: AsyncSession, values: Mapping[Any, Any]) -> RowMapping:
    return (await session.execute(A.insert().values(**values).returning(*A.c))).mappings().one()


async def change(session: AsyncSession, alliance_id: str, values: Mapping[Any, Any]) -> RowMapping:
    stmt = update(A).where(A.c.id == alliance_id).values(**values, version=A.c.version + 1).returning(*A.c)
    return (await session.execute(stmt)).mappings().one()


async def lock_slot(session: AsyncSession, specialty_code: str, authority_code: str) -> None:
    """Serialise the one-per-level check for this (specialty, authority) until the transaction ends."""
    key = f"registry.alliance-slot|{specialty_code}|{authority_code}"
    await session.execute(select(func.pg_advisory_xact_lock(func.hashtextextended(key, 0))))


async def slot_holders(session: AsyncSession, specialty_code: str, authority_code: str) -> list[ExistingAlliance]:
    stmt = select(A.c.id, A.c.name, A.c.specialty_code, A.c.authority_region_code, A.c.status).where(
        A.c.specialty_code == specialty_code, A.c.authority_region_code == authority_code,
        A.c.status.in_([s.value for s in HOLDS_SLOT]))
    rows = (await session.execute(stmt)).all()
    return [ExistingAlliance(r.id, r.name, r.specialty_code, r.authority_region_code, FilingStatus(r.status))
            for r in rows]


async def record_transition(session: AsyncSession, *, alliance_id: str, action: str, from_status: str | None,
                            to_status: str, actor: str, actor_role: str, at: datetime, business_date: date,
                            reason: str | None, details: Mapping[Any, Any], event_id: str) -> None:
    await session.execute(TR.insert().values(
        alliance_id=alliance_id, action=action, from_status=from_status, to_status=to_status, actor=actor,
        actor_role=actor_role, at=at, business_date=business_date, reason=reason, details=dict(details),
        event_id=event_id))


async def transitions(session: AsyncSession, alliance_id: str) -> list[RowMapping]:
    stmt = select(TR).where(TR.c.alliance_id == alliance_id).order_by(TR.c.id)
    return list((await session.execute(stmt)).mappings().all())


async def latest_flag(session: AsyncSession, alliance_id: str) -> RowMapping | None:
    F = dissolution_flags
    stmt = select(F).where(F.c.alliance_id == alliance_id).order_by(F.c.id.desc()).limit(1)
    return (await session.execute(stmt)).mappings().first()


def listing(where: ColumnElement[bool], *, status: str | None = None, specialty_code: str | None = None,
            region_prefix: str | None = None, flagged: bool | None = None) -> Select[Any]:
    stmt = select(A).where(where)
    if status:
        stmt = stmt.where(A.c.status == status)
    if specialty_code:
        stmt = stmt.where(A.c.specialty_code == specialty_code)
    if region_prefix:
        stmt = stmt.where(A.c.region_code.startswith(region_prefix, autoescape=True))
    if flagged is not None:
        has_flag = select(dissolution_flags.c.id).where(dissolution_flags.c.alliance_id == A.c.id).exists()
        stmt = stmt.where(has_flag if flagged else ~has_flag)
    return stmt
