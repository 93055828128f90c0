"""Case calls (案例征集), entries, judges' scores and awards; rows ↔ domain objects."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from libs.kit.errors import NotFound
from libs.kit.pagination import PageParams, keyset
from services.evaluation.domain.competition import CaseCall, CaseEntry, CaseOutline, Category
from services.evaluation.domain.deadlines import closes_at
from services.evaluation.domain.judging import JudgeScore
from services.evaluation.domain.prizes import Prize
from services.evaluation.persistence.tables import case_awards, case_calls, case_entries, judge_scores


async def add_call(session: AsyncSession, row: dict[str, Any]) -> None:
    await session.execute(insert(case_calls).values(**row))


async def get_call(session: AsyncSession, call_id: str, *, lock: bool = False) -> dict[str, Any]:
    stmt = select(case_calls).where(case_calls.c.call_id == call_id)
    row = (await session.execute(stmt.with_for_update() if lock else stmt)).mappings().first()
    if row is None:
        raise NotFound("案例征集不存在", field="call_id")
    return dict(row)


async def list_calls(session: AsyncSession, alliance_id: str) -> list[dict[str, Any]]:
    rows = await session.execute(select(case_calls).where(case_calls.c.alliance_id == alliance_id)
                                 .order_by(case_calls.c.created_at))
    return [dict(r) for r in rows.mappings()]


def as_call(row: dict[str, Any]) -> CaseCall:
    return CaseCall(call_id=row["call_id"], title=row["title"], closes_at=closes_at(row["closes_on"]),
                    categories=frozenset(Category(c) for c in row["categories"]),
                    max_entries_per_unit=row["max_entries_per_unit"],
                    excellent_share=Decimal(row["excellent_share"]))


async def entry_rows(session: AsyncSession, call_id: str, *, unit_id: str | None = None,
                     author: str | None = None, page: PageParams | None = None) -> list[dict[str, Any]]:
    stmt = select(case_entries).where(case_entries.c.call_id == call_id)
    if unit_id is not None:
        stmt = stmt.where(case_entries.c.unit_id == unit_id)
    if author is not None:
        stmt = stmt.where(case_entries.c.authors.contains([author]))
    stmt = keyset(stmt, page, case_entries.c.seq) if page else stmt.order_by(case_entries.c.seq)
    return [dict(r) for r in (await session.execute(stmt)).mappings()]


def as_entry(row: dict[str, Any]) -> CaseEntry:
    outline = CaseOutline(row["title"], row["category"], row["contact"], row["background"], row["implementation"],
                          row["results"], True)
    return CaseEntry(row["entry_id"], row["call_id"], row["unit_id"], Category(row["category"]), outline,
                     tuple(row["authors"]), row["submitted_at"])


async def add_entry(session: AsyncSession, entry: CaseEntry, *, by: str) -> dict[str, Any]:
    o = entry.outline
    row = {"entry_id": entry.entry_id, "call_id": entry.call_id, "unit_id": entry.unit_id,
           "category": entry.category.value, "title": o.title.strip(), "contact": o.contact.strip(),
           "background": o.background.strip(), "implementation": o.implementation.strip(),
           "results": o.results.strip(), "authors": list(entry.authors), "submitted_by": by,
           "submitted_at": entry.submitted_at}
    stored = await session.execute(insert(case_entries).values(**row).returning(case_entries))
    return dict(stored.mappings().one())


async def scores(session: AsyncSession, call_id: str) -> list[JudgeScore]:
    rows = await session.execute(select(judge_scores).where(judge_scores.c.call_id == call_id)
                                 .order_by(judge_scores.c.recorded_at))
    return [JudgeScore(r.entry_id, r.judge_id, Decimal(r.score)) for r in rows]


async def add_score(session: AsyncSession, call_id: str, score: JudgeScore, *, by: str, at: Any) -> None:
    await session.execute(insert(judge_scores).values(entry_id=score.entry_id, judge_id=score.judge_id,
                                                      call_id=call_id, score=score.score, recorded_by=by,
                                                      recorded_at=at))


async def add_awards(session: AsyncSession, call_id: str, awards: dict[str, Prize], *, at: Any) -> None:
    if awards:
        await session.execute(insert(case_awards), [{"entry_id": e, "call_id": call_id, "prize": p.value}
                                                    for e, p in awards.items()])
    await session.execute(update(case_calls).where(case_calls.c.call_id == call_id)
                          .values(status="awarded", awarded_at=at))


async def awards_of(session: AsyncSession, call_id: str) -> dict[str, str]:
    rows = await session.execute(select(case_awards.c.entry_id, case_awards.c.prize)
                                 .where(case_awards.c.call_id == call_id))
    return {r.entry_id: r.prize for r in rows}
