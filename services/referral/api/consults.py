"""Routes of 远程会诊 (incl. 临床药师), 远程心电, 远程影像 and 结果互认."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Response
from pydantic import BaseModel
from sqlalchemy import or_, select

from libs.auth.principal import Role
from libs.kit.deps import SessionDep
from libs.kit.errors import NotFound
from libs.kit.idempotency import IdempotencyDep
from libs.kit.pagination import Page, PageDep, keyset, page_of
from services.referral.api.deps import CallerDep, CtxDep
from services.referral.application import consults, patients
from services.referral.application.actors import Caller, oversight_covers
from services.referral.application.actors import region_prefix as _prefix
from services.referral.context import Ctx
from services.referral.domain.consult import Consult
from services.referral.inputs import LongText, PatientIn, Reason, RegistryId, ShortText, Strict
from services.referral.persistence import consults as repo
from services.referral.persistence import directory
from services.referral.persistence.tables import consults as consults_table

router = APIRouter(prefix="/consults", tags=["consults 远程会诊"])
ConsultId = Annotated[str, Path(max_length=64, description="会诊编号")]


class ConsultIn(Strict):
    alliance_id: RegistryId
    kind: Literal["consult", "pharmacist", "ecg", "imaging"]
    responder_institution_id: RegistryId
    question: LongText
    patient: PatientIn


class AnswerIn(Strict):
    conclusion: LongText
    report_ref: ShortText | None = None


class CancelIn(Strict):
    reason: Reason


class RecognitionOut(BaseModel):
    institution_id: str
    by: str
    at: datetime


class ConsultOut(BaseModel):
    consult_id: str
    alliance_id: str
    kind: str
    requester_institution_id: str
    requester_doctor_id: str
    responder_institution_id: str
    patient_ref: str
    status: str
    requested_at: datetime
    recognitions: list[RecognitionOut] = []
    question: str | None = None  # the two institutions only
    conclusion: str | None = None
    report_ref: str | None = None
    patient_name: str | None = None


@router.post("", status_code=201, response_model=ConsultOut, summary="申请远程会诊 / 心电 / 影像（需 Idempotency-Key）")
async def request_consult(body: ConsultIn, session: SessionDep, ctx: CtxDep, caller: CallerDep,
                          idem: IdempotencyDep) -> Response:
    caller.principal.require(Role.DOCTOR)
    consult = await consults.request(session, ctx, caller, alliance_id=body.alliance_id, kind=body.kind,
                                     responder_institution_id=body.responder_institution_id,
                                     patient=body.patient.to_input(), question=body.question)
    # The replayable stored response carries no clinical text or identity.
    return await idem.respond(201, _out(consult), headers={"Location": f"/consults/{consult.consult_id}"})


@router.get("", response_model=Page[ConsultOut], summary="会诊列表（按调用者范围）")
async def list_consults(session: SessionDep, caller: CallerDep, page: PageDep) -> Page[ConsultOut]:
    c = consults_table.c
    p = caller.principal
    if caller.institution_id:
        scope = or_(c.requester_institution_id == caller.institution_id,
                    c.responder_institution_id == caller.institution_id)
    elif p.role is Role.ALLIANCE_OFFICE:
        scope = c.alliance_id == p.alliance_id
    elif p.role is Role.HEALTH_COMMISSION and (prefix := _prefix(p.region_code)):
        scope = c.alliance_id.in_(directory.alliances_in_region(prefix))
    else:
        p.require(Role.AUDITOR)
        scope = c.consult_id.is_not(None)
    stmt = keyset(select(consults_table).where(scope), page, c.requested_at, c.consult_id, descending=True)
    rows = (await session.execute(stmt)).mappings().all()
    listed = page_of(list(rows), page, lambda r: {"requested_at": r["requested_at"], "consult_id": r["consult_id"]})
    return Page(items=[_row_out(r) for r in listed.items], limit=listed.limit, next_cursor=listed.next_cursor)


@router.get("/{consult_id}", response_model=ConsultOut, summary="会诊详情（双方可见内容与患者）")
async def get_consult(consult_id: ConsultId, session: SessionDep, ctx: CtxDep, caller: CallerDep,
                      response: Response) -> ConsultOut:
    row = await repo.get(session, consult_id)
    if row is None:
        raise NotFound("会诊不存在", field="consult_id")
    if caller.actor is not None and consults.is_party(caller, row):
        response.headers["Cache-Control"] = "no-store"
        return await _full(session, ctx, await consults.load(session, ctx, row))
    if caller.actor is None and await oversight_covers(session, caller.principal, row["alliance_id"]):
        return _out(await consults.load(session, ctx, row))
    raise NotFound("会诊不存在", field="consult_id")


@router.post("/{consult_id}/answer", response_model=ConsultOut, summary="答复（受邀单位）")
async def answer(consult_id: ConsultId, body: AnswerIn, session: SessionDep, ctx: CtxDep,
                 caller: CallerDep) -> ConsultOut:
    return _out(await consults.answer(session, ctx, _clinical(caller), consult_id, body.conclusion, body.report_ref))


@router.post("/{consult_id}/cancel", response_model=ConsultOut, summary="取消申请（申请单位，答复前）")
async def cancel(consult_id: ConsultId, body: CancelIn, session: SessionDep, ctx: CtxDep,
                 caller: CallerDep) -> ConsultOut:
    return _out(await consults.cancel(session, ctx, _clinical(caller), consult_id, body.reason))


@router.post("/{consult_id}/recognitions", status_code=201, response_model=RecognitionOut,
             summary="结果互认（联盟内其他单位）")
async def recognize(consult_id: ConsultId, session: SessionDep, ctx: CtxDep, caller: CallerDep) -> RecognitionOut:
    mark = await consults.recognize(session, ctx, _clinical(caller), consult_id)
    return RecognitionOut(institution_id=mark.institution_id, by=mark.by, at=mark.at)


def _clinical(caller: Caller) -> Caller:
    caller.principal.require(Role.DOCTOR, Role.UNIT_ADMIN)
    return caller


def _out(consult: Consult) -> ConsultOut:
    return ConsultOut(
        consult_id=consult.consult_id, alliance_id=consult.alliance_id, kind=consult.kind.value,
        requester_institution_id=consult.requester_institution_id, requester_doctor_id=consult.requester_doctor_id,
        responder_institution_id=consult.responder_institution_id, patient_ref=consult.patient_ref,
        status=consult.status.value, requested_at=consult.history[0].at,
        recognitions=[RecognitionOut(institution_id=r.institution_id, by=r.by, at=r.at) for r in consult.recognitions])


async def _full(session: SessionDep, ctx: Ctx, consult: Consult) -> ConsultOut:
    out = _out(consult)
    out.question = consult.question
    if consult.answer is not None:
        out.conclusion, out.report_ref = consult.answer.conclusion, consult.answer.report_ref
    record = await patients.reveal(session, ctx, consult.patient_ref)
    out.patient_name = record.name if record else None
    return out


def _row_out(row: repo.Row) -> ConsultOut:
    return ConsultOut(consult_id=row["consult_id"], alliance_id=row["alliance_id"], kind=row["kind"],
                      requester_institution_id=row["requester_institution_id"],
                      requester_doctor_id=row["requester_doctor_id"],
                      responder_institution_id=row["responder_institution_id"], patient_ref=row["patient_ref"],
                      status=row["status"], requested_at=row["requested_at"])
