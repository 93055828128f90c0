"""Routes of patients: the pseudonym of a patient (to look up an archive) and the 转诊档案."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Response
from pydantic import BaseModel

from libs.auth.principal import Role
from libs.kit.deps import SessionDep
from services.referral.api.deps import CallerDep, CtxDep
from services.referral.application import archive, patients
from services.referral.domain.terms import Direction
from services.referral.inputs import PatientIn, Strict

router = APIRouter(prefix="/patients", tags=["patients 转诊档案"])
PatientRef = Annotated[str, Path(pattern=r"^pr_[A-Za-z0-9_-]{43}$", description="患者假名编号 patient_ref")]


class PseudonymIn(Strict):
    patient: PatientIn


class PseudonymOut(BaseModel):
    patient_ref: str


class ArchiveEntryOut(BaseModel):
    referral_id: str
    direction: str
    setting: str
    channel: str
    from_institution_id: str
    to_institution_id: str
    indication: str
    urgency: str
    status: str
    requested_at: datetime
    steps: list[tuple[str, datetime]]
    outcome_summary: str | None


class ArchiveOut(BaseModel):
    patient_ref: str
    up: int
    down: int
    entries: list[ArchiveEntryOut]


@router.post("/pseudonym", response_model=PseudonymOut, summary="计算患者假名编号（不存储）")
async def pseudonym(body: PseudonymIn, ctx: CtxDep, caller: CallerDep) -> PseudonymOut:
    caller.principal.require(Role.DOCTOR, Role.UNIT_ADMIN)
    return PseudonymOut(patient_ref=patients.pseudonym_of(ctx, body.patient.to_input()))


@router.get("/{patient_ref}/archive", response_model=ArchiveOut, summary="转诊档案（本单位参与的转诊）")
async def get_archive(patient_ref: PatientRef, session: SessionDep, ctx: CtxDep, caller: CallerDep,
                      response: Response) -> ArchiveOut:
    built = await archive.archive(session, ctx, caller, patient_ref)
    response.headers["Cache-Control"] = "no-store"
    return ArchiveOut(patient_ref=patient_ref, up=built.count(Direction.UP), down=built.count(Direction.DOWN),
                      entries=[ArchiveEntryOut(
                          referral_id=e.referral_id, direction=e.direction.value, setting=e.setting.value,
                          channel=e.channel.value, from_institution_id=e.from_institution_id,
                          to_institution_id=e.to_institution_id, indication=e.indication, urgency=e.urgency.value,
                          status=e.status.value, requested_at=e.requested_at,
                          steps=[(s.value, at) for s, at in e.steps], outcome_summary=e.outcome_summary)
                          for e in built.entries])
