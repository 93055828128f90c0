"""Referral rows: the request (ServiceRequest), its milestone set (the projection's marks) and transitions.

Every write path locks the referral row first (``lock`` / ``lock_or_create``), so the milestones of one
referral are folded one at a time while different referrals proceed in parallel.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession

from services.referral.domain.projection import Mark, ReferralFacts, ReferralState
from services.referral.domain.referral import Party
from services.referral.domain.terms import Channel, Direction, Setting, Status, Urgency
from services.referral.persistence.tables import referral_marks, referral_transitions, referrals

Row = RowMapping  # a row as SQLAlchemy returns it (mapping of column name to value)


# Hot-path statements are built once with bind parameters: building a Core statement per call costs more CPU
# than executing it (SQLAlchemy then only looks the compiled form up by its cache key).
_GET = select(referrals).where(referrals.c.referral_id == bindparam("rid"))
_LOCK = _GET.with_for_update()
_UPSERT = insert(referrals).values(referral_id=bindparam("rid"), origin=bindparam("origin"),
                                   external_id=bindparam("external_id"))
_LOCK_OR_CREATE = _UPSERT.on_conflict_do_update(index_elements=["referral_id"], set_={"updated_at": func.now()}
                                                ).returning(*referrals.c)
_MARKS = select(referral_marks).where(referral_marks.c.referral_id == bindparam("rid"))
_TRANSITION = insert(referral_transitions).values(
    {c.name: bindparam(f"t_{c.name}") for c in referral_transitions.c if c.name not in ("recorded_at",)}
).returning(referral_transitions.c.seq)
_MARK_COLUMNS = ("milestone", "at", "event_id", "by_user", "doctor_id")
_PROGRESS: dict[tuple[tuple[str, ...], int], Any] = {}


async def get(session: AsyncSession, referral_id: str) -> Row | None:
    return (await session.execute(_GET, {"rid": referral_id})).mappings().first()


async def lock(session: AsyncSession, referral_id: str) -> Row | None:
    return (await session.execute(_LOCK, {"rid": referral_id})).mappings().first()


async def lock_or_create(session: AsyncSession, referral_id: str, *, origin: str, external_id: str) -> Row:
    """One statement: create the row of an external referral if new, and lock it either way (an
    ON CONFLICT DO UPDATE takes the row lock, as FOR UPDATE would)."""
    params = {"rid": referral_id, "origin": origin, "external_id": external_id}
    return (await session.execute(_LOCK_OR_CREATE, params)).mappings().one()


async def insert_platform(session: AsyncSession, values: Mapping[str, Any]) -> Row:
    stmt = insert(referrals).values(origin="platform", **values).returning(*referrals.c)
    return (await session.execute(stmt)).mappings().one()


async def marks(session: AsyncSession, referral_id: str) -> list[Row]:
    return list((await session.execute(_MARKS, {"rid": referral_id})).mappings().all())


@dataclass(frozen=True)
class TransitionRow:
    seq: int
    from_status: Status | None
    to_status: Status | None
    milestone: Status
    by: str | None
    by_institution_id: str | None
    at: datetime
    reason_ct: str | None
    event_id: str


async def write_progress(session: AsyncSession, referral_id: str, changed: Mapping[Status, Mark],
                         step: TransitionRow, values: Mapping[str, Any]) -> None:
    """ONE statement (data-modifying CTEs): upsert the milestones whose earliest mark changed, append the
    transition, update the referral row. The row is already locked by the caller."""
    keys = tuple(sorted(values))
    params: dict[str, Any] = {"rid": referral_id, **{f"v_{k}": values[k] for k in keys}}
    for n, (milestone, mark) in enumerate(changed.items()):
        params.update({f"m{n}_milestone": milestone.value, f"m{n}_at": mark.at, f"m{n}_event_id": mark.event_id,
                       f"m{n}_by_user": mark.by, f"m{n}_doctor_id": mark.doctor_id})
    params.update({"t_referral_id": referral_id, "t_seq": step.seq, "t_milestone": step.milestone.value,
                   "t_from_status": step.from_status.value if step.from_status else None,
                   "t_to_status": step.to_status.value if step.to_status else None, "t_by_user": step.by,
                   "t_by_institution_id": step.by_institution_id, "t_at": step.at, "t_reason_ct": step.reason_ct,
                   "t_event_id": step.event_id})
    await session.execute(_progress_statement(keys, len(changed)), params)


def _progress_statement(keys: tuple[str, ...], marks_count: int) -> Any:
    """The statement for one shape (which columns change, how many marks), built once and memoised."""
    stmt = _PROGRESS.get((keys, marks_count))
    if stmt is not None:
        return stmt
    stmt = update(referrals).where(referrals.c.referral_id == bindparam("rid")).values(
        {**{k: bindparam(f"v_{k}", type_=referrals.c[k].type) for k in keys}, "updated_at": func.now()})
    for n in range(marks_count):
        mark = insert(referral_marks).values(referral_id=bindparam("rid"),
                                             **{c: bindparam(f"m{n}_{c}") for c in _MARK_COLUMNS})
        mark = mark.on_conflict_do_update(index_elements=["referral_id", "milestone"],
                                          set_={c: mark.excluded[c] for c in _MARK_COLUMNS[1:]})
        stmt = stmt.add_cte(mark.returning(referral_marks.c.milestone).cte(f"marks_written_{n}"))
    stmt = stmt.add_cte(_TRANSITION.cte("transition_written"))
    _PROGRESS[(keys, marks_count)] = stmt
    return stmt


async def transitions(session: AsyncSession, referral_id: str) -> list[Row]:
    stmt = (select(referral_transitions).where(referral_transitions.c.referral_id == referral_id)
            .order_by(referral_transitions.c.seq))
    return list((await session.execute(stmt)).mappings().all())


# ---- row ↔ domain ----------------------------------------------------------------------------------
def facts_of(row: Row) -> ReferralFacts | None:
    """The request facts, once the request is known."""
    if row["alliance_id"] is None:
        return None
    return ReferralFacts(
        alliance_id=row["alliance_id"], direction=Direction(row["direction"]), setting=Setting(row["setting"]),
        channel=Channel(row["channel"]),
        referring=Party(row["referring_institution_id"], row["referring_doctor_id"]),
        receiving=Party(row["receiving_institution_id"], row["receiving_doctor_id"]),
        patient_ref=row["patient_ref"], urgency=Urgency(row["urgency"]), indication=row["indication"],
    )


def fact_columns(facts: ReferralFacts, requested_at: datetime, business_date: Any) -> dict[str, Any]:
    return {
        "alliance_id": facts.alliance_id, "direction": facts.direction.value, "setting": facts.setting.value,
        "channel": facts.channel.value, "urgency": facts.urgency.value, "indication": facts.indication,
        "referring_institution_id": facts.referring.institution_id,
        "referring_doctor_id": facts.referring.doctor_id,
        "receiving_institution_id": facts.receiving.institution_id,
        "receiving_doctor_id": facts.receiving.doctor_id, "patient_ref": facts.patient_ref,
        "requested_at": requested_at, "business_date": business_date,
    }


def state_of(row: Row, mark_rows: Sequence[Row]) -> ReferralState | None:
    """The projection state as stored (None before the first milestone)."""
    if not mark_rows:
        return None
    facts = facts_of(row)
    built = {}
    for m in mark_rows:
        milestone = Status(m["milestone"])
        built[milestone] = Mark(at=m["at"], event_id=m["event_id"], by=m["by_user"], doctor_id=m["doctor_id"],
                                facts=facts if milestone is Status.REQUESTED else None)
    return ReferralState(row["referral_id"], built)
