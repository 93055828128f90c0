"""The gateway in front of the real services, each served by uvicorn on a loopback port, optionally behind a
``FaultProxy`` (tests/harness/faultproxy.py) — the wiring of rows 22, 31 and 33 and of the Schemathesis run.

The gateway runs in-process (httpx ASGI client); services run in-process too (their lifespan starts the real
runtime: PostgreSQL, NATS, relay, consumers) but are reached over real TCP, so timeouts, resets and partitions
are the real ones. Tokens are HS256 dev tokens (``environment=test``).
"""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlsplit

import httpx
from fastapi import FastAPI

from libs.kit.clock import FixedClock
from services.gateway.app import create_app as create_gateway
from services.gateway.settings import SERVICES, GatewaySettings
from tests.harness.faultproxy import FaultProxy
from tests.harness.services import TestEnv
from tests.services.gateway.tokens import bearer, hs256
from tests.services.gateway.upstream import serve

CLOSED_PORT_URL = "http://127.0.0.1:9"  # nothing listens: a service the stack does not run answers 502


@dataclass
class ServiceUnderTest:
    app: FastAPI
    url: str
    direct: httpx.AsyncClient  # straight to the service's ASGI app (signed principal headers, no gateway)
    proxy: FaultProxy | None = None

    @property
    def runtime(self) -> Any:
        return self.app.state.runtime


@dataclass
class Stack:
    gateway: Any
    client: httpx.AsyncClient
    services: dict[str, ServiceUnderTest] = field(default_factory=dict)

    async def audit_rows(self) -> list[dict[str, Any]]:
        import asyncpg

        await self.gateway.state.gateway.audit.flush()
        conn = await asyncpg.connect(self.gateway.state.gateway.settings.database_url)
        try:
            return [dict(r) for r in await conn.fetch("SELECT * FROM gateway.security_audit ORDER BY id")]
        finally:
            await conn.close()


def token(role: str = "doctor", **claims: Any) -> dict[str, str]:
    """``Authorization: Bearer`` with an HS256 dev token (accepted by a gateway in ``environment=test``)."""
    return bearer(hs256(role=role, **claims))


@asynccontextmanager
async def gateway_stack(env: TestEnv, services: tuple[str, ...], *, proxied: tuple[str, ...] = (), seed: int = 0,
                        gateway: dict[str, Any] | None = None,
                        service_settings: dict[str, dict[str, Any]] | None = None,
                        clocks: dict[str, Any] | None = None) -> AsyncIterator[Stack]:
    async with AsyncExitStack() as stack:
        running: dict[str, ServiceUnderTest] = {}
        for name in services:
            module = importlib.import_module(f"services.{name}.app")
            app: FastAPI = module.create_app(env.settings(name, **(service_settings or {}).get(name, {})))
            await stack.enter_async_context(app.router.lifespan_context(app))
            if clocks and name in clocks:
                app.state.runtime.clock = clocks[name]
            served = await stack.enter_async_context(serve(app))
            url, proxy = served.url, None
            if name in proxied:
                proxy = await FaultProxy(urlsplit(served.url).port or 0, seed=seed).start()
                stack.push_async_callback(proxy.stop)
                url = proxy.url("http")
            direct = await stack.enter_async_context(
                httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=f"http://{name}"))
            running[name] = ServiceUnderTest(app, url, direct, proxy)
        values: dict[str, Any] = {f"{s}_url": running[s].url if s in running else CLOSED_PORT_URL for s in SERVICES}
        values.update(environment="test", database_url=env.database_url, upstream_timeout_seconds=10.0,
                      connect_timeout_seconds=1.0, rate_limit_per_second=10_000.0, rate_limit_burst=10_000,
                      audit_flush_seconds=0.1)
        values.update(gateway or {})
        gw = create_gateway(GatewaySettings(**values), clock=FixedClock(datetime.now(timezone.utc)))
        await stack.enter_async_context(gw.router.lifespan_context(gw))
        client = await stack.enter_async_context(
            httpx.AsyncClient(transport=httpx.ASGITransport(app=gw), base_url="http://gateway", timeout=60))
        yield Stack(gw, client, running)
