"""Composition root of the registry service: builds the runtime and the app. Nothing is built at import time."""

from __future__ import annotations

from fastapi import FastAPI

from libs.kit.app import create_service_app
from libs.kit.idempotency import install_idempotency
from libs.kit.runtime import ServiceRuntime
from services.registry.api import alliances, council, doctors, documents, imports, institutions, lifecycle, plaques
from services.registry.consumers.evaluation import evaluation_consumer
from services.registry.persistence.tables import events
from services.registry.settings import RegistrySettings

DESCRIPTION = """专科联盟登记与备案 registry: 机构 (USCC, GB/T 2260), 专科联盟 and its 备案 lifecycle
(draft → submitted → approved / returned → preparing → operating → renewed / renamed / merged / dissolved),
成员单位, 理事会, 备案材料, 标牌 (SVG/PDF), 医师 and 职务, CSV/XLSX imports. Every change is published as an event."""


def create_app(settings: RegistrySettings | None = None, runtime: ServiceRuntime | None = None) -> FastAPI:
    settings = settings or RegistrySettings()
    runtime = runtime or ServiceRuntime(settings=settings, tables=events)
    if not runtime.consumer_specs:
        runtime.consumer_specs = [evaluation_consumer(runtime)]
    app = create_service_app(runtime, title="registry 登记备案", description=DESCRIPTION, routers=[
        institutions.router, alliances.router, lifecycle.router, documents.router, council.router,
        plaques.router, doctors.router, imports.router])
    install_idempotency(app)
    return app
