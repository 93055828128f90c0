"""Composition root of the referral service: builds the runtime and the app. Nothing is built at import time."""

from __future__ import annotations

from fastapi import FastAPI

from libs.kit.app import create_service_app
from libs.kit.idempotency import install_idempotency
from libs.kit.runtime import ServiceRuntime
from services.referral.api import consults, oversight, patients, referrals, slots, standards, webhooks
from services.referral.consumers.registry import registry_consumer
from services.referral.context import KEYS
from services.referral.persistence.tables import events
from services.referral.settings import ReferralSettings, load_keys

DESCRIPTION = """转诊服务：双向转诊（联盟平台电子住院证、客服专线 85356855、急救网络 85600965、预留号源）、绿色通道、
预留号源预约、远程会诊（含临床药师、远程心电、远程影像）与结果互认、转诊标准、转诊档案。

Patients are referred to only by a keyed pseudonym (`patient_ref`) outside the two institutions of a referral.
Events: `alliance.referral.*` (see libs/events/schemas/referral.py)."""


def create_app(settings: ReferralSettings | None = None, runtime: ServiceRuntime | None = None) -> FastAPI:
    settings = settings or ReferralSettings()
    keys = load_keys(settings)  # fails the start on a malformed or missing secret
    if runtime is None:
        runtime = ServiceRuntime(settings=settings, tables=events)
        runtime.consumer_specs = [registry_consumer(runtime)]
    runtime.extras[KEYS] = keys
    app = create_service_app(runtime, title="referral", description=DESCRIPTION, routers=[
        webhooks.router, referrals.router, slots.router, consults.router, standards.router, patients.router,
        oversight.router])
    install_idempotency(app)
    webhooks.install_docs(app)
    return app
