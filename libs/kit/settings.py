"""Settings per service, one pattern: pydantic-settings with an env prefix (``POINTS_``, ``REFERRAL_`` …).

Shared fallbacks: ``DATABASE_URL`` and ``NATS_URL`` apply to every service unless a per-service variable
(``POINTS_DATABASE_URL``) overrides them. Unsafe defaults fail fast outside local development.
"""

from __future__ import annotations

import os
from typing import Any

from pydantic import model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_SECRET = "dev-only-change-me"


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    service_name: str = "service"
    environment: str = "local"  # local | test | production
    database_url: str = ""
    nats_url: str = ""
    # Test isolation: every subject and stream name gets this prefix (e.g. "t3f2a.").
    events_namespace: str = ""
    db_schema: str = ""
    db_pool_size: int = 10
    relay_batch: int = 500
    relay_poll_seconds: float = 1.0
    consumer_max_deliver: int = 5
    consumer_ack_wait_seconds: float = 30.0
    max_body_bytes: int = 1_048_576
    log_level: str = "INFO"
    # A keyed-HMAC key for pseudonyms in logs and events; production must set its own.
    pseudonym_key: str = DEV_SECRET

    @model_validator(mode="before")
    @classmethod
    def _shared_fallbacks(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for key, env in (("database_url", "DATABASE_URL"), ("nats_url", "NATS_URL")):
                if not data.get(key) and os.environ.get(env):
                    data[key] = os.environ[env]
        return data

    @model_validator(mode="after")
    def _enforce_non_default_secrets(self) -> ServiceSettings:
        if self.environment == "production":
            for name, value in self.model_dump().items():
                if isinstance(value, str) and value == DEV_SECRET:
                    raise ValueError(f"{self.service_name}: setting {name!r} must be set in production")
        return self

    @property
    def async_database_url(self) -> str:
        """The URL in SQLAlchemy's asyncpg form."""
        url = self.database_url
        for prefix in ("postgresql+asyncpg://", "postgresql://", "postgres://"):
            if url.startswith(prefix):
                return "postgresql+asyncpg://" + url[len(prefix):]
        return url

    @property
    def asyncpg_dsn(self) -> str:
        """The URL in plain libpq/asyncpg form."""
        return self.async_database_url.replace("postgresql+asyncpg://", "postgresql://", 1)


def settings_config(prefix: str) -> SettingsConfigDict:
    return SettingsConfigDict(env_prefix=prefix, extra="ignore", frozen=True)
