"""The gateway in-process (httpx ASGI client) in front of real uvicorn upstreams, on the test's own database."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from libs.kit.clock import FixedClock
from libs.kit.migrations import upgrade
from services.gateway.app import create_app
from services.gateway.settings import SERVICES, GatewaySettings
from services.gateway.wiring import Gateway
from tests.harness.services import TestEnv
from tests.services.gateway.tokens import SigningKeys
from tests.services.gateway.upstream import Served, echo_app, start


async def migrate_gateway(database_url: str) -> None:
    """Until ``gateway`` is in SERVICES_WITH_DB (then the template already has it), migrate the test's copy."""
    conn = await asyncpg.connect(database_url)
    try:
        present = await conn.fetchval("SELECT to_regclass('gateway.security_audit') IS NOT NULL")
    finally:
        await conn.close()
    if not present:
        await asyncio.to_thread(upgrade, "gateway", database_url)


@pytest.fixture(scope="session")
def signing_keys() -> SigningKeys:
    return SigningKeys.generate()


@pytest.fixture
def jwks_file(signing_keys: SigningKeys, tmp_path: Path) -> str:
    return signing_keys.write_jwks(tmp_path / "jwks.json")


@pytest.fixture
async def upstreams() -> AsyncIterator[dict[str, Served]]:
    started = await asyncio.gather(*(start(echo_app(name)) for name in SERVICES))
    try:
        yield dict(zip(SERVICES, started, strict=True))
    finally:
        await asyncio.gather(*(s.stop() for s in started))


@dataclass
class GatewayUnderTest:
    app: Any
    client: httpx.AsyncClient
    clock: FixedClock
    database_url: str

    @property
    def parts(self) -> Gateway:
        gateway: Gateway = self.app.state.gateway
        return gateway

    async def audit_rows(self, **where: Any) -> list[dict[str, Any]]:
        await self.parts.audit.flush()
        conn = await asyncpg.connect(self.database_url)
        try:
            rows = await conn.fetch("SELECT * FROM gateway.security_audit ORDER BY id")
        finally:
            await conn.close()
        return [dict(r) for r in rows if all(r[k] == v for k, v in where.items())]


def gateway_settings(env: TestEnv, upstreams: dict[str, Served], **overrides: Any) -> GatewaySettings:
    values: dict[str, Any] = {f"{name}_url": served.url for name, served in upstreams.items()}
    values.update(environment="test", database_url=env.database_url, upstream_timeout_seconds=5.0,
                  connect_timeout_seconds=1.0, rate_limit_per_second=1000.0, rate_limit_burst=1000,
                  audit_flush_seconds=0.1)
    values.update(overrides)
    return GatewaySettings(**values)


@asynccontextmanager
async def running_gateway(settings: GatewaySettings, **kwargs: Any) -> AsyncIterator[GatewayUnderTest]:
    clock = kwargs.pop("clock", None) or FixedClock(datetime.now(timezone.utc))
    app = create_app(settings, clock=clock, **kwargs)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
            yield GatewayUnderTest(app, client, clock, settings.database_url)


GatewayFactory = Callable[..., Any]


@pytest.fixture
async def gateway_factory(env: TestEnv, upstreams: dict[str, Served], jwks_file: str) -> GatewayFactory:
    await migrate_gateway(env.database_url)

    def factory(**overrides: Any) -> Any:
        return running_gateway(gateway_settings(env, upstreams, **{"jwks_file": jwks_file, **overrides}))

    return factory


@pytest.fixture
async def gw(gateway_factory: GatewayFactory) -> AsyncIterator[GatewayUnderTest]:
    async with gateway_factory() as running:
        yield running
