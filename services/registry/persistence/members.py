"""成员单位 rows: periods of membership [joined_on, left_on) with role and 专科负责人."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from sqlalchemy import RowMapping, and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.registry.domain.alliance import MemberRole, RosterEntry
from services.registry.domain.membership import Membership
from services.registry.persistence.alliances import contact_from_json
from services.registry.persistence.tables import alliance_members, institutions

M = alliance_members
I = institutions  # noqa: E741


def membership_from_row(row: Mapping[Any, Any]) -> Membership:
    head = contact_from_json(row["head"]) if row["head"] else None
    return Membership(row["alliance_id"], row["institution_id"], MemberRole(row["role"]), row["joined_on"], head,
                      row["left_on"])


def roster_entry(row: Mapping[Any, Any]) -> RosterEntry:
    """A member row joined with its institution (name, region) as the domain roster wants it."""
    return RosterEntry(row["institution_id"], row["institution_name"], row["institution_region_code"],
                       MemberRole(row["role"]), contact_from_json(row["head"]))


def _with_institution():  # type: ignore[no-untyped-def]
    return select(M, I.c.name.label("institution_name"), I.c.region_code.label("institution_region_code"),
                  I.c.uscc.label("institution_uscc")).join(I, I.c.id == M.c.institution_id)


async def for_alliance(session: AsyncSession, alliance_id: str, *, on: date | None = None) -> list[RowMapping]:
    """Members with their institution; only those active ``on`` that day when given, else the whole history."""
    stmt = _with_institution().where(M.c.alliance_id == alliance_id)
    if on is not None:
        stmt = stmt.where(M.c.joined_on <= on, or_(M.c.left_on.is_(None), M.c.left_on > on))
    stmt = stmt.order_by(M.c.joined_on, M.c.id)
    return list((await session.execute(stmt)).mappings().all())


async def not_left(session: AsyncSession, alliance_id: str) -> list[RowMapping]:
    """Members that have not left (including those joining later): the roster a filing is decided on."""
    stmt = _with_institution().where(M.c.alliance_id == alliance_id, M.c.left_on.is_(None)).order_by(M.c.id)
    return list((await session.execute(stmt)).mappings().all())


async def of_institution(session: AsyncSession, alliance_id: str, institution_id: str, *,
                         for_update: bool = False) -> list[RowMapping]:
    stmt = _with_institution().where(M.c.alliance_id == alliance_id, M.c.institution_id == institution_id)
    if for_update:
        stmt = stmt.with_for_update(of=M)
    return list((await session.execute(stmt.order_by(M.c.joined_on))).mappings().all())


async def insert(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    if rows:
        await session.execute(M.insert(), rows)


async def close(session: AsyncSession, member_id: int, *, left_on: date, at: datetime) -> None:
    await session.execute(update(M).where(M.c.id == member_id).values(left_on=left_on, updated_at=at))


def active_clause(on: date):  # type: ignore[no-untyped-def]
    return and_(M.c.joined_on <= on, or_(M.c.left_on.is_(None), M.c.left_on > on))
