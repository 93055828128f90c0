"""Fail-fast settings and the local token CLI."""

from __future__ import annotations

import logging

import pytest
from pydantic import ValidationError

from services.gateway import tokens
from services.gateway.settings import GatewaySettings


class TestProductionSettings:
    def test_dev_defaults_are_refused_in_production(self) -> None:
        with pytest.raises(ValidationError) as raised:
            GatewaySettings(environment="production", pseudonym_key="k")
        message = str(raised.value)
        for needed in ("JWKS", "SIGNING_KEY_FILE", "WECHAT_MODE", "WECHAT_APPID", "DATABASE_URL"):
            assert needed in message

    def test_secret_is_not_in_repr(self) -> None:
        settings = GatewaySettings(wechat_secret="top-secret-value")
        assert "top-secret-value" not in repr(settings)


class TestMintCli:
    def test_mints_a_token_the_verifier_accepts(self) -> None:
        import asyncio

        from services.gateway.wiring import build

        settings = GatewaySettings(environment="local")
        token = tokens.mint(["mint", "--role", "doctor", "--sub", "d-1", "--doctor-id", "d-1", "--alliance-id", "a-1"],
                            settings)
        verified = asyncio.run(build(settings).gate._verifier.verify(token))
        assert (verified.principal.sub, verified.principal.alliance_id) == ("d-1", "a-1")

    def test_role_without_its_scope_is_refused(self) -> None:
        with pytest.raises(SystemExit, match="doctor-id"):
            tokens.mint(["mint", "--role", "doctor", "--sub", "d-1"], GatewaySettings(environment="local"))

    def test_refused_outside_local_and_test(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("GATEWAY_ENVIRONMENT", "production")
        with pytest.raises(SystemExit, match="local"):
            tokens.mint(["mint", "--role", "auditor", "--sub", "x"])


class TestWithoutDatabase:
    async def test_local_gateway_runs_on_memory_bindings_and_log_audit(self, monkeypatch: pytest.MonkeyPatch,
                                                                       caplog: pytest.LogCaptureFixture) -> None:
        import httpx

        from services.gateway.app import create_app
        from services.gateway.audit import LogAuditSink

        monkeypatch.delenv("DATABASE_URL", raising=False)
        app = create_app(GatewaySettings(environment="local", database_url=""))
        assert isinstance(app.state.gateway.audit._sink, LogAuditSink)
        logging.getLogger().addHandler(caplog.handler)  # create_app configured logging and replaced the handlers
        async with app.router.lifespan_context(app):
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://g") as client:
                response = await client.post("/api/v1/auth/wechat/login", json={"code": "c"})
            caplog.set_level("INFO", logger="security_audit")
            await app.state.gateway.audit.flush()
        assert response.status_code == 401
        audit_lines = [r for r in caplog.records if r.name == "security_audit"]
        assert audit_lines and "client_ip" not in audit_lines[0].audit  # type: ignore[attr-defined]
