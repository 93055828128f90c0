"""远程会诊 (incl. 临床药师), 远程心电, 远程影像: requested, answered or cancelled, and 结果互认 by other units.

R05 counts requests (按申请次数核算): the request is an award fact, a cancellation revokes it.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from libs.events.registry import EventData
from libs.events.schemas.referral import ConsultAnswered, ConsultCancelled, ConsultRequested, ConsultResultRecognized
from libs.kit.clock import business_date
from libs.kit.errors import NotFound
from services.referral.application import awards, patients
from services.referral.application.actors import Caller
from services.referral.application.patients import PatientInput
from services.referral.application.referrals import load_alliance
from services.referral.context import Ctx
from services.referral.domain.awards import consult_facts
from services.referral.domain.consult import (
    Answer,
    Consult,
    ConsultKind,
    ConsultStatus,
    ConsultStep,
    Recognition,
    request_consult,
)
from services.referral.persistence import consults as repo


async def request(session: AsyncSession, ctx: Ctx, caller: Caller, *, alliance_id: str, kind: str,
                  responder_institution_id: str, patient: PatientInput, question: str) -> Consult:
    assert caller.actor is not None
    alliance = await load_alliance(session, alliance_id)
    patient_ref = await patients.register(session, ctx, patient)
    consult = request_consult(consult_id="con_" + uuid.uuid4().hex, alliance=alliance, kind=kind,
                              responder_institution_id=responder_institution_id, patient_ref=patient_ref,
                              question=question, by=caller.actor, at=ctx.now())
    at = consult.history[0].at
    await repo.insert_consult(session, {
        "consult_id": consult.consult_id, "alliance_id": consult.alliance_id, "kind": consult.kind.value,
        "requester_institution_id": consult.requester_institution_id,
        "requester_doctor_id": consult.requester_doctor_id,
        "responder_institution_id": consult.responder_institution_id, "patient_ref": patient_ref,
        "question_ct": ctx.seal(_scope(consult.consult_id, "question"), consult.question),
        "status": consult.status.value, "requested_at": at, "business_date": business_date(at)})
    await _add_step(session, ctx, consult)
    items: list[tuple[EventData, str]] = [(ConsultRequested(**_fields(consult), occurred_at=at,
                                                            business_date=business_date(at)), consult.consult_id)]
    items += await awards.record(session, consult_facts(consult)[0])
    await ctx.publish(session, items)
    return consult


async def answer(session: AsyncSession, ctx: Ctx, caller: Caller, consult_id: str, conclusion: str,
                 report_ref: str | None) -> Consult:
    consult = await _party_consult(session, ctx, caller, consult_id)
    assert caller.actor is not None
    answered = consult.respond(by=caller.actor, at=ctx.now(), answer=Answer(conclusion, report_ref))
    assert answered.answer is not None
    sealed = ctx.seal(_scope(consult_id, "answer"), json.dumps(answered.answer.__dict__))
    await repo.save(session, consult_id, status=answered.status.value, answer_ct=sealed, updated_at=ctx.now())
    step = await _add_step(session, ctx, answered)
    await ctx.publish(session, [(ConsultAnswered(
        **_fields(answered), answered_by=step.by, requested_at=answered.history[0].at, occurred_at=step.at,
        business_date=business_date(step.at)), consult_id)])
    return answered


async def cancel(session: AsyncSession, ctx: Ctx, caller: Caller, consult_id: str, reason: str) -> Consult:
    consult = await _party_consult(session, ctx, caller, consult_id)
    assert caller.actor is not None
    cancelled = consult.cancel(by=caller.actor, at=ctx.now(), reason=reason)
    await repo.save(session, consult_id, status=cancelled.status.value, updated_at=ctx.now())
    step = await _add_step(session, ctx, cancelled)
    items: list[tuple[EventData, str]] = [(ConsultCancelled(**_fields(cancelled), cancelled_by=step.by,
                                                            occurred_at=step.at, business_date=business_date(step.at)),
                                           consult_id)]
    items += await awards.record(session, consult_facts(cancelled)[-1])
    await ctx.publish(session, items)
    return cancelled


async def recognize(session: AsyncSession, ctx: Ctx, caller: Caller, consult_id: str) -> Recognition:
    """结果互认 by a unit of the alliance other than the one that issued the result."""
    assert caller.actor is not None
    row = await repo.get(session, consult_id, lock=True)
    alliance = await load_alliance(session, row["alliance_id"]) if row is not None else None
    unit = caller.actor.institution_id
    if row is None or alliance is None or not (unit == alliance.lead_institution_id or alliance.is_member(unit)):
        raise NotFound("会诊不存在", field="consult_id")
    consult = await load(session, ctx, row)
    recognized = consult.recognize(by=caller.actor, at=ctx.now(), alliance=alliance)
    mark = recognized.recognitions[-1]
    await repo.add_recognition(session, consult_id, institution_id=mark.institution_id, by_user=mark.by, at=mark.at,
                               business_date=business_date(mark.at))
    await ctx.publish(session, [(ConsultResultRecognized(
        **_fields(consult), recognizing_institution_id=mark.institution_id, recognized_by=mark.by, occurred_at=mark.at,
        business_date=business_date(mark.at)), consult_id)])
    return mark


def is_party(caller: Caller, row: repo.Row) -> bool:
    return caller.institution_id in (row["requester_institution_id"], row["responder_institution_id"])


async def load(session: AsyncSession, ctx: Ctx, row: repo.Row) -> Consult:
    cid = row["consult_id"]
    answer_text = ctx.open(_scope(cid, "answer"), row["answer_ct"])
    return Consult(
        consult_id=cid, alliance_id=row["alliance_id"], kind=ConsultKind(row["kind"]),
        requester_institution_id=row["requester_institution_id"], requester_doctor_id=row["requester_doctor_id"],
        responder_institution_id=row["responder_institution_id"], patient_ref=row["patient_ref"],
        question=ctx.open(_scope(cid, "question"), row["question_ct"]) or "", status=ConsultStatus(row["status"]),
        history=tuple(ConsultStep(ConsultStatus(s["from_status"]) if s["from_status"] else None,
                                  ConsultStatus(s["to_status"]), s["by_user"], s["by_institution_id"], s["at"])
                      for s in await repo.steps(session, cid)),
        answer=Answer(**json.loads(answer_text)) if answer_text else None,
        recognitions=tuple(Recognition(r["institution_id"], r["by_user"], r["at"])
                           for r in await repo.recognitions(session, cid)))


async def _party_consult(session: AsyncSession, ctx: Ctx, caller: Caller, consult_id: str) -> Consult:
    row = await repo.get(session, consult_id, lock=True)
    if row is None or not is_party(caller, row):
        raise NotFound("会诊不存在", field="consult_id")
    return await load(session, ctx, row)


async def _add_step(session: AsyncSession, ctx: Ctx, consult: Consult) -> ConsultStep:
    step, seq = consult.history[-1], len(consult.history)
    await repo.add_step(session, consult.consult_id, seq, from_status=step.from_status.value if step.from_status
                        else None, to_status=step.to_status.value, by_user=step.by,
                        by_institution_id=step.by_institution_id, at=step.at,
                        reason_ct=ctx.seal(_scope(consult.consult_id, f"step:{seq}:reason"), step.reason))
    return step


def _fields(consult: Consult) -> dict[str, Any]:
    return {"consult_id": consult.consult_id, "alliance_id": consult.alliance_id, "kind": consult.kind.value,
            "requester_institution_id": consult.requester_institution_id,
            "requester_doctor_id": consult.requester_doctor_id,
            "responder_institution_id": consult.responder_institution_id, "patient_ref": consult.patient_ref}


def _scope(consult_id: str, field: str) -> str:
    return f"consult:{consult_id}:{field}"
