"""Platform referrals (联盟平台 / 电子住院证, 预留号源): request and each transition through the aggregate.

The aggregate (``domain/referral.py``) decides what is legal (409 naming the current state otherwise) and
who may do it; the milestone it produces is then folded into the same projection external referrals use,
so statuses, events and awards come out of one path (``progress.record``).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from libs.auth.principal import Role
from libs.kit.errors import Conflict, InvalidInput, NotFound
from services.referral.application import patients, progress, standards
from services.referral.application.actors import Caller
from services.referral.application.patients import PatientInput
from services.referral.application.visibility import is_party
from services.referral.context import Ctx
from services.referral.domain.alliance import AllianceView
from services.referral.domain.projection import apply, events_from
from services.referral.domain.referral import Outcome, Party, Referral, Transition, request_referral
from services.referral.domain.terms import Channel, Direction, Setting, Status, Urgency
from services.referral.persistence import directory
from services.referral.persistence import referrals as repo

ORIGIN_LABELS = {"hotline": "客服专线 85356855", "emergency": "急救网络 85600965"}


@dataclass(frozen=True)
class NewReferral:
    alliance_id: str
    direction: Direction
    setting: Setting
    channel: Channel
    receiving_institution_id: str
    receiving_doctor_id: str | None
    reason: str
    indication: str
    urgency: Urgency
    patient: PatientInput


async def create(session: AsyncSession, ctx: Ctx, caller: Caller, cmd: NewReferral) -> str:
    """转诊申请 by a doctor of the referring unit."""
    assert caller.actor is not None
    alliance = await load_alliance(session, cmd.alliance_id)
    if cmd.receiving_doctor_id:
        await _ensure_doctor_at(session, cmd.receiving_doctor_id, cmd.receiving_institution_id,
                                "body.receiving.doctor_id")
    standard = await standards.in_force(session, cmd.alliance_id, ctx.today())
    patient_ref = await patients.register(session, ctx, cmd.patient)
    referral_id = "ref_" + uuid.uuid4().hex
    referral = request_referral(
        referral_id=referral_id, alliance=alliance, direction=cmd.direction, setting=cmd.setting,
        channel=cmd.channel, referring=Party(caller.actor.institution_id, caller.actor.user_id),
        receiving=Party(cmd.receiving_institution_id, cmd.receiving_doctor_id), patient_ref=patient_ref,
        reason=cmd.reason, indication=cmd.indication, urgency=cmd.urgency, by=caller.actor, at=ctx.now(),
        standard=standard)
    row = await repo.insert_platform(session, {"referral_id": referral_id,
                                               "reason_ct": ctx.seal(reason_scope(referral_id), referral.reason)})
    event = events_from(referral)[0]
    await progress.record(session, ctx, row, None, apply(None, event),
                          progress.Step(event, caller.actor.institution_id))
    return referral_id


async def accept(session: AsyncSession, ctx: Ctx, caller: Caller, referral_id: str,
                 receiving_doctor_id: str | None) -> None:
    async def command(referral: Referral, at: datetime) -> Referral:
        doctor = receiving_doctor_id
        if doctor:
            await _ensure_doctor_at(session, doctor, referral.receiving.institution_id, "body.receiving_doctor_id")
        elif caller.principal.role is Role.UNIT_ADMIN and not referral.receiving.doctor_id:
            raise InvalidInput("联络员接收转诊时须指定接收医生", field="body.receiving_doctor_id")
        assert caller.actor is not None
        return referral.accept(by=caller.actor, at=at, receiving_doctor_id=doctor)

    await _transition(session, ctx, caller, referral_id, command)


async def simple(session: AsyncSession, ctx: Ctx, caller: Caller, referral_id: str, action: str) -> None:
    """登记到院 (arrival) / 入院 (admission) / 就诊 (visit)."""
    async def command(referral: Referral, at: datetime) -> Referral:
        assert caller.actor is not None
        method = {"arrival": referral.record_arrival, "admission": referral.record_admission,
                  "visit": referral.record_visit}[action]
        return method(by=caller.actor, at=at)

    await _transition(session, ctx, caller, referral_id, command)


async def close(session: AsyncSession, ctx: Ctx, caller: Caller, referral_id: str, action: str, reason: str) -> None:
    """拒绝 (reject, receiving side) / 取消 (cancel, either side), with a reason."""
    async def command(referral: Referral, at: datetime) -> Referral:
        assert caller.actor is not None
        method = referral.reject if action == "reject" else referral.cancel
        return method(by=caller.actor, at=at, reason=reason)

    await _transition(session, ctx, caller, referral_id, command)


async def complete(session: AsyncSession, ctx: Ctx, caller: Caller, referral_id: str, outcome: Outcome) -> None:
    """完成, with the closed-loop outcome (闭环反馈) for the referring side, stored sealed."""
    async def command(referral: Referral, at: datetime) -> Referral:
        assert caller.actor is not None
        return referral.complete(by=caller.actor, at=at, outcome=outcome)

    await _transition(session, ctx, caller, referral_id, command)


async def _transition(session: AsyncSession, ctx: Ctx, caller: Caller, referral_id: str, command) -> None:  # type: ignore[no-untyped-def]
    row = await repo.lock(session, referral_id)
    if row is None or caller.actor is None or not is_party(caller, row):
        raise NotFound("转诊不存在", field="referral_id")
    if row["origin"] != "platform":
        raise Conflict(f"该转诊由{ORIGIN_LABELS.get(row['origin'], row['origin'])}推送，状态以其推送为准",
                       field="referral_id", current_status=row["status"])
    referral = await load_aggregate(session, ctx, row)
    updated: Referral = await command(referral, ctx.now())
    step = updated.history[-1]
    event = replace(events_from(updated)[-1], reason=None)  # the reason is sealed on the transition row
    before = repo.state_of(row, await repo.marks(session, referral_id))
    values = {}
    if updated.outcome is not None and referral.outcome is None:
        values["outcome_ct"] = ctx.seal(outcome_scope(referral_id), json.dumps(updated.outcome.__dict__))
    reason_ct = ctx.seal(step_scope(referral_id, event.event_id), step.reason)
    await progress.record(session, ctx, row, before, apply(before, event),
                          progress.Step(event, step.by_institution_id, reason_ct), values)


async def load_aggregate(session: AsyncSession, ctx: Ctx, row: repo.Row) -> Referral:
    facts = repo.facts_of(row)
    assert facts is not None
    history = tuple(Transition(Status(t["from_status"]) if t["from_status"] else None, Status(t["to_status"]),
                               t["by_user"] or "", t["by_institution_id"] or "", t["at"])
                    for t in await repo.transitions(session, row["referral_id"]))
    return Referral(
        referral_id=row["referral_id"], alliance_id=facts.alliance_id, direction=facts.direction,
        setting=facts.setting, channel=facts.channel, referring=facts.referring, receiving=facts.receiving,
        patient_ref=facts.patient_ref, reason=ctx.open(reason_scope(row["referral_id"]), row["reason_ct"]) or "",
        indication=facts.indication, urgency=facts.urgency, status=Status(row["status"]), history=history,
        receiving_doctor_id=row["accepted_doctor_id"], outcome=outcome_of(ctx, row))


def outcome_of(ctx: Ctx, row: repo.Row) -> Outcome | None:
    text = ctx.open(outcome_scope(row["referral_id"]), row["outcome_ct"])
    return None if text is None else Outcome(**json.loads(text))


async def load_alliance(session: AsyncSession, alliance_id: str) -> AllianceView:
    alliance = await directory.alliance_view(session, alliance_id)
    if alliance is None:
        raise NotFound("专科联盟不存在或尚未同步", field="alliance_id")
    return alliance


async def _ensure_doctor_at(session: AsyncSession, doctor_id: str, institution_id: str, field: str) -> None:
    units = await directory.doctor_institutions(session, [doctor_id])
    if units.get(doctor_id) != institution_id:
        raise InvalidInput("该医生未在接收单位登记执业", field=field)


def reason_scope(referral_id: str) -> str:
    return f"referral:{referral_id}:reason"


def outcome_scope(referral_id: str) -> str:
    return f"referral:{referral_id}:outcome"


def step_scope(referral_id: str, event_id: str) -> str:
    return f"referral:{referral_id}:step:{event_id}:reason"
