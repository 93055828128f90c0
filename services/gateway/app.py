"""Composition root of the gateway: one REST entry for the mini-program, the web, integrations, auditors."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, Response

from libs.kit.errors import NotFound
from libs.kit.logging import configure_logging
from libs.kit.middleware import BodyLimitMiddleware, RequestContextMiddleware
from libs.kit.problems import install_problem_handlers
from services.gateway.openapi import merged_openapi
from services.gateway.proxy import Upstreams
from services.gateway.settings import SERVICES, GatewaySettings


def create_app(settings: GatewaySettings | None = None) -> FastAPI:
    settings = settings or GatewaySettings()
    configure_logging("gateway", settings.log_level)
    upstreams = Upstreams({s: settings.upstream(s) for s in SERVICES},
                          timeout=settings.upstream_timeout_seconds, connect_timeout=settings.connect_timeout_seconds)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        await upstreams.close()

    app = FastAPI(title="专科联盟平台 Alliance platform API", version="1.0.0", lifespan=lifespan,
                  openapi_url=None, docs_url=None, redoc_url=None,
                  description="Registry and filing (备案), points ledger (积分), referrals (转诊) and evaluation (评价).")
    app.state.upstreams = upstreams
    install_problem_handlers(app)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(RequestContextMiddleware)

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

    @app.get("/openapi.json", include_in_schema=False)
    async def openapi() -> dict[str, Any]:
        return await merged_openapi(app.openapi(), upstreams.clients)

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url="/openapi.json", title="专科联盟平台 API")

    @app.api_route("/api/v1/{service}/{path:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
                   include_in_schema=False)
    async def route(service: str, path: str, request: Request) -> Response:
        if service not in upstreams.clients:
            raise NotFound(f"服务不存在：{service}", field="service")
        request_id = getattr(request.state, "request_id", "")
        return await upstreams.forward(service, path, request, {"x-request-id": request_id})

    return app
