"""Settings of the registry service: environment variables prefixed `REGISTRY_` (e.g. `REGISTRY_DATABASE_URL`);
`DATABASE_URL` / `NATS_URL` are shared fallbacks."""

from __future__ import annotations

from libs.kit.settings import DEV_SECRET, ServiceSettings, settings_config


class RegistrySettings(ServiceSettings):
    model_config = settings_config("REGISTRY_")

    service_name: str = "registry"
    db_schema: str = "registry"
    # Imports (≤ 10 MB, see imports.readers) and documents arrive as multipart bodies: room for the envelope.
    max_body_bytes: int = 11 * 1_048_576
    document_max_bytes: int = 8 * 1_048_576
    # Keyed HMAC of 居民身份证号码: uniqueness without keeping the number. Production must set its own key.
    resident_id_key: str = DEV_SECRET
    expiring_horizon_days: int = 90
