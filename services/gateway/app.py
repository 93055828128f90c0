"""Composition root of the gateway: one REST entry for the mini-program, the web, integrations, auditors.

Every ``/api/v1/<service>/...`` request passes the gate (rate limit, bearer JWT, route policy, audit), then is
forwarded with the signed internal principal; the gateway's own routes are the WeChat login under
``/api/v1/auth/wechat``.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, Response

from libs.auth.deps import internal_auth_key
from libs.auth.principal import sign_principal
from libs.kit.clock import Clock
from libs.kit.errors import NotFound
from libs.kit.logging import configure_logging
from libs.kit.metrics import MetricsMiddleware, metrics_response
from libs.kit.middleware import BodyLimitMiddleware, RequestContextMiddleware
from libs.kit.problems import install_problem_handlers
from libs.kit.tracing import FASTAPI_TELEMETRY, configure_tracing, inject_headers
from services.gateway.auth.policy import Access, audited_action, check_path, classify
from services.gateway.content import require_json
from services.gateway.openapi import merged_openapi
from services.gateway.settings import GatewaySettings
from services.gateway.wechat.code2session import Code2Session
from services.gateway.wechat.routes import router as wechat_router
from services.gateway.wiring import Gateway, build

PROXIED_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]
DESCRIPTION = "Registry and filing (备案), points ledger (积分), referrals (转诊) and evaluation (评价)."


def create_app(settings: GatewaySettings | None = None, *, clock: Clock | None = None,
               code2session: Code2Session | None = None) -> FastAPI:
    settings = settings or GatewaySettings()
    configure_logging("gateway", settings.log_level)
    configure_tracing("gateway")
    gateway = build(settings, clock=clock, code2session=code2session)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        flusher = asyncio.create_task(gateway.audit.run(), name="security-audit")
        try:
            yield
        finally:
            flusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await flusher
            await gateway.close()

    app = FastAPI(title="专科联盟平台 Alliance platform API", version="1.0.0", lifespan=lifespan,
                  openapi_url=None, docs_url=None, redoc_url=None, description=DESCRIPTION, telemetry=FASTAPI_TELEMETRY)
    app.state.gateway = gateway
    app.state.upstreams = gateway.upstreams
    install_problem_handlers(app)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(RequestContextMiddleware)
    app.add_middleware(MetricsMiddleware, service="gateway")
    _ops_routes(app, gateway)
    app.include_router(wechat_router)
    _proxy_route(app, gateway)
    return app


def _ops_routes(app: FastAPI, gateway: Gateway) -> None:
    upstreams = gateway.upstreams

    @app.get("/health", include_in_schema=False)
    async def health() -> dict[str, str]:
        return {"status": "ok", "service": "gateway"}

    @app.get("/ready", include_in_schema=False)
    async def ready() -> JSONResponse:
        checks = {}
        for name, client in upstreams.clients.items():
            try:
                checks[name] = "ok" if (await client.get("/ready", timeout=2.0)).status_code == 200 else "not ready"
            except Exception as exc:  # readiness reports, it does not raise
                checks[name] = f"error: {type(exc).__name__}"
        ok = all(v == "ok" for v in checks.values())
        return JSONResponse({"status": "ok" if ok else "unavailable", "checks": checks}, status_code=200 if ok else 503)

    @app.get("/metrics", include_in_schema=False)
    async def metrics() -> Response:
        return metrics_response()

    @app.get("/openapi.json", include_in_schema=False)
    async def openapi() -> dict[str, Any]:
        return await merged_openapi(app.openapi(), upstreams.clients)

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url="/openapi.json", title="专科联盟平台 API")


def _proxy_route(app: FastAPI, gateway: Gateway) -> None:
    settings, upstreams = gateway.settings, gateway.upstreams

    @app.api_route("/api/v1/{service}/{path:path}", methods=PROXIED_METHODS, include_in_schema=False)
    async def route(service: str, path: str, request: Request) -> Response:
        if service not in upstreams.clients:
            raise NotFound(f"服务不存在：{service}", field="service")
        check_path(path)
        access = classify(service, path)
        principal = await gateway.gate.admit(request, access)
        if access is not Access.PUBLIC:
            require_json(request, settings.json_content_types)
        headers = inject_headers({"x-request-id": getattr(request.state, "request_id", "")})  # + traceparent
        if principal is not None:
            headers.update(sign_principal(principal, internal_auth_key()))
        response = await upstreams.forward(service, path, request, headers)
        if response.status_code in (401, 403):
            # The services decide object-level access; their refusals belong in the same audit trail.
            gateway.audit.record(request, "authz.service", "denied", reason=service, principal=principal,
                                 status=response.status_code)
        else:
            action = audited_action(access, request.method, path, request.query_params.get("format"),
                                    principal.role.value if principal else None)
            if action is not None:  # operator routes, exports, administrative writes: who, when, what, result
                gateway.audit.record(request, action, "success" if response.status_code < 400 else "failure",
                                     reason=service, principal=principal, status=response.status_code)
        return response
