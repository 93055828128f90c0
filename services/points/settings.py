"""Settings of the points service: environment variables prefixed `POINTS_` (e.g. `POINTS_DATABASE_URL`);
`DATABASE_URL` / `NATS_URL` are shared fallbacks."""

from __future__ import annotations

from libs.kit.settings import ServiceSettings, settings_config


class PointsSettings(ServiceSettings):
    model_config = settings_config("POINTS_")

    service_name: str = "points"
    db_schema: str = "points"
