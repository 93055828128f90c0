"""评审与表彰: judges' scores (recorded by the office after the call closed), the ranking, and awards — at most
25 % of the entries (优秀案例评选比例不超过总数的25%) — published as R03c prize facts for the points service."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field
from starlette.responses import Response

from libs.auth.deps import PrincipalDep
from libs.auth.principal import Role
from libs.kit.clock import business_date
from libs.kit.deps import RuntimeDep, SessionDep
from libs.kit.errors import Conflict
from libs.kit.idempotency import IdempotencyDep
from services.evaluation.api import access
from services.evaluation.api.competitions import call_in_scope
from services.evaluation.api.models import DecimalText, Id, Strict
from services.evaluation.application import prizes
from services.evaluation.domain import values
from services.evaluation.domain.judging import JudgeScore, decide_awards, excellent_limit, ranking, record_score
from services.evaluation.domain.methods.base import fmt
from services.evaluation.domain.prizes import ActivityKind, Prize, case_facts
from services.evaluation.persistence import competitions as store

router = APIRouter(tags=["competitions 案例征集"])
PrizeKey = Literal["first", "second", "third", "ungraded"]
PRIZES: dict[str, Prize] = {"first": Prize.FIRST, "second": Prize.SECOND, "third": Prize.THIRD,
                            "ungraded": Prize.UNGRADED}


class ScoreIn(Strict):
    entry_id: Id
    judge_id: Id
    score: DecimalText = Field(description="0–100 的整数或小数字符串，如 \"86.5\"")


class ScoreOut(BaseModel):
    entry_id: str
    judge_id: str
    score: str


class RankOut(BaseModel):
    entry_id: str
    average: str
    rank: int


class RankingOut(BaseModel):
    entries: int
    excellent_limit: int
    ranking: list[RankOut]


class AwardIn(Strict):
    entry_id: Id
    prize: PrizeKey = "ungraded"


class AwardsIn(Strict):
    awards: Annotated[list[AwardIn], Field(max_length=500)]
    participation_also_for_winners: bool = False


class PrizeOut(BaseModel):
    award_id: str
    doctor_id: str
    unit_id: str
    variant: str
    ref: str


class AwardsOut(BaseModel):
    call_id: str
    awarded: dict[str, str]
    prizes: list[PrizeOut]


def _check_closed(call: dict[str, Any], now: datetime) -> None:
    """评审 starts once the call closed: the 25 % cap is counted on the final number of entries."""
    if now < store.as_call(call).closes_at:
        raise Conflict("案例征集尚未截止，不能评审", field="call_id")


@router.post("/case-calls/{call_id}/scores", status_code=201, response_model=ScoreOut, summary="录入评委评分")
async def record(call_id: Id, body: ScoreIn, session: SessionDep, runtime: RuntimeDep, principal: PrincipalDep,
                 idem: IdempotencyDep) -> Response:
    principal.require(Role.ALLIANCE_OFFICE)
    call, _ = await call_in_scope(session, principal, call_id, run=True, lock=True)
    now = runtime.clock.now()
    _check_closed(call, now)
    if call["status"] != "open":
        raise Conflict("评审已结束，不能再录入评分", field="call_id")
    entries = [store.as_entry(r) for r in await store.entry_rows(session, call_id)]
    scores = record_score(store.as_call(call), entries, await store.scores(session, call_id),
                          JudgeScore(body.entry_id, body.judge_id, values.as_decimal(body.score, "score")))
    await store.add_score(session, call_id, scores[-1], by=access.actor(principal), at=now)
    return await idem.respond(201, ScoreOut(entry_id=body.entry_id, judge_id=body.judge_id,
                                            score=fmt(scores[-1].score)))


@router.get("/case-calls/{call_id}/ranking", response_model=RankingOut, summary="评审排名（平均分）")
async def get_ranking(call_id: Id, session: SessionDep, principal: PrincipalDep) -> RankingOut:
    principal.require(Role.ALLIANCE_OFFICE, Role.HEALTH_COMMISSION, Role.AUDITOR, Role.PLATFORM_ADMIN)
    call, _ = await call_in_scope(session, principal, call_id)
    entries = [store.as_entry(r) for r in await store.entry_rows(session, call_id)]
    ranked = ranking(entries, await store.scores(session, call_id))
    return RankingOut(entries=len(entries), excellent_limit=excellent_limit(store.as_call(call), len(entries)),
                      ranking=[RankOut(entry_id=e, average=fmt(a), rank=r) for e, a, r in ranked])


@router.post("/case-calls/{call_id}/awards", response_model=AwardsOut,
             summary="评定优秀案例（不超过25%）并发布积分事实（R03c）")
async def award(call_id: Id, body: AwardsIn, session: SessionDep, runtime: RuntimeDep, principal: PrincipalDep,
                idem: IdempotencyDep) -> Response:
    principal.require(Role.ALLIANCE_OFFICE)
    call, alliance = await call_in_scope(session, principal, call_id, run=True, lock=True)
    now = runtime.clock.now()
    _check_closed(call, now)
    if call["status"] != "open":
        raise Conflict("本次征集已评定，不能重复评定", field="call_id")
    chosen = {a.entry_id: PRIZES[a.prize] for a in body.awards}
    if len(chosen) != len(body.awards):
        raise Conflict("同一案例只能评定一次", field="awards")
    entries = [store.as_entry(r) for r in await store.entry_rows(session, call_id)]
    awards = decide_awards(store.as_call(call), entries, await store.scores(session, call_id), chosen)
    await store.add_awards(session, call_id, dict(awards), at=now)
    facts = case_facts(call_id, entries, awards, participation_also_for_winners=body.participation_also_for_winners)
    published = await prizes.publish(session, runtime.outbox, facts, kind=ActivityKind.CASE_SELECTION,
                                     alliance_id=alliance.alliance_id, occurred_at=now, day=business_date(now))
    out = AwardsOut(call_id=call_id, awarded={e: p.value for e, p in awards.items()},
                    prizes=[PrizeOut(award_id=p.award_id, doctor_id=p.doctor_id, unit_id=p.unit_id,
                                     variant=p.variant, ref=p.ref) for p in published])
    return await idem.respond(200, out)
