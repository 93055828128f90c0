"""Settings of the registry service: environment variables prefixed `REGISTRY_` (e.g. `REGISTRY_DATABASE_URL`);
`DATABASE_URL` / `NATS_URL` are shared fallbacks."""

from __future__ import annotations

from libs.kit.settings import ServiceSettings, settings_config


class RegistrySettings(ServiceSettings):
    model_config = settings_config("REGISTRY_")

    service_name: str = "registry"
    db_schema: str = "registry"
