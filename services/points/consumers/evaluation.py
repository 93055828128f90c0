"""Evaluation prizes → R03c awards (参加医联体活动：参加 1 分；一/二/三等奖 5/3/2 分；不区分等次 3 分).

Source: ``evaluation:prize:<award_id>`` — the evaluation service makes ``award_id`` unique per person, activity,
variant and ref, so participation and a prize are two entries (reading: scored separately), each once.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from libs.events.consumer import ConsumerSpec
from libs.events.registry import Event
from libs.events.schemas import evaluation as ev
from services.points.application.awards import award_from_fact
from services.points.runtime import PointsRuntime

from .common import parking

RESULTS = {"participation": "participation", "first": "first_prize", "second": "second_prize",
           "third": "third_prize", "ungraded": "ungraded_prize"}


def _prize_awarded(runtime: PointsRuntime):  # type: ignore[no-untyped-def]
    async def handle(session: AsyncSession, event: Event) -> None:
        data = event.data
        assert isinstance(data, ev.PrizeAwarded)
        fact = {"kind": "activity_result", "result": RESULTS[data.variant], "doctor_id": data.doctor_id}
        await award_from_fact(session, runtime, alliance_id=data.alliance_id, fact=fact,
                              occurred_at=data.occurred_at, source_event_id=f"evaluation:prize:{data.award_id}",
                              memo=f"{data.activity_kind}:{data.activity_id}"[:200])

    return handle


def evaluation_spec(runtime: PointsRuntime) -> ConsumerSpec:
    return ConsumerSpec(source="evaluation", handlers={
        "alliance.evaluation.prize.awarded": parking(_prize_awarded(runtime)),
    })
