"""Settings per service, one pattern: pydantic-settings with an env prefix (``POINTS_``, ``REFERRAL_`` …).

Shared fallbacks: ``DATABASE_URL`` and ``NATS_URL`` apply to every service unless a per-service variable
(``POINTS_DATABASE_URL``) overrides them. Unsafe defaults fail fast outside local development.

Secrets from files (Docker / Kubernetes secrets), one pattern: ``<VAR>_FILE=/run/secrets/x`` supplies ``<VAR>``
from that file for every setting (``POINTS_DATABASE_URL_FILE``, ``DATABASE_URL_FILE``, ``REFERRAL_PATIENT_KEY_FILE``
…) and for the process-wide ``INTERNAL_AUTH_KEY``. A variable set directly wins over its ``_FILE``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import model_validator
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, EnvSettingsSource, PydanticBaseSettingsSource, SettingsConfigDict

DEV_SECRET = "dev-only-change-me"
FILE_SUFFIX = "_FILE"
# Read with os.environ outside the settings classes (libs.auth): exported from their _FILE at settings load.
PROCESS_WIDE_SECRETS = ("INTERNAL_AUTH_KEY",)


def read_secret_file(path: str) -> str:
    """A secret file's content without the trailing newline editors and ``echo`` add."""
    return Path(path).read_text(encoding="utf-8").rstrip("\r\n")


def env_or_file(name: str, environ: Mapping[str, str] | None = None) -> str | None:
    """``NAME`` if set, else the content of the file named by ``NAME_FILE``, else None."""
    environ = os.environ if environ is None else environ
    if environ.get(name):
        return environ[name]
    path = environ.get(name + FILE_SUFFIX)
    return read_secret_file(path) if path else None


def _export_process_wide_secrets() -> None:
    for name in PROCESS_WIDE_SECRETS:
        if not os.environ.get(name) and os.environ.get(name + FILE_SUFFIX):
            os.environ[name] = read_secret_file(os.environ[name + FILE_SUFFIX])


class _SecretFileSource(EnvSettingsSource):
    """Env source over ``<PREFIX><FIELD>_FILE`` variables: the value is the named file's content."""

    def _load_env_vars(self) -> Mapping[str, str | None]:
        env = super()._load_env_vars()
        cut = len(FILE_SUFFIX)
        return {key[:-cut]: path for key, path in env.items() if key.upper().endswith(FILE_SUFFIX) and path}

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        path, key, is_complex = super().get_field_value(field, field_name)
        return (read_secret_file(path) if path else None), key, is_complex


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
    # Bodies other than multipart uploads (JSON): a service raising max_body_bytes for files keeps this.
    max_json_body_bytes: int = 1_048_576
    log_level: str = "INFO"
    # JetStream replicas of the streams this service creates (3 on a clustered JetStream, see deploy/).
    stream_replicas: int = 1
    # A keyed-HMAC key for pseudonyms in logs and events; production must set its own.
    pseudonym_key: str = DEV_SECRET

    @classmethod
    def settings_customise_sources(cls, settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource,
                                   env_settings: PydanticBaseSettingsSource,
                                   dotenv_settings: PydanticBaseSettingsSource,
                                   file_secret_settings: PydanticBaseSettingsSource,
                                   ) -> tuple[PydanticBaseSettingsSource, ...]:
        return init_settings, env_settings, _SecretFileSource(settings_cls), dotenv_settings, file_secret_settings

    @model_validator(mode="before")
    @classmethod
    def _shared_fallbacks(cls, data: Any) -> Any:
        _export_process_wide_secrets()
        if isinstance(data, dict):
            for key, env in (("database_url", "DATABASE_URL"), ("nats_url", "NATS_URL")):
                if not data.get(key):
                    value = env_or_file(env)
                    if value:
                        data[key] = value
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
    def nats_servers(self) -> list[str]:
        """``NATS_URL`` may list a cluster's seed servers, comma-separated (``nats://n1:4222,nats://n2:4222``)."""
        return [url.strip() for url in self.nats_url.split(",") if url.strip()]

    @property
    def asyncpg_dsn(self) -> str:
        """The URL in plain libpq/asyncpg form."""
        return self.async_database_url.replace("postgresql+asyncpg://", "postgresql://", 1)


def settings_config(prefix: str) -> SettingsConfigDict:
    return SettingsConfigDict(env_prefix=prefix, extra="ignore", frozen=True)


def service_env_settings(service: str) -> ServiceSettings:
    """A service's base settings from its ``<SERVICE>_`` variables, for ops tools that must not import the service."""

    class _Settings(ServiceSettings):
        model_config = settings_config(f"{service.upper()}_")

    settings = _Settings()
    return settings.model_copy(update={"service_name": service, "db_schema": settings.db_schema or service})
