"""Consumes the evaluation service: a dissolution recommendation (连续2年评价较差) flags the alliance.

The handler runs in the inbox transaction (idempotent per event id) and publishes
``alliance.registry.alliance.flagged_for_dissolution`` through the outbox in that same transaction.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from libs.events.consumer import ConsumerSpec
from libs.events.registry import Event
from libs.events.schemas.evaluation import AllianceDissolutionRecommended
from libs.kit.runtime import ServiceRuntime
from services.registry.application import flags
from services.registry.application.context import Publisher

DISSOLUTION_RECOMMENDED = "alliance.evaluation.alliance.dissolution_recommended"


def evaluation_consumer(runtime: ServiceRuntime) -> ConsumerSpec:
    async def on_dissolution_recommended(session: AsyncSession, event: Event) -> None:
        data = event.data
        assert isinstance(data, AllianceDissolutionRecommended)
        publisher = Publisher(session=session, outbox=runtime.outbox, now=runtime.clock.now(),
                              causation=event.envelope)
        await flags.flag(publisher, alliance_id=data.alliance_id, years=data.years, source_event_id=event.id)

    return ConsumerSpec(source="evaluation", handlers={DISSOLUTION_RECOMMENDED: on_dissolution_recommended})
