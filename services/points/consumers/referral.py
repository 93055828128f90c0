"""Referral awards (R02a 预留号源, R02b 向上转诊, R02c 向下转诊, R02d 急救转运, R05 远程会诊).

``alliance.referral.award.due``: the flat ``facts`` go through the scheme's ``[[direct]]`` routes (the scheme
decides rule and amount); when no route matches, the producer's own ``rule_code``/``variant`` reading is
computed instead — still from the scheme. Source: ``referral:<fact_id>`` (unique: a fact delivered three
times, or re-emitted under a new event id, lands once).

``alliance.referral.award.revoked``: the award ``referral:<revokes_fact_id>`` is reversed (冲正) once, with
source ``referral:<fact_id>``. If that award is not in the ledger (yet), the event is retried, then parked.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from libs.events.consumer import ConsumerSpec
from libs.events.registry import Event
from libs.events.schemas import referral as rf
from services.points.application.awards import award_from_fact
from services.points.application.corrections import find_by_source, reverse
from services.points.domain.scheme_model import FactValue
from services.points.runtime import PointsRuntime

from .common import NotYet, parking

REVOKE_REASONS = {"referral_reversed": "转诊撤销（取消或拒收）", "slot_booking_cancelled": "预约取消，号源退回",
                  "consult_cancelled": "会诊申请取消"}


def _award_due(runtime: PointsRuntime):  # type: ignore[no-untyped-def]
    async def handle(session: AsyncSession, event: Event) -> None:
        data = event.data
        assert isinstance(data, rf.AwardDue)
        if not data.beneficiary_doctor_id:
            raise NotYet(f"award {data.fact_id} names no beneficiary doctor (转诊奖励缺少受益医师)")
        fact: dict[str, FactValue] = {**data.facts, "quantity": data.quantity}
        await award_from_fact(session, runtime, alliance_id=data.alliance_id, fact=fact,
                              occurred_at=data.occurred_at, source_event_id=f"referral:{data.fact_id}",
                              fallback=(data.rule_code, data.variant, data.beneficiary_doctor_id))

    return handle


def _award_revoked(runtime: PointsRuntime):  # type: ignore[no-untyped-def]
    async def handle(session: AsyncSession, event: Event) -> None:
        data = event.data
        assert isinstance(data, rf.AwardRevoked)
        original = await find_by_source(session, f"referral:{data.revokes_fact_id}")
        if original is None:
            raise NotYet(f"award referral:{data.revokes_fact_id} to revoke is not in the ledger")
        await reverse(session, runtime, original, reason=REVOKE_REASONS[data.reason], actor="platform",
                      source_event_id=f"referral:{data.fact_id}", on_duplicate="skip")

    return handle


def referral_spec(runtime: PointsRuntime) -> ConsumerSpec:
    return ConsumerSpec(source="referral", handlers={
        "alliance.referral.award.due": parking(_award_due(runtime)),
        "alliance.referral.award.revoked": parking(_award_revoked(runtime)),
    })
