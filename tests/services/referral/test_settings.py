"""Secrets of the referral service: dev defaults only in local/test, malformed values fail the start."""

from __future__ import annotations

import base64
import os

import pytest
from pydantic import ValidationError

from services.referral.settings import DEV_PATIENT_KEY, DEV_WEBHOOK_SECRETS, ReferralSettings, load_keys


def secret() -> str:
    return "whsec_" + base64.b64encode(os.urandom(32)).decode()


REAL = {"webhook_secrets": {"hotline": [secret()], "emergency": [secret()]},
        "patient_key": base64.b64encode(os.urandom(32)).decode(), "pseudonym_key": "k" * 40}


class TestSecrets:
    def test_dev_defaults_in_test(self) -> None:
        keys = load_keys(ReferralSettings(environment="test"))
        assert sorted(keys.webhook) == ["emergency", "hotline"] and len(keys.field_key) == 32
        assert "whsec" not in repr(keys) and "dev-only" not in repr(keys)

    @pytest.mark.parametrize("missing", ["webhook_secrets", "patient_key", "pseudonym_key"])
    def test_production_refuses_unset_or_dev_values(self, missing: str) -> None:
        dev = {"webhook_secrets": DEV_WEBHOOK_SECRETS, "patient_key": DEV_PATIENT_KEY,
               "pseudonym_key": "dev-only-referral-pseudonym-key-change-me"}
        for value in ({"webhook_secrets": {}, "patient_key": "", "pseudonym_key": ""}[missing], dev[missing]):
            with pytest.raises(ValidationError, match=missing.upper()):
                ReferralSettings(environment="production", **{**REAL, missing: value})
        load_keys(ReferralSettings(environment="production", **REAL))

    def test_rotation_lists_and_malformed_values(self) -> None:
        old, new = base64.b64encode(os.urandom(32)).decode(), base64.b64encode(os.urandom(32)).decode()
        keys = load_keys(ReferralSettings(environment="production", **{**REAL, "patient_key": f"{new},{old}"}))
        assert len(keys.field_keys) == 2 and keys.field_key == base64.b64decode(new)
        for bad in ({"patient_key": "short"}, {"pseudonym_key": "too-short"},
                    {"webhook_secrets": {"fax": [secret()]}}, {"webhook_secrets": {"hotline": ["nope"]}}):
            with pytest.raises(ValueError):
                load_keys(ReferralSettings(environment="test", **bad))
