"""Composition root of the registry service: builds the runtime and the app. Nothing is built at import time."""

from __future__ import annotations

from fastapi import FastAPI

from libs.kit.app import create_service_app
from libs.kit.runtime import ServiceRuntime
from services.registry.persistence.tables import events
from services.registry.settings import RegistrySettings


def create_app(settings: RegistrySettings | None = None, runtime: ServiceRuntime | None = None) -> FastAPI:
    settings = settings or RegistrySettings()
    runtime = runtime or ServiceRuntime(settings=settings, tables=events, consumer_specs=[])
    return create_service_app(runtime, title="registry", description="registry service", routers=[])
