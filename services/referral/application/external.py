"""Referrals reported by external systems (客服专线 85356855, 急救网络 85600965) through signed webhooks.

Their milestones may come in any order (arrival before request, a late cancel, duplicates under new ids), so
they are folded with the order-independent projection (``domain/projection.apply``), never through the
aggregate's commands. ``prepare`` validates everything that does not need the database (channel rules, the
patient block); ``apply`` folds the milestone with the referral row locked.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from libs.kit.errors import InvalidInput
from services.referral.application import patients, progress
from services.referral.application.referrals import outcome_scope, reason_scope, step_scope
from services.referral.context import Ctx
from services.referral.domain import projection
from services.referral.domain.patient import SealedPatient
from services.referral.domain.projection import ReferralEvent, ReferralFacts
from services.referral.domain.referral import Party
from services.referral.domain.terms import Channel, Direction, Setting, Status, Urgency
from services.referral.persistence import patients as patient_repo
from services.referral.persistence import referrals as repo
from services.referral.webhooks.payload import MILESTONES

SENDER_CHANNELS = {"hotline": Channel.HOTLINE, "emergency": Channel.EMERGENCY_NETWORK}
FUTURE_SLACK = timedelta(minutes=5)
_MAX_EVENT_ID = 128


@dataclass(frozen=True, repr=False)
class Prepared:
    sender: str
    webhook_id: str
    body: Any
    referral_id: str
    event: ReferralEvent
    patient: SealedPatient | None

    @property
    def data(self) -> Any:
        return self.body.data

    def __repr__(self) -> str:
        return f"Prepared({self.sender}, {self.webhook_id}, {self.event.milestone.value})"


def referral_id_of(sender: str, external_id: str) -> str:
    return f"{sender}:{external_id}"


def event_id_of(sender: str, webhook_id: str) -> str:
    """The milestone's event id: sender + webhook id (hashed when too long for the projection's 128 chars)."""
    plain = f"{sender}:{webhook_id}"
    if len(plain) <= _MAX_EVENT_ID:
        return plain
    return f"{sender}:sha256:{hashlib.sha256(webhook_id.encode()).hexdigest()}"


def prepare(ctx: Ctx, sender: str, webhook_id: str, body: Any) -> Prepared:
    data = body.data
    milestone = MILESTONES[body.type]
    occurred = data.occurred_at
    if occurred - ctx.now() > FUTURE_SLACK:
        raise InvalidInput("事件发生时间晚于当前时间", field="body.data.occurred_at")
    sealed, facts = None, None
    if milestone is Status.REQUESTED:
        _check_channel(sender, data)
        sealed = patients.sealed(ctx, patients.validate(ctx, data.patient.to_input(), field_prefix="body.data.patient"))
        facts = ReferralFacts(
            alliance_id=data.alliance_id, direction=Direction(data.direction), setting=Setting(data.setting),
            channel=SENDER_CHANNELS[sender], referring=Party(data.referring.institution_id, data.referring.doctor_id),
            receiving=Party(data.receiving.institution_id, data.receiving.doctor_id), patient_ref=sealed.patient_ref,
            urgency=Urgency(data.urgency), indication=data.indication)
    event = ReferralEvent(
        event_id=event_id_of(sender, webhook_id), referral_id=referral_id_of(sender, data.referral_id),
        milestone=milestone, occurred_at=occurred, by=sender,
        doctor_id=getattr(data, "doctor_id", None) if milestone is Status.ACCEPTED else None, facts=facts)
    return Prepared(sender, webhook_id, body, event.referral_id, event, sealed)


def _check_channel(sender: str, data: Any) -> None:
    emergency = sender == "emergency"
    if emergency and (data.setting != Setting.EMERGENCY_TRANSPORT.value or data.direction != Direction.UP.value):
        raise InvalidInput("急救网络 85600965 只上报上转的急救转运", field="body.data.setting")
    if not emergency and data.setting == Setting.EMERGENCY_TRANSPORT.value:
        raise InvalidInput("急救转运须经急救网络 85600965 上报", field="body.data.setting")


async def apply(session: AsyncSession, ctx: Ctx, prepared: Prepared) -> tuple[str, Status | None]:
    """Fold one external milestone; returns the referral id and its derived status."""
    rid, event, data = prepared.referral_id, prepared.event, prepared.data
    row = await repo.lock_or_create(session, rid, origin=prepared.sender, external_id=data.referral_id)
    before = repo.state_of(row, await repo.marks(session, rid))
    after = projection.apply(before, event)
    values: dict[str, Any] = {}
    if prepared.patient is not None:
        await patient_repo.store(session, prepared.patient)
        if after.marks[Status.REQUESTED].event_id == event.event_id:  # this request is the one kept
            values["reason_ct"] = ctx.seal(reason_scope(rid), data.reason)
    outcome = getattr(data, "outcome", None)
    if outcome is not None and row["outcome_ct"] is None:
        values["outcome_ct"] = ctx.seal(outcome_scope(rid), json.dumps(outcome.to_domain().__dict__))
    reason = getattr(data, "reason", None) if event.milestone is not Status.REQUESTED else None
    step = progress.Step(event, None, ctx.seal(step_scope(rid, event.event_id), reason))
    await progress.record(session, ctx, row, before, after, step, values)
    return rid, after.status
