"""The one door: rate limit, bearer token, route policy, audit — in that order, for every /api/v1 request.

Failed authentications are charged to the client IP before anything else, so guessing tokens is throttled like
any other burst. A verified token is charged to its ``sub``.
"""

from __future__ import annotations

from starlette.requests import Request

from libs.auth.principal import Principal, Role
from libs.kit.errors import Forbidden
from services.gateway.audit import SecurityAudit
from services.gateway.auth.errors import TokenRejected
from services.gateway.auth.policy import Access
from services.gateway.auth.tokens import TokenVerifier, VerifiedToken
from services.gateway.ratelimit import RateLimiter


class Gate:
    def __init__(self, verifier: TokenVerifier, limiter: RateLimiter, audit: SecurityAudit) -> None:
        self._verifier, self._limiter, self._audit = verifier, limiter, audit

    async def admit(self, request: Request, access: Access) -> Principal | None:
        """The principal to forward (None on public routes); raises 401 / 403 / 429 problem errors."""
        if access is Access.PUBLIC:
            self._limiter.check(_ip_key(request))
            return None
        token = bearer_token(request)
        try:
            if token is None:
                raise TokenRejected("missing")
            verified = await self._verifier.verify(token)
        except TokenRejected as exc:
            self._audit.record(request, "authn.token", "failure", reason=exc.code, status=401)
            self._limiter.check(_ip_key(request))
            raise
        self._limiter.check("sub:" + verified.principal.sub)
        self._audit.token_accepted(request, token, verified.principal)
        self._authorize(request, verified, access)
        return verified.principal

    def _authorize(self, request: Request, verified: VerifiedToken, access: Access) -> None:
        if access is Access.INTEGRATION and not verified.integration:
            # A person's token replayed against a machine route: the token is not for this audience (401).
            self._audit.record(request, "authz.route", "denied", reason="wrong_audience",
                               principal=verified.principal, status=401)
            raise TokenRejected("wrong_audience")
        if access is Access.ADMIN and not (verified.principal.role is Role.PLATFORM_ADMIN or (
                verified.principal.role is Role.AUDITOR and request.method == "GET")):
            self._audit.record(request, "authz.route", "denied", reason="admin_route", principal=verified.principal,
                               status=403)
            raise Forbidden("运维接口仅限平台运维人员（审计员只读）", field="path", code="admin_route")
        if access is Access.USER and verified.integration:
            self._audit.record(request, "authz.route", "denied", reason="integration_on_user_route",
                               principal=verified.principal, status=403)
            raise Forbidden("集成系统令牌不能访问用户接口", field="header.authorization",
                            code="integration_on_user_route")

    def require(self, request: Request, principal: Principal, *roles: Role) -> None:
        """Function-level check for the gateway's own routes, audited when it denies."""
        if principal.role not in roles:
            self._audit.record(request, "authz.role", "denied", reason="role", principal=principal, status=403)
            raise Forbidden(f"角色 {principal.role.value} 无权执行此操作", field="role")

    def deny(self, request: Request, principal: Principal, reason: str, detail: str) -> Forbidden:
        self._audit.record(request, "authz.scope", "denied", reason=reason, principal=principal, status=403)
        return Forbidden(detail, code=reason)


def bearer_token(request: Request) -> str | None:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    return (value.strip() or None) if scheme.lower() == "bearer" else None


def _ip_key(request: Request) -> str:
    return "ip:" + (request.client.host if request.client else "unknown")
