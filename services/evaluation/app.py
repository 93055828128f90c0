"""Composition root of the evaluation service: builds the runtime and the app. Nothing is built at import time."""

from __future__ import annotations

from fastapi import FastAPI

from libs.kit.app import create_service_app
from libs.kit.runtime import ServiceRuntime
from services.evaluation.persistence.tables import events
from services.evaluation.settings import EvaluationSettings


def create_app(settings: EvaluationSettings | None = None, runtime: ServiceRuntime | None = None) -> FastAPI:
    settings = settings or EvaluationSettings()
    runtime = runtime or ServiceRuntime(settings=settings, tables=events, consumer_specs=[])
    return create_service_app(runtime, title="evaluation", description="evaluation service", routers=[])
