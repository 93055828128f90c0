"""Routes of referral standards per alliance (转诊标准、转诊指征、转诊流程、绿色通道制度)."""

from __future__ import annotations

from datetime import date
from typing import Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from libs.kit.deps import SessionDep
from services.referral.api.deps import CallerDep, CtxDep
from services.referral.application import standards
from services.referral.domain.standards import DocumentKind, Indication, ProcessDocument, ReferralStandard
from services.referral.domain.terms import Direction
from services.referral.inputs import Code, RegistryId, ShortText, Strict, text

router = APIRouter(prefix="/alliances/{alliance_id}/standards", tags=["standards 转诊标准"])


class IndicationIn(Strict):
    code: Code
    direction: Literal["up", "down"]
    title: ShortText
    description: text(500, 0) = ""  # type: ignore[valid-type]


class DocumentIn(Strict):
    kind: Literal["referral_criteria", "referral_process", "operating_mechanism", "green_channel"]
    title: ShortText
    version: text(32)  # type: ignore[valid-type]
    adopted_on: date
    implemented: bool = False
    document_ref: ShortText | None = None


class StandardIn(Strict):
    version: text(32)  # type: ignore[valid-type]
    effective_from: date
    indications: list[IndicationIn] = Field(min_length=2, max_length=50)
    documents: list[DocumentIn] = Field(default_factory=list, max_length=10)


class StandardOut(BaseModel):
    alliance_id: str
    version: str
    effective_from: date
    indications: list[dict[str, str]]
    documents: list[dict[str, object]]
    missing_documents: list[str]
    not_implemented: list[str]


@router.post("", status_code=201, response_model=StandardOut, summary="制订转诊标准新版本（联盟办公室）")
async def adopt(alliance_id: RegistryId, body: StandardIn, session: SessionDep, ctx: CtxDep,
                caller: CallerDep) -> StandardOut:
    standard = await standards.adopt(
        session, ctx, caller.principal, alliance_id, version=body.version, effective_from=body.effective_from,
        indications=[Indication(i.code, Direction(i.direction), i.title, i.description) for i in body.indications],
        documents=[ProcessDocument(DocumentKind(d.kind), d.title, d.version, d.adopted_on, d.implemented,
                                   d.document_ref) for d in body.documents])
    return _out(standard)


@router.get("", response_model=list[StandardOut], summary="转诊标准各版本")
async def versions(alliance_id: RegistryId, session: SessionDep, caller: CallerDep) -> list[StandardOut]:
    return [_out(s) for s in await standards.versions(session, alliance_id)]


@router.get("/current", response_model=StandardOut, summary="某日生效的转诊标准（未制订时为默认指征）")
async def current(alliance_id: RegistryId, session: SessionDep, ctx: CtxDep, caller: CallerDep,
                  on: date | None = Query(None, description="日期，默认今天（北京时间）")) -> StandardOut:
    return _out(await standards.in_force(session, alliance_id, on or ctx.today()))


def _out(s: ReferralStandard) -> StandardOut:
    return StandardOut(
        alliance_id=s.alliance_id, version=s.version, effective_from=s.effective_from,
        indications=[{"code": i.code, "direction": i.direction.value, "title": i.title,
                      "description": i.description} for i in s.indications],
        documents=[{"kind": d.kind.value, "label": d.kind.label, "title": d.title, "version": d.version,
                    "adopted_on": d.adopted_on.isoformat(), "implemented": d.implemented,
                    "document_ref": d.document_ref} for d in s.documents],
        missing_documents=[k.value for k in s.missing_documents()],
        not_implemented=[k.value for k in s.not_implemented()])


