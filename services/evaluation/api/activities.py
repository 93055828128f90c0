"""医联体活动 (疾病筛查、科普大赛、医联体运动会 …): participants and prizes recorded by the office, each
published as an R03c prize fact (参加 1; 一二三等奖 5/3/2; 不区分等次 3 — amounts are the points service's)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time
from typing import Annotated, Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from libs.auth.deps import PrincipalDep
from libs.auth.principal import Role
from libs.kit.clock import SHANGHAI, business_date
from libs.kit.deps import RuntimeDep, SessionDep
from libs.kit.errors import InvalidInput, NotFound
from libs.kit.idempotency import IdempotencyDep
from services.evaluation.api import access
from services.evaluation.api.judging import PRIZES, PrizeKey, PrizeOut
from services.evaluation.api.models import Id, Strict, Title
from services.evaluation.application import prizes
from services.evaluation.domain.prizes import Activity, Participant, Win, activity_facts
from services.evaluation.persistence import directory
from services.evaluation.persistence.tables import activities, prize_facts

router = APIRouter(tags=["activities 医联体活动"])
KindKey = Literal["screening", "science_contest", "sports_meet", "case_selection"]
KINDS = {key: kind for kind, key in prizes.KIND_KEYS.items()}


class ParticipantIn(Strict):
    doctor_id: Id
    unit_id: Id


class WinIn(Strict):
    doctor_id: Id
    prize: PrizeKey
    item: Annotated[str, Field(max_length=64)] = ""


class ActivityIn(Strict):
    kind: KindKey
    title: Title
    held_on: date
    participants: Annotated[list[ParticipantIn], Field(min_length=1, max_length=2000)]
    wins: Annotated[list[WinIn], Field(max_length=500)] = []
    participation_also_for_winners: bool = False


class ActivityOut(BaseModel):
    activity_id: str
    alliance_id: str
    kind: str
    title: str
    held_on: date
    participants: list[dict[str, str]]
    wins: list[dict[str, str]]
    created_at: datetime
    prizes: list[PrizeOut]


async def _check_people(session: AsyncSession, alliance_id: str, body: ActivityIn) -> None:
    members = await directory.members(session, alliance_id)
    for i, p in enumerate(body.participants):
        if p.unit_id not in members:
            raise InvalidInput("参加者所在单位须为本联盟成员单位", field=f"participants[{i}].unit_id")
        home = await directory.doctor_unit(session, p.doctor_id)
        if home is not None and home != p.unit_id:
            raise InvalidInput("参加者登记的单位与其执业单位不符", field=f"participants[{i}].unit_id")


@router.post("/alliances/{alliance_id}/activities", status_code=201, response_model=ActivityOut,
             summary="登记活动的参加者与获奖者，并发布积分事实（R03c）")
async def record_activity(alliance_id: Id, body: ActivityIn, session: SessionDep, runtime: RuntimeDep,
                          principal: PrincipalDep, idem: IdempotencyDep) -> Response:
    alliance = await access.runnable(session, principal, alliance_id, roles=(Role.ALLIANCE_OFFICE,))
    directory.ensure_operating(alliance)
    now = runtime.clock.now()
    if body.held_on > business_date(now):
        raise InvalidInput("活动尚未举行，不能登记结果", field="held_on")
    await _check_people(session, alliance_id, body)
    activity = Activity(str(uuid.uuid4()), KINDS[body.kind], body.title, body.held_on)
    facts = activity_facts(activity, [Participant(p.doctor_id, p.unit_id) for p in body.participants],
                           [Win(w.doctor_id, PRIZES[w.prize], w.item) for w in body.wins],
                           participation_also_for_winners=body.participation_also_for_winners)
    row = {"activity_id": activity.activity_id, "alliance_id": alliance_id, "kind": body.kind, "title": body.title,
           "held_on": body.held_on, "participants": [p.model_dump() for p in body.participants],
           "wins": [w.model_dump() for w in body.wins], "created_by": access.actor(principal), "created_at": now}
    await session.execute(insert(activities).values(**row))
    occurred = datetime.combine(body.held_on, time(0), tzinfo=SHANGHAI).astimezone(UTC)
    published = await prizes.publish(session, runtime.outbox, facts, kind=activity.kind, alliance_id=alliance_id,
                                     occurred_at=occurred, day=body.held_on)
    return await idem.respond(201, _out(row, [PrizeOut(award_id=p.award_id, doctor_id=p.doctor_id,
                                                       unit_id=p.unit_id, variant=p.variant, ref=p.ref)
                                              for p in published]))


def _out(row: dict[str, Any], published: list[PrizeOut]) -> ActivityOut:
    return ActivityOut(**{k: row[k] for k in ActivityOut.model_fields if k != "prizes"}, prizes=published)


@router.get("/activities/{activity_id}", response_model=ActivityOut, summary="活动及其积分事实")
async def get_activity(activity_id: Id, session: SessionDep, principal: PrincipalDep) -> ActivityOut:
    row = (await session.execute(select(activities).where(activities.c.activity_id == activity_id))
           ).mappings().first()
    if row is None:
        raise NotFound("活动不存在", field="activity_id")
    await access.readable(session, principal, row["alliance_id"])
    facts = (await session.execute(select(prize_facts).where(prize_facts.c.activity_id == activity_id)
                                   .order_by(prize_facts.c.doctor_id, prize_facts.c.variant))).mappings().all()
    return _out(dict(row), [PrizeOut(**{k: f[k] for k in PrizeOut.model_fields}) for f in facts])


@router.get("/alliances/{alliance_id}/activities", response_model=list[ActivityOut], summary="联盟的活动")
async def list_activities(alliance_id: Id, session: SessionDep, principal: PrincipalDep) -> list[ActivityOut]:
    await access.readable(session, principal, alliance_id)
    rows = (await session.execute(select(activities).where(activities.c.alliance_id == alliance_id)
                                  .order_by(activities.c.held_on, activities.c.activity_id).limit(500))
            ).mappings().all()
    return [_out(dict(r), []) for r in rows]
