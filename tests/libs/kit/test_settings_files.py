"""Secrets from files: ``<VAR>_FILE`` supplies ``<VAR>`` for every setting (Docker / Kubernetes secrets)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from pydantic_settings import SettingsError

from libs.auth.deps import internal_auth_key
from libs.kit.settings import env_or_file, service_env_settings
from services.points.settings import PointsSettings
from services.referral.settings import ReferralSettings


def secret(tmp_path: Path, name: str, content: str) -> str:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    return str(path)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DATABASE_URL", "NATS_URL", "POINTS_DATABASE_URL", "POINTS_NATS_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("INTERNAL_AUTH_KEY", "")  # restored (removed) after the test, whatever the test sets


class TestSecretFiles:
    def test_prefixed_variable_from_its_file_without_the_trailing_newline(self, tmp_path, monkeypatch) -> None:
        monkeypatch.setenv("POINTS_DATABASE_URL_FILE", secret(tmp_path, "db", "postgresql://u:pw@db/alliance\n"))
        assert PointsSettings().database_url == "postgresql://u:pw@db/alliance"

    def test_a_variable_set_directly_wins_over_its_file(self, tmp_path, monkeypatch) -> None:
        monkeypatch.setenv("POINTS_DATABASE_URL_FILE", secret(tmp_path, "db", "postgresql://from-file/x"))
        monkeypatch.setenv("POINTS_DATABASE_URL", "postgresql://direct/x")
        assert PointsSettings().database_url == "postgresql://direct/x"

    def test_shared_fallback_from_a_file(self, tmp_path, monkeypatch) -> None:
        monkeypatch.setenv("DATABASE_URL_FILE", secret(tmp_path, "db", "postgresql://shared/x\n"))
        monkeypatch.setenv("NATS_URL_FILE", secret(tmp_path, "nats", "nats://n1:4222,nats://n2:4222"))
        settings = PointsSettings()
        assert (settings.database_url, settings.nats_url) == ("postgresql://shared/x", "nats://n1:4222,nats://n2:4222")

    def test_structured_setting_from_a_file(self, tmp_path, monkeypatch) -> None:
        monkeypatch.setenv("REFERRAL_WEBHOOK_SECRETS_FILE",
                           secret(tmp_path, "wh", '{"hotline": ["whsec_aG90bGluZQ=="]}\n'))
        assert ReferralSettings().webhook_secrets == {"hotline": ["whsec_aG90bGluZQ=="]}

    def test_internal_auth_key_is_exported_for_the_auth_library(self, tmp_path, monkeypatch) -> None:
        monkeypatch.setenv("INTERNAL_AUTH_KEY_FILE", secret(tmp_path, "iak", "k-from-file\n"))
        PointsSettings()
        assert internal_auth_key() == "k-from-file" == os.environ["INTERNAL_AUTH_KEY"]

    def test_a_missing_secret_file_fails_the_start(self, tmp_path, monkeypatch) -> None:
        monkeypatch.setenv("POINTS_DATABASE_URL_FILE", str(tmp_path / "absent"))
        with pytest.raises(SettingsError) as failed:
            PointsSettings()
        assert isinstance(failed.value.__cause__, FileNotFoundError)

    def test_env_or_file(self, tmp_path) -> None:
        assert env_or_file("X", {"X_FILE": secret(tmp_path, "x", "v\r\n")}) == "v"
        assert env_or_file("X", {"X": "direct", "X_FILE": "/absent"}) == "direct"
        assert env_or_file("X", {}) is None


class TestServiceEnvSettings:
    def test_reads_the_service_prefix_without_importing_the_service(self, tmp_path, monkeypatch) -> None:
        monkeypatch.setenv("POINTS_DATABASE_URL", "postgresql://points/x")
        monkeypatch.setenv("POINTS_STREAM_REPLICAS", "3")
        settings = service_env_settings("points")
        assert (settings.service_name, settings.db_schema) == ("points", "points")
        assert (settings.database_url, settings.stream_replicas) == ("postgresql://points/x", 3)
