"""The whole platform for an end-to-end journey: the four real services, each on its own uvicorn server (lifespan
on, so outbox relays and inbox consumers run on real JetStream), and the real gateway in front of them, reached
through an in-process httpx client — the only door a journey uses.

``running_stack(env)`` starts everything on the test's fresh database and NATS namespace; ``nats_url`` points the
services at another NATS (a ``private_nats`` the test kills and restarts by PID). ``stack.stop_service(name)`` /
``stack.start_service(name)`` take one service away (the gateway answers 502 for it, the others keep answering)
and bring it back on the same port.

Tokens: ``stack.as_(role, sub=..., **scope)`` gives the ``Authorization`` header of an HS256 test-env JWT for any
role with its scope claims (the gateway runs with ``environment="test"`` and the dev key);
``stack.registry_api()`` is the registry builders' ``RegistryApi`` pointed at the gateway with those tokens.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import importlib
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import asyncpg
import httpx
import uvicorn
from fastapi import FastAPI

from libs.auth.principal import Role
from libs.devstack.ports import free_port
from libs.kit.clock import Clock
from libs.webhooks.standard import sign_headers
from services.gateway.app import create_app as create_gateway
from services.gateway.settings import SERVICES, GatewaySettings
from tests.harness.services import TestEnv
from tests.services.gateway.tokens import bearer, hs256
from tests.services.registry.fixtures import RegistryApi

GATEWAY = "http://gateway"
PREFIX = "/api/v1"


def new_webhook_secret() -> str:
    return "whsec_" + base64.b64encode(os.urandom(32)).decode()


def token(role: Role | str, **scope: Any) -> str:
    """An HS256 JWT as the test-env gateway accepts it: people's audience, or the integration audience for
    ``role=integration``; ``sub`` defaults to ``<role>-user``; a doctor's ``doctor_id`` defaults to ``sub``."""
    value = Role(role).value
    scope.setdefault("sub", f"{value}-user")
    return hs256(role=value, **scope)


def auth(role: Role | str, **scope: Any) -> dict[str, str]:
    return bearer(token(role, **scope))


# ---- one service on a real server ------------------------------------------------------------------------
@dataclass
class ServiceProcess:
    """A service app served by uvicorn on a fixed loopback port, in this event loop (stop/start keep the port)."""

    name: str
    settings: Any
    port: int
    clock: Clock | None = None
    app: FastAPI | None = None
    server: uvicorn.Server | None = None
    task: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def runtime(self) -> Any:
        assert self.app is not None, f"{self.name} is not running"
        return self.app.state.runtime

    @property
    def running(self) -> bool:
        return self.task is not None and not self.task.done()

    async def start(self) -> None:
        module = importlib.import_module(f"services.{self.name}.app")
        app: FastAPI = module.create_app(self.settings)
        if self.clock is not None:
            app.state.runtime.clock = self.clock
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, lifespan="on", log_level="warning",
                                timeout_graceful_shutdown=5)
        server = uvicorn.Server(config)
        task = asyncio.create_task(server.serve(), name=f"uvicorn-{self.name}")
        while not server.started:
            if task.done():  # startup failed (lifespan or bind): surface the reason
                task.result()
                raise RuntimeError(f"{self.name} exited during startup (see the log above)")
            await asyncio.sleep(0.02)
        self.app, self.server, self.task = app, server, task

    async def stop(self) -> None:
        if self.server is None or self.task is None:
            return
        self.server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(self.task, 30)
        self.server, self.task = None, None


# ---- the stack ---------------------------------------------------------------------------------------------
@dataclass
class Stack:
    env: TestEnv
    services: dict[str, ServiceProcess]
    gateway: FastAPI
    client: httpx.AsyncClient
    webhook_secrets: dict[str, list[str]]
    nats_url: str
    clock: Clock | None = None

    def now(self) -> datetime:
        return self.clock.now() if self.clock else datetime.now(timezone.utc)

    # ---- services ----------------------------------------------------------------------------------------
    def runtime(self, service: str) -> Any:
        return self.services[service].runtime

    async def stop_service(self, service: str) -> None:
        await self.services[service].stop()

    async def start_service(self, service: str) -> None:
        await self.services[service].start()

    # ---- callers -----------------------------------------------------------------------------------------
    @staticmethod
    def as_(role: Role | str, **scope: Any) -> dict[str, str]:
        return auth(role, **scope)

    def registry_api(self) -> RegistryApi:
        return RegistryApi(self.client, prefix=f"{PREFIX}/registry", auth=auth)

    async def get(self, path: str, headers: dict[str, str] | None = None, **kwargs: Any) -> httpx.Response:
        return await self.client.get(PREFIX + path, headers=headers or {}, **kwargs)

    async def post(self, path: str, headers: dict[str, str] | None = None, *, key: str | None = None,
                   **kwargs: Any) -> httpx.Response:
        """POST through the gateway with a fresh ``Idempotency-Key`` (or ``key`` to retry one operation)."""
        sent = {**(headers or {}), "Idempotency-Key": key or uuid.uuid4().hex}
        return await self.client.post(PREFIX + path, headers=sent, **kwargs)

    async def patch(self, path: str, headers: dict[str, str] | None = None, **kwargs: Any) -> httpx.Response:
        return await self.client.patch(PREFIX + path, headers=headers or {}, **kwargs)

    async def webhook(self, sender: str, body: bytes, *, msg_id: str, at: Any = None,
                      secrets: list[str] | None = None) -> httpx.Response:
        """A Standard Webhooks delivery from the hotline / emergency network: signed, and NO user token."""
        when = at or self.now()
        headers = sign_headers(secrets or self.webhook_secrets[sender], msg_id, when, body)
        return await self.client.post(f"{PREFIX}/referral/webhooks/{sender}", content=body,
                                      headers={**headers, "content-type": "application/json"})

    # ---- the database (checks next to the API, never instead of it) --------------------------------------
    async def sql(self, query: str, *args: Any) -> list[asyncpg.Record]:
        conn = await asyncpg.connect(self.env.database_url)
        try:
            return list(await conn.fetch(query, *args))
        finally:
            await conn.close()

    async def sql_value(self, query: str, *args: Any) -> Any:
        rows = await self.sql(query, *args)
        return rows[0][0] if rows else None


def service_settings(env: TestEnv, service: str, *, nats_url: str,
                     webhook_secrets: dict[str, list[str]]) -> Any:
    overrides: dict[str, Any] = {"nats_url": nats_url, "db_pool_size": 4, "log_level": "WARNING",
                                 "relay_poll_seconds": 0.1, "consumer_ack_wait_seconds": 5.0}
    if service == "referral":
        overrides["webhook_secrets"] = webhook_secrets
        overrides["relay_poll_seconds"] = 0.05
    if service == "points":
        overrides["rebuild_jobs"] = 1  # audit replays in-process: a small ledger, a shared 2-core machine
    return env.settings(service, **overrides)


@asynccontextmanager
async def running_stack(env: TestEnv, *, nats_url: str | None = None, clock: Clock | None = None,
                        **gateway_overrides: Any) -> AsyncIterator[Stack]:
    """Registry, points, referral and evaluation on uvicorn (lifespans on), the gateway in front (in-process)."""
    nats = nats_url or env.nats_url
    secrets = {"hotline": [new_webhook_secret()], "emergency": [new_webhook_secret()]}
    services = {name: ServiceProcess(name, service_settings(env, name, nats_url=nats, webhook_secrets=secrets),
                                     free_port(), clock) for name in SERVICES}
    try:
        for process in services.values():  # one after the other: four startups at once starve a 2-core box
            await process.start()
        values: dict[str, Any] = {f"{name}_url": process.url for name, process in services.items()}
        values.update(environment="test", database_url=env.database_url, upstream_timeout_seconds=20.0,
                      connect_timeout_seconds=2.0, rate_limit_per_second=10_000.0, rate_limit_burst=10_000,
                      audit_flush_seconds=0.1, db_pool_size=3, log_level="WARNING")
        values.update(gateway_overrides)
        gateway = create_gateway(GatewaySettings(**values), clock=clock)
        async with gateway.router.lifespan_context(gateway):
            transport = httpx.ASGITransport(app=gateway, client=("203.0.113.7", 40000))
            async with httpx.AsyncClient(transport=transport, base_url=GATEWAY, timeout=60.0) as client:
                yield Stack(env, services, gateway, client, secrets, nats, clock)
    finally:
        for process in reversed(services.values()):
            await process.stop()
