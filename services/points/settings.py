"""Settings of the points service: environment variables prefixed `POINTS_` (e.g. `POINTS_DATABASE_URL`);
`DATABASE_URL` / `NATS_URL` are shared fallbacks.

The checkpoint signing key (Ed25519, 签名检查点): ``POINTS_SIGNING_KEY_PEM`` (PKCS#8 PEM text) or
``POINTS_SIGNING_KEY_FILE`` (a path to it). In ``local``/``test`` a missing key is generated once and kept in
the database (table ``dev_signing_key``); anywhere else a missing key fails fast at start.
"""

from __future__ import annotations

from pydantic import model_validator

from libs.kit.settings import ServiceSettings, settings_config

DEV_ENVIRONMENTS = ("local", "test")


class PointsSettings(ServiceSettings):
    model_config = settings_config("POINTS_")

    service_name: str = "points"
    db_schema: str = "points"
    # The service runs its SQL as this non-owner role (asyncpg server_settings "role"): it may INSERT into
    # the ledger but never UPDATE, DELETE or TRUNCATE it. Empty = stay the login role (not recommended).
    app_role: str = "points_app"
    signing_key_pem: str = ""
    signing_key_file: str = ""
    # A signed checkpoint every N ledger entries (N = this).
    checkpoint_every: int = 1000
    # The 积分方案 in force (its version is chosen by the activity's business date).
    scheme_id: str = "hunan-peds-club-2024"
    bulk_batch: int = 10_000
    # Worker processes of a rebuild / replay scan of a big ledger (0 = one per core, at most 8; 1 = in-process).
    rebuild_jobs: int = 0
    # Claims arrive as multipart bodies with their evidence (each file ≤ 10 MB, like the gateway's body limit):
    # room for one full-size file plus the form envelope. JSON bodies stay small by their models' bounds.
    max_body_bytes: int = 11 * 1_048_576
    claim_max_files: int = 10
    # Where members reach this service (the gateway's prefix): evidence links in statement exports.
    public_base_url: str = "/api/v1/points"

    @model_validator(mode="after")
    def _signing_key_required(self) -> PointsSettings:
        if self.environment not in DEV_ENVIRONMENTS and not (self.signing_key_pem or self.signing_key_file):
            raise ValueError("points: POINTS_SIGNING_KEY_PEM or POINTS_SIGNING_KEY_FILE must be set outside "
                             "local/test (the ledger's checkpoints are signed with it)")
        if self.checkpoint_every < 1:
            raise ValueError("points: checkpoint_every must be positive")
        return self

    @property
    def generates_dev_key(self) -> bool:
        return not (self.signing_key_pem or self.signing_key_file) and self.environment in DEV_ENVIRONMENTS
