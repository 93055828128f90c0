"""Counters from referral events (转诊、急救转运、绿色通道、远程会诊、结果互认) for the evaluation metrics.

A referral counts once, when it first reaches the patient on site (arrived / seen / admitted / completed) —
the milestone after which it can no longer be cancelled — whichever of ``status_changed`` or ``completed``
says so first (``fact_key`` dedupes). Up: 上转 on both sides; down: 下转 on both sides; an emergency transport
also on the receiving unit. Consult requests count on the requesting unit and a cancellation takes one off.
All counts use the event's ``business_date`` (Asia/Shanghai).
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from libs.events.consumer import ConsumerSpec, Handler
from libs.events.registry import Event
from libs.events.schemas import referral as rf
from services.evaluation.metrics.derived import Counter
from services.evaluation.persistence import counters

ON_SITE = frozenset({"arrived", "seen", "admitted", "completed"})
_PRIORITY = {"reception": Counter.PRIORITY_RECEPTION, "examination": Counter.PRIORITY_EXAMINATION,
             "admission": Counter.PRIORITY_ADMISSION}


async def _count_referral(session: AsyncSession, event: Event, data: rf.ReferralStatusChanged | rf.ReferralCompleted
                          ) -> None:
    sent, received = ((Counter.UP_SENT, Counter.UP_RECEIVED) if data.direction == "up"
                      else (Counter.DOWN_SENT, Counter.DOWN_RECEIVED))
    bumps = [(sent, data.referring_institution_id), (received, data.receiving_institution_id)]
    if data.setting == "emergency_transport":
        bumps.append((Counter.EMERGENCY_TRANSPORT, data.receiving_institution_id))
    for counter, unit in bumps:
        await counters.bump(session, alliance_id=data.alliance_id, unit_id=unit, metric=counter,
                            day=data.business_date, at=event.envelope.time,
                            fact_key=f"referral:{data.referral_id}:on_site:{counter}")


async def on_status_changed(session: AsyncSession, event: Event) -> None:
    data = event.data
    assert isinstance(data, rf.ReferralStatusChanged)
    if data.to_status in ON_SITE:
        await _count_referral(session, event, data)


async def on_completed(session: AsyncSession, event: Event) -> None:
    data = event.data
    assert isinstance(data, rf.ReferralCompleted)
    await _count_referral(session, event, data)


async def on_green_channel_service(session: AsyncSession, event: Event) -> None:
    data = event.data
    assert isinstance(data, rf.GreenChannelServiceRecorded)
    await counters.bump(session, alliance_id=data.alliance_id, unit_id=data.institution_id,
                        metric=_PRIORITY[data.service], day=data.business_date, at=event.envelope.time,
                        fact_key=f"green_channel:{data.referral_id}:{data.service}")


async def on_consult_requested(session: AsyncSession, event: Event) -> None:
    data = event.data
    assert isinstance(data, rf.ConsultRequested)
    await counters.bump(session, alliance_id=data.alliance_id, unit_id=data.requester_institution_id,
                        metric=Counter.CONSULT_REQUESTED, day=data.business_date, at=event.envelope.time,
                        fact_key=f"consult:{data.consult_id}:requested")


async def on_consult_cancelled(session: AsyncSession, event: Event) -> None:
    data = event.data
    assert isinstance(data, rf.ConsultCancelled)
    # Taken off on the cancellation's business date: the event does not carry the request's date.
    await counters.bump(session, alliance_id=data.alliance_id, unit_id=data.requester_institution_id,
                        metric=Counter.CONSULT_REQUESTED, day=data.business_date, at=event.envelope.time,
                        delta=-1, fact_key=f"consult:{data.consult_id}:cancelled")


async def on_result_recognized(session: AsyncSession, event: Event) -> None:
    data = event.data
    assert isinstance(data, rf.ConsultResultRecognized)
    await counters.bump(session, alliance_id=data.alliance_id, unit_id=data.recognizing_institution_id,
                        metric=Counter.RESULT_RECOGNIZED, day=data.business_date, at=event.envelope.time,
                        fact_key=f"consult:{data.consult_id}:recognized:{data.recognizing_institution_id}")


HANDLERS: dict[str, Handler] = {
    "alliance.referral.referral.status_changed": on_status_changed,
    "alliance.referral.referral.completed": on_completed,
    "alliance.referral.green_channel.service_recorded": on_green_channel_service,
    "alliance.referral.consult.requested": on_consult_requested,
    "alliance.referral.consult.cancelled": on_consult_cancelled,
    "alliance.referral.consult.result_recognized": on_result_recognized,
}


def spec() -> ConsumerSpec:
    return ConsumerSpec(source="referral", handlers=HANDLERS)
