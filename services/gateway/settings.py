"""Gateway settings: ``GATEWAY_`` prefix. Upstream URLs, timeouts, limits, token keys, WeChat login.

Unsafe defaults fail fast in production: HS256 and the dev key are for ``local``/``test`` only, a JWKS and an
asymmetric signing key are required, the WeChat client must be the real one with its appid and secret, and
the bindings / audit trail need a database.
"""

from __future__ import annotations

from typing import Literal

from pydantic import SecretStr, model_validator

from libs.kit.settings import ServiceSettings, settings_config

SERVICES = ("registry", "points", "referral", "evaluation")
DEV_ENVIRONMENTS = ("local", "test")
# Long enough for HS256 (RFC 7518 §3.2: key ≥ hash size); refused outside local/test anyway.
DEV_HS256_KEY = "dev-only-hs256-key-for-local-and-test-0123456789"


class GatewayDatabaseSettings(ServiceSettings):
    """What the migrations need (``GATEWAY_DATABASE_URL`` or ``DATABASE_URL``): a deploy job can migrate without
    the gateway's keys and WeChat secrets."""

    model_config = settings_config("GATEWAY_")

    service_name: str = "gateway"
    db_schema: str = "gateway"
    db_pool_size: int = 5


class GatewaySettings(GatewayDatabaseSettings):
    registry_url: str = "http://127.0.0.1:8101"
    points_url: str = "http://127.0.0.1:8102"
    referral_url: str = "http://127.0.0.1:8103"
    evaluation_url: str = "http://127.0.0.1:8104"
    upstream_timeout_seconds: float = 10.0
    connect_timeout_seconds: float = 2.0
    max_body_bytes: int = 10 * 1_048_576  # evidence files; JSON endpoints are limited by the services

    # ---- tokens --------------------------------------------------------------------------------
    jwt_issuer: str = "alliance-gateway"
    jwt_audience: str = "alliance-api"  # people: mini-program, web
    jwt_integration_audience: str = "alliance-integration"  # machines: hotline, transport systems
    jwt_leeway_seconds: int = 30
    jwks_file: str = ""  # trusted public keys (RS256 / EdDSA), a JWKS JSON file …
    jwks_url: str = ""  # … or a JWKS URL of an identity provider (cached)
    signing_key_file: str = ""  # PEM private key (RSA or Ed25519) of the tokens this gateway issues
    signing_key_id: str = "gateway-1"
    dev_hs256_key: SecretStr = SecretStr(DEV_HS256_KEY)
    token_ttl_seconds: int = 7200

    # ---- WeChat mini-program login -------------------------------------------------------------
    # fake: deterministic code → openid for dev/tests; real: api.weixin.qq.com jscode2session
    wechat_mode: Literal["fake", "real"] = "fake"
    wechat_appid: str = ""
    wechat_secret: SecretStr = SecretStr("")
    wechat_api_base: str = "https://api.weixin.qq.com"
    bind_code_ttl_hours: int = 72

    # ---- limits --------------------------------------------------------------------------------
    rate_limit_per_second: float = 20.0  # per client (token sub, else IP), per gateway replica
    rate_limit_burst: int = 60
    rate_limit_max_clients: int = 100_000  # memory bound: least recently seen clients are forgotten
    json_content_types: tuple[str, ...] = ("application/json", "multipart/form-data")

    # ---- security audit ------------------------------------------------------------------------
    audit_retention_days: int = 180  # MLPS 2.0 8.1.4.3: keep security audit records ≥ 6 months
    audit_flush_seconds: float = 0.5

    @property
    def is_dev(self) -> bool:
        return self.environment in DEV_ENVIRONMENTS

    def upstream(self, service: str) -> str:
        return str(getattr(self, f"{service}_url"))

    @model_validator(mode="after")
    def _production_needs_real_keys(self) -> GatewaySettings:
        if self.is_dev:
            return self
        problems = [message for failed, message in (
            (not (self.jwks_file or self.jwks_url), "GATEWAY_JWKS_FILE or GATEWAY_JWKS_URL is required"),
            (not self.signing_key_file, "GATEWAY_SIGNING_KEY_FILE is required (RS256/EdDSA)"),
            (self.wechat_mode != "real", "GATEWAY_WECHAT_MODE must be 'real'"),
            (not self.wechat_appid or not self.wechat_secret.get_secret_value(),
             "GATEWAY_WECHAT_APPID and GATEWAY_WECHAT_SECRET are required"),
            (not self.database_url, "GATEWAY_DATABASE_URL (or DATABASE_URL) is required"),
            (self.audit_retention_days < 180, "GATEWAY_AUDIT_RETENTION_DAYS must be at least 180"),
        ) if failed]
        if problems:
            raise ValueError(f"gateway ({self.environment}): " + "; ".join(problems))
        return self
