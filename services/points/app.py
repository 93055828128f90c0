"""Composition root of the points service: builds the runtime and the app. Nothing is built at import time."""

from __future__ import annotations

from fastapi import FastAPI

from libs.kit.app import create_service_app
from libs.kit.runtime import ServiceRuntime
from services.points.persistence.tables import events
from services.points.settings import PointsSettings


def create_app(settings: PointsSettings | None = None, runtime: ServiceRuntime | None = None) -> FastAPI:
    settings = settings or PointsSettings()
    runtime = runtime or ServiceRuntime(settings=settings, tables=events, consumer_specs=[])
    return create_service_app(runtime, title="points", description="points service", routers=[])
