"""Publishing prize facts (R03c 参加医联体活动 / 获奖) as ``alliance.evaluation.prize.awarded``.

``award_id`` is a UUIDv5 of (activity, doctor, variant, ref): the same fact always gets the same id, so the
points service awards once however often it is delivered; it is also the event id, so a re-publication is
absorbed by JetStream's duplicate window and every inbox.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime
from typing import cast

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from libs.events.envelope import new_envelope
from libs.events.outbox import Outbox
from libs.events.schemas.evaluation import ActivityKind as KindKey
from libs.events.schemas.evaluation import PrizeAwarded, PrizeVariant
from services.evaluation.domain.prizes import ActivityKind, PrizeFact
from services.evaluation.persistence.tables import prize_facts

SOURCE = "/alliance/evaluation"
_AWARDS = uuid.UUID("6f1c2a58-3d0b-4f43-9a51-2f8e2c7b9d10")  # namespace of award ids (fixed forever)
KIND_KEYS: dict[ActivityKind, KindKey] = {
    ActivityKind.SCREENING: "screening", ActivityKind.CASE_SELECTION: "case_selection",
    ActivityKind.SCIENCE_CONTEST: "science_contest", ActivityKind.SPORTS_MEET: "sports_meet",
}


def award_id(fact: PrizeFact) -> str:
    return str(uuid.uuid5(_AWARDS, "|".join((fact.activity_id, fact.doctor_id, fact.variant.value, fact.ref))))


async def publish(session: AsyncSession, outbox: Outbox, facts: Sequence[PrizeFact], *, kind: ActivityKind,
                  alliance_id: str, occurred_at: datetime, day: date) -> list[PrizeAwarded]:
    """Record and publish each fact once; a fact already published (same ``award_id``) is not sent again."""
    published = []
    for fact in facts:
        event = PrizeAwarded(award_id=award_id(fact), activity_id=fact.activity_id, activity_kind=KIND_KEYS[kind],
                             doctor_id=fact.doctor_id, unit_id=fact.unit_id, alliance_id=alliance_id,
                             variant=cast(PrizeVariant, fact.variant.value), ref=fact.ref, occurred_at=occurred_at,
                             business_date=day)
        row = event.model_dump(exclude={"rule"})
        fresh = await session.execute(pg_insert(prize_facts).values(**row).on_conflict_do_nothing()
                                      .returning(prize_facts.c.award_id))
        if fresh.first() is None:
            continue
        await outbox.add(session, new_envelope(event, source=SOURCE, subject=fact.activity_id,
                                               event_id=event.award_id))
        published.append(event)
    return published
