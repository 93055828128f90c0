"""优秀案例征集 (seed 001): calls with categories, eligibility and a deadline (Asia/Shanghai, inclusive day), and
entries — at most 3 per unit, outline limits in characters, originality pledge. The office opens calls; a
unit_admin enters cases for its own institution; doctors only when the call allows it."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field, StringConstraints
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from libs.auth.deps import PrincipalDep
from libs.auth.principal import Principal, Role
from libs.kit.clock import business_date
from libs.kit.deps import RuntimeDep, SessionDep
from libs.kit.errors import Forbidden, InvalidInput
from libs.kit.idempotency import IdempotencyDep
from libs.kit.pagination import Page, PageDep, page_of
from services.evaluation.api import access
from services.evaluation.api.models import Id, Strict, Title
from services.evaluation.domain.competition import Applicant, CaseOutline, submit_case
from services.evaluation.persistence import competitions as store
from services.evaluation.persistence import directory
from services.evaluation.persistence.directory import AllianceRow

router = APIRouter(tags=["competitions 案例征集"])
CategoryName = Literal["管理", "医疗", "护理"]
Share = Annotated[str, StringConstraints(pattern=r"^0(\.\d{1,2})?$")]
# Outline fields are bounded generously here; the exact limits (200/500/300 字) are the domain's, in characters.
Outline = Annotated[str, StringConstraints(max_length=2000)]


class CallIn(Strict):
    title: Title
    closes_on: date = Field(description="截止日期（含当日，北京时间），逾期不予受理")
    categories: Annotated[list[CategoryName], Field(min_length=1, max_length=3)] = ["管理", "医疗", "护理"]
    max_entries_per_unit: Annotated[int, Field(ge=1, le=3)] = 3
    excellent_share: Share = "0.25"
    doctors_may_submit: bool = False
    require_pediatrics: bool = True


class CallOut(BaseModel):
    call_id: str
    alliance_id: str
    title: str
    closes_on: date
    categories: list[str]
    max_entries_per_unit: int
    excellent_share: str
    doctors_may_submit: bool
    require_pediatrics: bool
    status: str
    created_at: datetime
    awarded_at: datetime | None


class EntryIn(Strict):
    title: Annotated[str, StringConstraints(max_length=200)]
    category: Annotated[str, StringConstraints(max_length=8)]
    contact: Annotated[str, StringConstraints(max_length=200)]
    background: Outline
    implementation: Outline
    results: Outline
    pledge: bool
    has_pediatrics: bool = Field(description="本单位开设了儿科（参赛条件）")
    authors: Annotated[list[Id], Field(min_length=1, max_length=10)]


class EntryOut(BaseModel):
    entry_id: str
    call_id: str
    unit_id: str
    category: str
    title: str
    contact: str
    background: str
    implementation: str
    results: str
    authors: list[str]
    submitted_at: datetime


def call_out(row: dict[str, Any]) -> CallOut:
    values = {k: row[k] for k in CallOut.model_fields if k != "excellent_share"}
    return CallOut(**values, excellent_share=str(row["excellent_share"]))


def entry_out(row: dict[str, Any]) -> EntryOut:
    return EntryOut(**{k: row[k] for k in EntryOut.model_fields})


async def call_in_scope(session: AsyncSession, principal: Principal, call_id: str, *, run: bool = False,
                        lock: bool = False) -> tuple[dict[str, Any], AllianceRow]:
    call = await store.get_call(session, call_id, lock=lock)
    check = access.runnable if run else access.readable
    return call, await check(session, principal, call["alliance_id"])


@router.post("/alliances/{alliance_id}/case-calls", status_code=201, response_model=CallOut, summary="发布案例征集")
async def open_call(alliance_id: Id, body: CallIn, session: SessionDep, runtime: RuntimeDep,
                    principal: PrincipalDep, idem: IdempotencyDep) -> Response:
    alliance = await access.runnable(session, principal, alliance_id, roles=(Role.ALLIANCE_OFFICE,))
    directory.ensure_operating(alliance)
    share = Decimal(body.excellent_share)
    if not Decimal(0) < share <= Decimal("0.25"):
        raise InvalidInput("优秀案例评选比例应大于0且不超过25%", field="excellent_share")
    now = runtime.clock.now()
    if body.closes_on < business_date(now):
        raise InvalidInput("截止日期不能早于今天", field="closes_on")
    row = {"call_id": str(uuid.uuid4()), "alliance_id": alliance_id, "title": body.title,
           "closes_on": body.closes_on, "categories": list(dict.fromkeys(body.categories)),
           "max_entries_per_unit": body.max_entries_per_unit, "excellent_share": share,
           "doctors_may_submit": body.doctors_may_submit, "require_pediatrics": body.require_pediatrics,
           "status": "open", "created_by": access.actor(principal), "created_at": now, "awarded_at": None}
    await store.add_call(session, row)
    return await idem.respond(201, call_out(row))


@router.get("/alliances/{alliance_id}/case-calls", response_model=list[CallOut], summary="联盟的案例征集")
async def list_calls(alliance_id: Id, session: SessionDep, principal: PrincipalDep) -> list[CallOut]:
    await access.readable(session, principal, alliance_id)
    return [call_out(r) for r in await store.list_calls(session, alliance_id)]


@router.get("/case-calls/{call_id}", response_model=CallOut, summary="案例征集")
async def get_call(call_id: Id, session: SessionDep, principal: PrincipalDep) -> CallOut:
    call, _ = await call_in_scope(session, principal, call_id)
    return call_out(call)


async def _entrant(session: AsyncSession, principal: Principal, call: dict[str, Any], alliance: AllianceRow,
                   authors: list[str]) -> str:
    """The entering unit: a unit_admin's institution, or a doctor's when the call allows doctors."""
    principal.require(Role.UNIT_ADMIN, Role.DOCTOR)
    if principal.role is Role.DOCTOR:
        if not call["doctors_may_submit"]:
            raise Forbidden("本次征集由单位统一上报，医师不能直接提交", field="role")
        if principal.doctor_id not in authors:
            raise InvalidInput("医师提交的案例须以本人为申请人", field="authors")
        if not principal.institution_id and principal.doctor_id:  # the doctor's unit as the registry knows it
            principal = replace(principal, institution_id=await directory.doctor_unit(session, principal.doctor_id))
    unit, _ = await access.member_unit(session, principal, alliance)
    for i, author in enumerate(authors):
        home = await directory.doctor_unit(session, author)
        if home is not None and home != unit:
            raise InvalidInput("申请人须为本单位医师", field=f"authors[{i}]")
    return unit


@router.post("/case-calls/{call_id}/entries", status_code=201, response_model=EntryOut,
             summary="上报参赛案例（每单位限3个，截止日当天24:00前）")
async def submit_entry(call_id: Id, body: EntryIn, session: SessionDep, runtime: RuntimeDep,
                       principal: PrincipalDep, idem: IdempotencyDep) -> Response:
    # The call row is locked: two entries of one unit at once cannot both see "2 so far" and make 4.
    call, alliance = await call_in_scope(session, principal, call_id, lock=True)
    unit = await _entrant(session, principal, call, alliance, list(body.authors))
    directory.ensure_operating(alliance)
    names = await directory.institution_names(session, [unit])
    applicant = Applicant(unit, names.get(unit, unit), association_member=True,
                          has_pediatrics=body.has_pediatrics or not call["require_pediatrics"])
    outline = CaseOutline(body.title, body.category, body.contact, body.background, body.implementation,
                          body.results, body.pledge)
    existing = [store.as_entry(r) for r in await store.entry_rows(session, call_id)]
    entry = submit_case(store.as_call(call), applicant, outline, entry_id=str(uuid.uuid4()),
                        authors=list(dict.fromkeys(body.authors)), existing=existing, at=runtime.clock.now())
    return await idem.respond(201, entry_out(await store.add_entry(session, entry, by=access.actor(principal))))


@router.get("/case-calls/{call_id}/entries", response_model=Page[EntryOut], summary="参赛案例")
async def list_entries(call_id: Id, session: SessionDep, principal: PrincipalDep, page: PageDep) -> Page[EntryOut]:
    call, alliance = await call_in_scope(session, principal, call_id)
    unit = author = None
    if principal.role is Role.UNIT_ADMIN:
        unit, _ = await access.member_unit(session, principal, alliance)
    elif principal.role is Role.DOCTOR:
        author = principal.doctor_id or "-"
    rows = await store.entry_rows(session, call_id, unit_id=unit, author=author, page=page)
    found = page_of(rows, page, lambda r: {"seq": r["seq"]})
    return Page(items=[entry_out(r) for r in found.items], limit=found.limit, next_cursor=found.next_cursor)
