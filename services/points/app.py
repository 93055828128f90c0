"""Composition root of the points service: builds the runtime and the app. Nothing is built at import time."""

from __future__ import annotations

from fastapi import FastAPI

from libs.kit.app import create_service_app
from libs.kit.idempotency import install_idempotency
from libs.kit.runtime import ServiceRuntime
from services.points.api import audit, awards, claims, leaderboards, members, redemptions, years
from services.points.consumers import consumer_specs
from services.points.persistence.tables import events
from services.points.runtime import PointsRuntime
from services.points.settings import PointsSettings

DESCRIPTION = """积分服务 (points): the append-only, hash-chained 积分 ledger of the Hunan pediatric alliance
doctors' club — direct awards computed from the scheme, claims with evidence (积分申报) reviewed by the office,
reversals and adjustments, the redemption catalog and redemptions, statements with CSV/XLSX export, year close
(集体积分), leaderboards, and the auditor's export / verify / replay / rebuild endpoints."""


def create_app(settings: PointsSettings | None = None, runtime: ServiceRuntime | None = None) -> FastAPI:
    settings = settings or PointsSettings()
    if runtime is None:
        points = PointsRuntime(settings=settings, tables=events)
        points.consumer_specs = consumer_specs(points)
        runtime = points
    app = create_service_app(runtime, title="points", description=DESCRIPTION, routers=[
        awards.router, claims.router, members.router, redemptions.router, years.router, leaderboards.router,
        audit.router])
    install_idempotency(app)
    return app
