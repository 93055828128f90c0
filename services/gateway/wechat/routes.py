"""``/api/v1/auth/wechat/*``: the gateway's own routes for the mini-program login.

- ``POST /login {code}`` (public): ``wx.login()`` code → platform JWT of the bound doctor, or 401
  ``wechat_not_bound``;
- ``POST /bind {code, doctor_id, bind_code}`` (public): binds the WeChat account with a one-time bind code
  (with a fresh ``wx.login()`` code: WeChat codes are single-use) and returns the JWT;
- ``POST /bind-codes {doctor_id, institution_id?, alliance_id?}`` (unit_admin of that institution,
  alliance_office of that alliance, platform_admin): issues a one-time bind code for a doctor.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field

from libs.auth.principal import Principal, Role
from libs.kit.errors import AppError
from libs.kit.problems import PROBLEM_RESPONSES
from services.gateway.auth.policy import Access
from services.gateway.content import require_json
from services.gateway.wechat.bindings import Binding
from services.gateway.wiring import Gateway, GatewayDep, get_gateway

_ID_PATTERN = r"^[A-Za-z0-9_.:-]+$"
_ID = Field(min_length=1, max_length=64, pattern=_ID_PATTERN)
_OPTIONAL_ID = Field(None, min_length=1, max_length=64, pattern=_ID_PATTERN)


def _json_only(request: Request, gateway: Gateway = Depends(get_gateway)) -> None:
    require_json(request, gateway.settings.json_content_types)


router = APIRouter(prefix="/api/v1/auth/wechat", tags=["auth"], dependencies=[Depends(_json_only)],
                   responses={**PROBLEM_RESPONSES, 415: PROBLEM_RESPONSES[400] | {"description": "不支持的内容类型"}})


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LoginIn(_In):
    code: str = Field(min_length=1, max_length=128, description="wx.login() 返回的 code")


class BindIn(LoginIn):
    doctor_id: str = _ID
    bind_code: str = Field(min_length=8, max_length=20, description="单位发放的一次性绑定码")


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "Bearer"
    expires_in: int
    doctor_id: str


class BindCodeIn(_In):
    doctor_id: str = _ID
    institution_id: str | None = _OPTIONAL_ID
    alliance_id: str | None = _OPTIONAL_ID


class BindCodeOut(BaseModel):
    bind_code: str
    expires_at: datetime


@contextmanager
def _audited(gateway: Gateway, request: Request, event: str) -> Iterator[None]:
    try:
        yield
    except AppError as exc:
        gateway.audit.record(request, event, "failure", reason=str(exc.extra.get("code") or exc.slug),
                             status=exc.status)
        raise


@router.post("/login", response_model=TokenOut, summary="微信小程序登录", openapi_extra={"security": []})
async def login(body: LoginIn, request: Request, gateway: GatewayDep) -> TokenOut:
    await gateway.gate.admit(request, Access.PUBLIC)
    with _audited(gateway, request, "authn.wechat_login"):
        issued = await gateway.wechat.login(body.code)
    gateway.audit.record(request, "authn.wechat_login", "success", principal=issued.principal, status=200)
    return TokenOut(access_token=issued.access_token, expires_in=issued.expires_in, doctor_id=issued.principal.sub)


@router.post("/bind", response_model=TokenOut, summary="绑定微信账号与医师", openapi_extra={"security": []})
async def bind(body: BindIn, request: Request, gateway: GatewayDep) -> TokenOut:
    await gateway.gate.admit(request, Access.PUBLIC)
    with _audited(gateway, request, "authn.wechat_bind"):
        issued = await gateway.wechat.bind(body.code, body.doctor_id, body.bind_code)
    gateway.audit.record(request, "authn.wechat_bind", "success", principal=issued.principal, status=200)
    return TokenOut(access_token=issued.access_token, expires_in=issued.expires_in, doctor_id=issued.principal.sub)


@router.post("/bind-codes", response_model=BindCodeOut, status_code=201, summary="为医师发放一次性绑定码")
async def issue_bind_code(body: BindCodeIn, request: Request, gateway: GatewayDep) -> BindCodeOut:
    principal = await gateway.gate.admit(request, Access.USER)
    assert principal is not None
    gateway.gate.require(request, principal, Role.UNIT_ADMIN, Role.ALLIANCE_OFFICE, Role.PLATFORM_ADMIN)
    binding = _scoped_binding(gateway, request, principal, body)
    issued = await gateway.wechat.issue_code(binding, principal)
    gateway.audit.record(request, "admin.bind_code", "success", principal=principal, status=201)
    return BindCodeOut(bind_code=issued.code, expires_at=issued.expires_at)


def _scoped_binding(gateway: Gateway, request: Request, principal: Principal, body: BindCodeIn) -> Binding:
    """A unit admin issues for its own institution (and alliance), the alliance office for its own alliance."""
    if principal.is_(Role.PLATFORM_ADMIN):
        return Binding(body.doctor_id, body.alliance_id, body.institution_id)
    alliance = body.alliance_id or principal.alliance_id
    if alliance != principal.alliance_id:
        raise gateway.gate.deny(request, principal, "other_alliance", "只能为本联盟医师发放绑定码")
    institution = body.institution_id
    if principal.is_(Role.UNIT_ADMIN):
        institution = institution or principal.institution_id
        if institution != principal.institution_id:
            raise gateway.gate.deny(request, principal, "other_institution", "只能为本单位医师发放绑定码")
    return Binding(body.doctor_id, alliance, institution)
