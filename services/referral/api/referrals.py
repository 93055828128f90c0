"""Routes of 双向转诊 (platform referrals), their closed-loop outcome and their green channel."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response
from sqlalchemy import select

from libs.auth.principal import Role
from libs.kit.deps import SessionDep
from libs.kit.errors import Conflict, NotFound
from libs.kit.idempotency import IdempotencyDep
from libs.kit.pagination import Page, PageDep, keyset, page_of
from services.referral.api.deps import CallerDep, CtxDep
from services.referral.api.referral_models import (
    AcceptIn,
    ClosedLoopOut,
    CompleteIn,
    GreenChannelIn,
    GreenChannelOut,
    OutcomeOut,
    PartyOut,
    ReasonIn,
    ReferralIn,
    ReferralOut,
    detail,
    summary,
)
from services.referral.application import green_channel, referrals
from services.referral.application.actors import Caller, View
from services.referral.application.visibility import scope_filter, view_of
from services.referral.domain.green_channel import GreenChannelCase, PriorityService
from services.referral.domain.terms import Channel, Direction, Setting, Status, Urgency
from services.referral.inputs import RegistryId
from services.referral.persistence import green_channel as green_repo
from services.referral.persistence import referrals as repo
from services.referral.persistence.tables import referrals as referrals_table

router = APIRouter(prefix="/referrals", tags=["referrals 双向转诊"])
ReferralId = Annotated[str, Path(max_length=100, description="转诊编号")]
NO_STORE = {"Cache-Control": "no-store"}


@router.post("", status_code=201, response_model=ReferralOut,
             summary="转诊申请（转出单位医生；需 Idempotency-Key）")
async def create_referral(body: ReferralIn, session: SessionDep, ctx: CtxDep, caller: CallerDep,
                          idem: IdempotencyDep) -> Response:
    caller.principal.require(Role.DOCTOR)
    rid = await referrals.create(session, ctx, caller, referrals.NewReferral(
        alliance_id=body.alliance_id, direction=Direction(body.direction), setting=Setting(body.setting),
        channel=Channel(body.channel), receiving_institution_id=body.receiving.institution_id,
        receiving_doctor_id=body.receiving.doctor_id, reason=body.reason, indication=body.indication,
        urgency=Urgency(body.urgency), patient=body.patient.to_input()))
    # The stored (replayable) response carries no patient identity: GET /referrals/{id} shows it.
    return await idem.respond(201, await _summary(session, rid), headers={"Location": f"/referrals/{rid}"})


@router.get("", response_model=Page[ReferralOut], summary="转诊列表（按调用者范围）")
async def list_referrals(session: SessionDep, caller: CallerDep, page: PageDep, alliance_id: RegistryId | None = None,
                         status: Status | None = None, direction: Direction | None = None) -> Page[ReferralOut]:
    stmt = select(referrals_table).where(scope_filter(caller), referrals_table.c.alliance_id.is_not(None))
    for column, value in ((referrals_table.c.alliance_id, alliance_id), (referrals_table.c.status, status),
                          (referrals_table.c.direction, direction)):
        if value is not None:
            stmt = stmt.where(column == value)
    rows = (await session.execute(keyset(stmt, page, referrals_table.c.created_at, referrals_table.c.referral_id,
                                         descending=True))).mappings().all()
    view = View.FULL if caller.actor is not None else View.PSEUDONYMOUS
    listed = page_of(list(rows), page, lambda r: {"created_at": r["created_at"], "referral_id": r["referral_id"]})
    return Page(items=[summary(r, view) for r in listed.items], limit=listed.limit, next_cursor=listed.next_cursor)


@router.get("/{referral_id}", response_model=ReferralOut, summary="转诊详情（两家机构可见患者身份）")
async def get_referral(referral_id: ReferralId, session: SessionDep, ctx: CtxDep, caller: CallerDep,
                       response: Response) -> ReferralOut:
    row, view = await _visible(session, caller, referral_id)
    response.headers.update(NO_STORE)
    return await detail(session, ctx, row, view)


@router.post("/{referral_id}/accept", response_model=ReferralOut, summary="接收（接收单位）")
async def accept(referral_id: ReferralId, session: SessionDep, ctx: CtxDep, caller: CallerDep,
                 body: AcceptIn | None = None) -> ReferralOut:
    await referrals.accept(session, ctx, _clinical(caller), referral_id, body.receiving_doctor_id if body else None)
    return await _summary(session, referral_id)


@router.post("/{referral_id}/reject", response_model=ReferralOut, summary="拒绝（接收单位，需说明原因）")
async def reject(referral_id: ReferralId, body: ReasonIn, session: SessionDep, ctx: CtxDep,
                 caller: CallerDep) -> ReferralOut:
    await referrals.close(session, ctx, _clinical(caller), referral_id, "reject", body.reason)
    return await _summary(session, referral_id)


@router.post("/{referral_id}/cancel", response_model=ReferralOut, summary="取消（转出或接收单位，到院前）")
async def cancel(referral_id: ReferralId, body: ReasonIn, session: SessionDep, ctx: CtxDep,
                 caller: CallerDep) -> ReferralOut:
    await referrals.close(session, ctx, _clinical(caller), referral_id, "cancel", body.reason)
    return await _summary(session, referral_id)


@router.post("/{referral_id}/arrival", response_model=ReferralOut, summary="登记到院（接收单位）")
async def record_arrival(referral_id: ReferralId, session: SessionDep, ctx: CtxDep, caller: CallerDep) -> ReferralOut:
    await referrals.simple(session, ctx, _clinical(caller), referral_id, "arrival")
    return await _summary(session, referral_id)


@router.post("/{referral_id}/admission", response_model=ReferralOut, summary="登记入院（住院 / 急救转运）")
async def record_admission(referral_id: ReferralId, session: SessionDep, ctx: CtxDep,
                           caller: CallerDep) -> ReferralOut:
    await referrals.simple(session, ctx, _clinical(caller), referral_id, "admission")
    return await _summary(session, referral_id)


@router.post("/{referral_id}/visit", response_model=ReferralOut, summary="登记门诊就诊（门诊转诊）")
async def record_visit(referral_id: ReferralId, session: SessionDep, ctx: CtxDep, caller: CallerDep) -> ReferralOut:
    await referrals.simple(session, ctx, _clinical(caller), referral_id, "visit")
    return await _summary(session, referral_id)


@router.post("/{referral_id}/complete", response_model=ReferralOut, summary="完成并反馈诊疗结果（闭环）")
async def complete(referral_id: ReferralId, body: CompleteIn, session: SessionDep, ctx: CtxDep,
                   caller: CallerDep) -> ReferralOut:
    await referrals.complete(session, ctx, _clinical(caller), referral_id, body.outcome.to_domain())
    return await _summary(session, referral_id)


@router.get("/{referral_id}/outcome", response_model=ClosedLoopOut, summary="闭环反馈（转诊双方）")
async def closed_loop(referral_id: ReferralId, session: SessionDep, ctx: CtxDep, caller: CallerDep,
                      response: Response) -> ClosedLoopOut:
    row, view = await _visible(session, caller, referral_id)
    outcome = referrals.outcome_of(ctx, row) if view is View.FULL else None
    if view is not View.FULL:
        raise NotFound("转诊不存在", field="referral_id")
    if row["status"] != Status.COMPLETED.value or outcome is None:
        label = Status(row["status"]).label if row["status"] else "未知"
        raise Conflict(f"当前状态为「{label}」，尚无闭环结果", field="status", current_status=row["status"])
    response.headers.update(NO_STORE)
    done = max(m["at"] for m in await repo.marks(session, referral_id) if m["milestone"] == Status.COMPLETED.value)
    return ClosedLoopOut(
        referral_id=referral_id, recipient=PartyOut(institution_id=row["referring_institution_id"],
                                                    doctor_id=row["referring_doctor_id"]),
        sender=PartyOut(institution_id=row["receiving_institution_id"], doctor_id=row["accepted_doctor_id"]),
        patient_ref=row["patient_ref"], outcome=OutcomeOut(**outcome.__dict__), completed_at=done)


@router.post("/{referral_id}/green-channel", response_model=GreenChannelOut,
             summary="登记绿色通道服务：优先接诊 / 优先检查 / 优先住院（接收单位）")
async def record_green_channel(referral_id: ReferralId, body: GreenChannelIn, session: SessionDep, ctx: CtxDep,
                               caller: CallerDep) -> GreenChannelOut:
    case = await green_channel.record(session, ctx, _clinical(caller), referral_id, PriorityService(body.service),
                                      body.at)
    return _green(case)


@router.get("/{referral_id}/green-channel", response_model=GreenChannelOut, summary="绿色通道记录")
async def get_green_channel(referral_id: ReferralId, session: SessionDep, caller: CallerDep) -> GreenChannelOut:
    await _visible(session, caller, referral_id)
    case = await green_repo.case(session, referral_id)
    if case is None:
        raise NotFound("该转诊没有绿色通道记录", field="referral_id")
    return _green(case)


async def _visible(session: SessionDep, caller: Caller, referral_id: str) -> tuple[repo.Row, View]:
    row = await repo.get(session, referral_id)
    view = await view_of(session, caller, row) if row is not None else None
    if row is None or view is None:
        raise NotFound("转诊不存在", field="referral_id")
    return row, view


async def _summary(session: SessionDep, referral_id: str) -> ReferralOut:
    row = await repo.get(session, referral_id)
    assert row is not None
    return summary(row, View.FULL)


def _clinical(caller: Caller) -> Caller:
    caller.principal.require(Role.DOCTOR, Role.UNIT_ADMIN)
    return caller


def _green(case: GreenChannelCase) -> GreenChannelOut:
    return GreenChannelOut(referral_id=case.referral_id, institution_id=case.institution_id,
                           arrived_at=case.arrived_at,
                           services={s.value: m.at for s, m in case.services.items()},
                           wait_seconds={s.value: w for s in case.services if (w := case.wait_seconds(s)) is not None})
