"""The service template: one ``create_service_app`` used by every service's composition root.

It wires the runtime into the lifespan, installs the single problem+json handler, the request-id and
body-limit middleware, ``/health`` (liveness), ``/ready`` (database and NATS reachable), ``/metrics``
(Prometheus), a tracing span per request, the dead-letter admin routes and ``/admin/reconcile``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.responses import JSONResponse, Response

from libs.events.reconcile import reconcile_router
from libs.kit.dead_letters import dead_letter_router
from libs.kit.deps import RuntimeDep
from libs.kit.idempotency import install_idempotency
from libs.kit.logging import configure_logging
from libs.kit.metrics import MetricsMiddleware, metrics_response, refresh_runtime_gauges
from libs.kit.middleware import BodyLimitMiddleware, RequestContextMiddleware
from libs.kit.problems import PROBLEM_RESPONSES, install_problem_handlers
from libs.kit.runtime import ServiceRuntime
from libs.kit.tracing import FASTAPI_TELEMETRY, configure_tracing


def create_service_app(runtime: ServiceRuntime, *, title: str, description: str, version: str = "1.0.0",
                       routers: Sequence[APIRouter] = (), configure_logs: bool = True) -> FastAPI:
    settings = runtime.settings
    if configure_logs:
        configure_logging(settings.service_name, settings.log_level)
    configure_tracing(settings.service_name)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await runtime.start()
        try:
            yield
        finally:
            await runtime.stop()

    app = FastAPI(title=title, description=description, version=version, lifespan=lifespan,
                  responses=PROBLEM_RESPONSES, telemetry=FASTAPI_TELEMETRY)
    app.state.runtime = runtime
    install_problem_handlers(app)
    install_idempotency(app)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes,
                       max_json_bytes=settings.max_json_body_bytes)
    app.add_middleware(RequestContextMiddleware)
    app.add_middleware(MetricsMiddleware, service=settings.service_name)
    app.include_router(_ops_router())
    app.include_router(dead_letter_router())
    app.include_router(reconcile_router())
    for router in routers:
        app.include_router(router)
    return app


def _ops_router() -> APIRouter:
    router = APIRouter(tags=["ops"])

    @router.get("/health", summary="存活检查 liveness")
    async def health(runtime: RuntimeDep) -> dict[str, Any]:
        return {"status": "ok", "service": runtime.settings.service_name}

    @router.get("/ready", summary="就绪检查 readiness: database and NATS reachable")
    async def ready(runtime: RuntimeDep) -> JSONResponse:
        checks = await runtime.readiness()
        ok = all(v == "ok" for v in checks.values())
        return JSONResponse({"status": "ok" if ok else "unavailable", "checks": checks},
                            status_code=200 if ok else 503)

    @router.get("/metrics", include_in_schema=False)
    async def metrics(runtime: RuntimeDep) -> Response:
        await refresh_runtime_gauges(runtime)
        return metrics_response()

    return router
