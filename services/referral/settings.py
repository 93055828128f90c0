"""Settings of the referral service: environment variables prefixed `REFERRAL_` (e.g. `REFERRAL_DATABASE_URL`);
`DATABASE_URL` / `NATS_URL` are shared fallbacks."""

from __future__ import annotations

from libs.kit.settings import ServiceSettings, settings_config


class ReferralSettings(ServiceSettings):
    model_config = settings_config("REFERRAL_")

    service_name: str = "referral"
    db_schema: str = "referral"
