"""Request and response models of the referral routes, and the row → response mapping.

Patient identity, reasons and the outcome appear only in the ``full`` view (the two institutions);
oversight roles get the pseudonymous view (``patient_ref`` only).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from services.referral.application import patients
from services.referral.application.actors import View
from services.referral.application.referrals import outcome_of, reason_scope, step_scope
from services.referral.context import Ctx
from services.referral.domain.terms import Status
from services.referral.inputs import Code, OutcomeIn, PatientIn, Reason, RegistryId, Strict
from services.referral.persistence import referrals as repo


class PartyRef(Strict):
    institution_id: RegistryId
    doctor_id: RegistryId | None = None


class ReferralIn(Strict):
    """转诊申请. ``channel``: platform (联盟平台/电子住院证) or reserved_slot (预留号源, up outpatient only);
    hotline and emergency referrals are posted by those systems themselves (webhooks)."""

    alliance_id: RegistryId
    direction: Literal["up", "down"]
    setting: Literal["outpatient", "inpatient"]
    channel: Literal["platform", "reserved_slot"] = "platform"
    receiving: PartyRef
    reason: Reason
    indication: Code
    urgency: Literal["routine", "urgent", "critical"] = "routine"
    patient: PatientIn


class AcceptIn(Strict):
    receiving_doctor_id: RegistryId | None = None


class ReasonIn(Strict):
    reason: Reason


class CompleteIn(Strict):
    outcome: OutcomeIn


class GreenChannelIn(Strict):
    service: Literal["reception", "examination", "admission"]
    at: AwareDatetime | None = None


class PartyOut(BaseModel):
    institution_id: str | None
    doctor_id: str | None


class PatientOut(BaseModel):
    name: str
    sex: str
    birth_date: date
    id_number: str | None
    guardian_contact: str | None


class StepOut(BaseModel):
    seq: int
    milestone: str
    from_status: str | None
    to_status: str | None
    by: str | None
    by_institution_id: str | None
    at: datetime
    reason: str | None = None


class OutcomeOut(BaseModel):
    summary: str
    diagnosis: str | None
    advice: str | None


class ReferralOut(BaseModel):
    referral_id: str
    origin: str
    alliance_id: str | None
    direction: str | None
    setting: str | None
    channel: str | None
    urgency: str | None
    indication: str | None
    status: str | None
    status_label: str | None
    referring: PartyOut
    receiving: PartyOut
    accepted_doctor_id: str | None
    patient_ref: str | None
    requested_at: datetime | None
    business_date: date | None
    view: Literal["full", "pseudonymous"]
    reason: str | None = None
    outcome: OutcomeOut | None = None
    patient: PatientOut | None = None
    history: list[StepOut] = []


class ClosedLoopOut(BaseModel):
    """闭环反馈 addressed to the referring side."""

    referral_id: str
    recipient: PartyOut
    sender: PartyOut
    patient_ref: str
    outcome: OutcomeOut
    completed_at: datetime


class GreenChannelOut(BaseModel):
    referral_id: str
    institution_id: str
    arrived_at: datetime
    services: dict[str, datetime]
    wait_seconds: dict[str, int]


def summary(row: repo.Row, view: View) -> ReferralOut:
    status = Status(row["status"]) if row["status"] else None
    return ReferralOut(
        referral_id=row["referral_id"], origin=row["origin"], alliance_id=row["alliance_id"],
        direction=row["direction"], setting=row["setting"], channel=row["channel"], urgency=row["urgency"],
        indication=row["indication"], status=row["status"], status_label=status.label if status else None,
        referring=PartyOut(institution_id=row["referring_institution_id"], doctor_id=row["referring_doctor_id"]),
        receiving=PartyOut(institution_id=row["receiving_institution_id"], doctor_id=row["receiving_doctor_id"]),
        accepted_doctor_id=row["accepted_doctor_id"], patient_ref=row["patient_ref"],
        requested_at=row["requested_at"], business_date=row["business_date"], view=view.value)


async def detail(session: AsyncSession, ctx: Ctx, row: repo.Row, view: View) -> ReferralOut:
    out = summary(row, view)
    rid, full = row["referral_id"], view is View.FULL
    out.history = [StepOut(seq=t["seq"], milestone=t["milestone"], from_status=t["from_status"],
                           to_status=t["to_status"], by=t["by_user"], by_institution_id=t["by_institution_id"],
                           at=t["at"],
                           reason=ctx.open(step_scope(rid, t["event_id"]), t["reason_ct"]) if full else None)
                   for t in await repo.transitions(session, rid)]
    if not full:
        return out
    out.reason = ctx.open(reason_scope(rid), row["reason_ct"])
    outcome = outcome_of(ctx, row)
    out.outcome = OutcomeOut(**outcome.__dict__) if outcome else None
    record = await patients.reveal(session, ctx, row["patient_ref"])
    if record is not None:
        out.patient = PatientOut(name=record.name, sex=record.sex.value, birth_date=record.birth_date,
                                 id_number=record.id_number, guardian_contact=record.guardian_contact)
    return out

