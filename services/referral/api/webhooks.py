"""Routes of the inbound webhooks and their quarantine.

``POST /webhooks/{sender}`` has no user token (the gateway exposes it publicly as
``/api/v1/referral/webhooks/{sender}``): the Standard Webhooks signature IS the authentication, verified
here on the raw bytes. The quarantine routes are for operators (platform admin, the alliance office of the
alliance concerned, auditors read-only).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, FastAPI, Path, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import ColumnElement, true

from libs.auth.principal import Principal, Role
from libs.kit.deps import RuntimeDep, SessionDep
from libs.kit.errors import AppError, Conflict, NotFound, PayloadTooLarge
from libs.kit.pagination import Page, PageDep, keyset, page_of
from libs.kit.problems import PROBLEM_JSON, Problem
from services.referral.api.deps import CallerDep, CtxDep
from services.referral.persistence import webhooks as repo
from services.referral.persistence.tables import webhook_quarantine
from services.referral.settings import ReferralSettings
from services.referral.webhooks import intake, payload

router = APIRouter(tags=["webhooks 客服专线 / 急救网络"])
Sender = Annotated[str, Path(max_length=32,
                             description="发送方：hotline（客服专线 85356855）或 emergency（急救网络 85600965）")]
_BODY, _COMPONENTS = payload.openapi_body()


class WebhookResult(BaseModel):
    """``applied``: folded into the referral; ``quarantined`` (202): kept, waiting for the directory."""

    status: Literal["applied", "quarantined"]
    webhook_id: str
    referral_id: str
    referral_status: str | None = None
    quarantine_id: int | None = None
    reason_code: str | None = None
    reason: str | None = None
    waiting_for: list[str] | None = None


class QuarantineOut(BaseModel):
    id: int
    sender: str
    webhook_id: str
    event_type: str
    external_id: str
    alliance_id: str | None
    reason_code: str
    reason: str
    missing_refs: list[str]
    status: str
    attempts: int
    received_at: datetime
    resolved_at: datetime | None


def _problem(description: str) -> dict[str, Any]:
    return {"model": Problem, "content": {PROBLEM_JSON: {}}, "description": description}


@router.post(
    "/webhooks/{sender}", response_model=WebhookResult, summary="接收转诊事件（Standard Webhooks 签名）",
    description="Headers `webhook-id`, `webhook-timestamp` (±5 min), `webhook-signature` (`v1,<base64 HMAC-SHA256"
                " of id.timestamp.body>`, several during secret rotation). A repeated `webhook-id` returns the"
                " ORIGINAL result (header `webhook-replayed: true`); the same id with another body is refused (409)."
                " Events may come in any order. Unknown doctors / institutions → 202 quarantined, re-processed"
                " when the registry catches up.",
    openapi_extra={"requestBody": _BODY},
    responses={202: {"model": WebhookResult, "description": "已接收，等待目录同步（隔离区）"},
               401: _problem("签名缺失、无效、过期或重放"), 409: _problem("同一 webhook-id 内容不同"),
               413: _problem("请求体过大"), 415: _problem("不是 application/json"),
               422: _problem("字段不符合规则")})
async def receive_webhook(sender: Sender, request: Request, runtime: RuntimeDep) -> JSONResponse:
    settings: ReferralSettings = runtime.settings  # type: ignore[assignment]
    raw = b""
    try:
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > settings.webhook_max_body_bytes:
            raise PayloadTooLarge(f"webhook 请求体超过上限 {settings.webhook_max_body_bytes} 字节", field="body")
        raw = await request.body()
        result = await intake.receive(runtime, sender, raw, request.headers)
    except AppError as exc:
        await intake.record_refusal(runtime, sender, raw, request.headers, exc)
        raise
    return JSONResponse(result.body, status_code=result.status_code,
                        headers={"webhook-replayed": "true"} if result.replayed else None)


@router.get("/webhooks/quarantine", response_model=Page[QuarantineOut], summary="隔离区：待目录同步的事件")
async def list_quarantine(session: SessionDep, caller: CallerDep, page: PageDep,
                          status: Literal["open", "resolved"] = "open") -> Page[QuarantineOut]:
    scope = _scope(caller.principal, write=False)
    stmt = keyset(repo.listing(status).where(scope), page, webhook_quarantine.c.id)
    rows = (await session.execute(stmt)).mappings().all()
    listed = page_of(list(rows), page, lambda r: {"id": r["id"]})
    return Page(items=[QuarantineOut(**r) for r in listed.items], limit=listed.limit, next_cursor=listed.next_cursor)


@router.post("/webhooks/quarantine/{entry_id}/reprocess", response_model=WebhookResult,
             summary="重新处理隔离事件（目录已同步后）")
async def reprocess(session: SessionDep, ctx: CtxDep, caller: CallerDep,
                    entry_id: int = Path(ge=1, le=2**63 - 1)) -> JSONResponse:  # bigint: never a 500
    _scope(caller.principal, write=True)
    entry = await repo.quarantined(session, entry_id)
    if entry is None or not _in_scope(caller.principal, entry):
        raise NotFound("隔离事件不存在", field="entry_id")
    if entry["status"] != "open":
        raise Conflict("该隔离事件已处理", field="entry_id", current_status=entry["status"])
    result = await intake.reprocess(session, ctx, entry)
    return JSONResponse(result.body, status_code=result.status_code)


@router.get("/webhooks/refusals", summary="被拒绝的 webhook（安全审计：原因代码、摘要，不含正文）")
async def refusals(session: SessionDep, caller: CallerDep) -> list[dict[str, Any]]:
    caller.principal.require(Role.PLATFORM_ADMIN, Role.AUDITOR)
    return [dict(r) for r in await repo.refusals(session)]


def install_docs(app: FastAPI) -> None:
    """Add the webhook payload's component schemas to the app's OpenAPI document."""
    original = app.openapi

    def openapi() -> dict[str, Any]:
        document = original()
        document.setdefault("components", {}).setdefault("schemas", {}).update(_COMPONENTS)
        return document

    app.openapi = openapi  # type: ignore[method-assign]


def _scope(principal: Principal, *, write: bool) -> ColumnElement[bool]:
    """Platform admin: every entry; alliance office: its alliance's; auditor: read-only; anyone else: 403."""
    principal.require(Role.PLATFORM_ADMIN, Role.ALLIANCE_OFFICE, *(() if write else (Role.AUDITOR,)))
    if principal.role is Role.ALLIANCE_OFFICE:
        return webhook_quarantine.c.alliance_id == (principal.alliance_id or "")
    return true()


def _in_scope(principal: Principal, entry: repo.Row) -> bool:
    return principal.role is not Role.ALLIANCE_OFFICE or entry["alliance_id"] == principal.alliance_id
