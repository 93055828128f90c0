"""Settings of the evaluation service: environment variables prefixed `EVALUATION_` (e.g. `EVALUATION_DATABASE_URL`);
`DATABASE_URL` / `NATS_URL` are shared fallbacks."""

from __future__ import annotations

from libs.kit.settings import ServiceSettings, settings_config


class EvaluationSettings(ServiceSettings):
    model_config = settings_config("EVALUATION_")

    service_name: str = "evaluation"
    db_schema: str = "evaluation"
