"""Composition root of the referral service: builds the runtime and the app. Nothing is built at import time."""

from __future__ import annotations

from fastapi import FastAPI

from libs.kit.app import create_service_app
from libs.kit.runtime import ServiceRuntime
from services.referral.persistence.tables import events
from services.referral.settings import ReferralSettings


def create_app(settings: ReferralSettings | None = None, runtime: ServiceRuntime | None = None) -> FastAPI:
    settings = settings or ReferralSettings()
    runtime = runtime or ServiceRuntime(settings=settings, tables=events, consumer_specs=[])
    return create_service_app(runtime, title="referral", description="referral service", routers=[])
