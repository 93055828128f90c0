"""Which environment variables the code reads, and loading a service's production settings from a deploy file's
environment plus the secret files ``deploy/compose/make-secrets.sh`` writes."""

from __future__ import annotations

import importlib
import os
import subprocess
from pathlib import Path

import pytest

from libs.kit.migrations import REPO_ROOT
from libs.kit.settings import FILE_SUFFIX, PROCESS_WIDE_SECRETS, ServiceSettings

SERVICES = ("registry", "points", "referral", "evaluation")
APPS = (*SERVICES, "gateway")
SECRETS_DIR = "/run/secrets/"
# Read by libs.kit.tracing and the OpenTelemetry SDK, not by a settings class.
OTEL_VARIABLES = frozenset({"OTEL_TRACES_EXPORTER", "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_SERVICE_NAME"})
SHARED = frozenset({"DATABASE_URL", "NATS_URL", *PROCESS_WIDE_SECRETS})


def settings_class(app: str) -> type[ServiceSettings]:
    return getattr(importlib.import_module(f"services.{app}.settings"), f"{app.capitalize()}Settings")


def read_by_the_code(variable: str, apps: tuple[str, ...] = APPS) -> bool:
    """True if a settings class (or the shared/OTel readers) reads ``variable`` (``<VAR>_FILE`` included)."""
    fields = {f"{app.upper()}_{field.upper()}" for app in apps for field in settings_class(app).model_fields}
    base = variable[:-len(FILE_SUFFIX)] if variable.endswith(FILE_SUFFIX) else variable
    return variable in fields or base in fields or base in SHARED or variable in OTEL_VARIABLES


def make_secrets(target: Path) -> Path:
    done = subprocess.run(["bash", str(REPO_ROOT / "deploy/compose/make-secrets.sh"), str(target)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, f"make-secrets.sh needs bash and openssl: {done.stderr}"
    return target


def isolate_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in list(os.environ):
        if variable.endswith(("DATABASE_URL", "NATS_URL")) or variable.startswith(
                tuple(f"{app.upper()}_" for app in APPS)):
            monkeypatch.delenv(variable)
    monkeypatch.setenv("INTERNAL_AUTH_KEY", "")  # removed again after the test


def load_production_settings(app: str, environment: dict[str, str], secrets_dir: Path,
                             monkeypatch: pytest.MonkeyPatch) -> ServiceSettings:
    """Set ``environment`` (secret paths pointed at ``secrets_dir``) and load ``app``'s settings and key material."""
    for variable, value in environment.items():
        monkeypatch.setenv(variable, value.replace(SECRETS_DIR, f"{secrets_dir}/"))
    settings = settings_class(app)()  # the production validators run here
    assert settings.environment == "production", app
    check_key_material(app, settings)
    return settings


def check_key_material(app: str, settings: ServiceSettings) -> None:
    """What the services decode at start-up from the secret files must decode."""
    if app == "referral":
        from services.referral.settings import load_keys

        assert set(load_keys(settings).webhook) == {"hotline", "emergency"}  # type: ignore[arg-type]
    if app == "points":
        from services.points.domain.keys import load_private_key

        load_private_key(Path(settings.signing_key_file))  # type: ignore[attr-defined]
    if app == "gateway":
        from libs.kit.clock import SystemClock
        from services.gateway.auth.issuer import TokenIssuer
        from services.gateway.auth.keys import load_jwks_file

        assert TokenIssuer(settings, SystemClock()).public_jwk() is not None  # type: ignore[arg-type]
        load_jwks_file(settings.jwks_file)  # type: ignore[attr-defined]
