"""Settings of the referral service: environment variables prefixed `REFERRAL_` (e.g. `REFERRAL_DATABASE_URL`);
`DATABASE_URL` / `NATS_URL` are shared fallbacks.

Secrets (dev defaults are used ONLY when ``environment`` is ``local`` or ``test``; anywhere else an unset
secret fails fast at start):
- ``REFERRAL_WEBHOOK_SECRETS``: JSON ``{"hotline": ["whsec_…"], "emergency": ["whsec_…", "whsec_old…"]}``;
  several secrets per sender during rotation (any one verifies).
- ``REFERRAL_PATIENT_KEY``: AES-256 key(s) for patient fields, base64 of 32 bytes; a comma-separated list
  during rotation, the FIRST one encrypts, all of them decrypt.
- ``REFERRAL_PSEUDONYM_KEY``: the keyed-HMAC key of ``patient_ref`` (≥ 32 characters). Changing it changes
  every pseudonym, so it is never rotated casually.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field

from pydantic import model_validator

from libs.kit.settings import ServiceSettings, settings_config
from libs.webhooks.standard import WebhookSecret, parse_secret

DEV_ENVIRONMENTS = ("local", "test")
SENDERS = ("hotline", "emergency")  # 客服专线 85356855, 急救网络 85600965
# Fixed, public, deliberately named dev values: refused outside local/test.
DEV_WEBHOOK_SECRETS = {
    "hotline": ["whsec_" + base64.b64encode(b"dev-only-hotline-webhook-secret-0000").decode()],
    "emergency": ["whsec_" + base64.b64encode(b"dev-only-emergency-webhook-secret-00").decode()],
}
DEV_PATIENT_KEY = base64.b64encode(b"dev-only-referral-patient-key-32").decode()
DEV_PSEUDONYM_KEY = "dev-only-referral-pseudonym-key-change-me"
_MIN_PSEUDONYM_KEY = 32


class ReferralSettings(ServiceSettings):
    model_config = settings_config("REFERRAL_")

    service_name: str = "referral"
    db_schema: str = "referral"
    # Webhook accepted → event published is a latency goal (p99 ≤ 100 ms): the relay is woken by NOTIFY, and
    # this poll bounds the wait when a wake-up is missed (one that arrives while a batch is being published).
    relay_poll_seconds: float = 0.05
    webhook_secrets: dict[str, list[str]] = {}
    webhook_max_body_bytes: int = 65_536
    webhook_tolerance_seconds: int = 300
    patient_key: str = ""
    pseudonym_key: str = ""

    @model_validator(mode="after")
    def _secrets_outside_dev(self) -> ReferralSettings:
        if self.environment in DEV_ENVIRONMENTS:
            return self
        dev_secrets = {s for secrets in DEV_WEBHOOK_SECRETS.values() for s in secrets}
        unsafe = [name for name, unset_or_dev in (
            ("REFERRAL_WEBHOOK_SECRETS", not self.webhook_secrets
             or any(s in dev_secrets for secrets in self.webhook_secrets.values() for s in secrets)),
            ("REFERRAL_PATIENT_KEY", not self.patient_key or DEV_PATIENT_KEY in self.patient_key),
            ("REFERRAL_PSEUDONYM_KEY", self.pseudonym_key in ("", DEV_PSEUDONYM_KEY))) if unset_or_dev]
        if unsafe:
            raise ValueError(f"referral: {', '.join(unsafe)} must be set (not the dev default) outside local/test")
        return self


@dataclass(frozen=True, repr=False)
class ReferralKeys:
    """Decoded key material, built once in the composition root. ``repr`` never shows a key."""

    pseudonym: bytes
    field_keys: tuple[bytes, ...]  # first encrypts, all decrypt
    webhook: dict[str, tuple[WebhookSecret, ...]] = field(default_factory=dict)

    @property
    def field_key(self) -> bytes:
        return self.field_keys[0]

    def __repr__(self) -> str:
        return f"ReferralKeys(senders={sorted(self.webhook)}, field_keys={len(self.field_keys)})"


def load_keys(settings: ReferralSettings) -> ReferralKeys:
    """Decode and check every secret now, so a bad value fails the start, not the first request."""
    dev = settings.environment in DEV_ENVIRONMENTS
    pseudonym = settings.pseudonym_key or (DEV_PSEUDONYM_KEY if dev else "")
    if len(pseudonym) < _MIN_PSEUDONYM_KEY:
        raise ValueError("REFERRAL_PSEUDONYM_KEY must be at least 32 characters")
    raw_keys = settings.patient_key or (DEV_PATIENT_KEY if dev else "")
    senders = settings.webhook_secrets or (DEV_WEBHOOK_SECRETS if dev else {})
    unknown = sorted(set(senders) - set(SENDERS))
    if unknown:
        raise ValueError(f"REFERRAL_WEBHOOK_SECRETS: unknown sender(s) {unknown}; known: {list(SENDERS)}")
    return ReferralKeys(
        pseudonym=pseudonym.encode("utf-8"),
        field_keys=tuple(_field_key(part) for part in raw_keys.split(",") if part.strip()),
        webhook={sender: tuple(parse_secret(s) for s in secrets) for sender, secrets in senders.items() if secrets},
    )


def _field_key(text: str) -> bytes:
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError("REFERRAL_PATIENT_KEY must be base64") from exc
    if len(key) != 32:
        raise ValueError("REFERRAL_PATIENT_KEY must decode to exactly 32 bytes (AES-256)")
    return key
