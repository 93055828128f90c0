"""Gateway settings: ``GATEWAY_`` prefix. Upstream URLs of the services, timeouts, limits."""

from __future__ import annotations

from pydantic_settings import BaseSettings

from libs.kit.settings import settings_config

SERVICES = ("registry", "points", "referral", "evaluation")


class GatewaySettings(BaseSettings):
    model_config = settings_config("GATEWAY_")

    registry_url: str = "http://127.0.0.1:8101"
    points_url: str = "http://127.0.0.1:8102"
    referral_url: str = "http://127.0.0.1:8103"
    evaluation_url: str = "http://127.0.0.1:8104"
    upstream_timeout_seconds: float = 10.0
    connect_timeout_seconds: float = 2.0
    max_body_bytes: int = 10 * 1_048_576  # evidence files; JSON endpoints are limited by the services
    log_level: str = "INFO"

    def upstream(self, service: str) -> str:
        return str(getattr(self, f"{service}_url"))
