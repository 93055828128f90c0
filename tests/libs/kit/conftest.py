"""A tiny service on the real template (runtime, request-owned transaction, problem handler) in a test schema."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING

import asyncpg
import httpx
import pytest
from fastapi import APIRouter, FastAPI
from pydantic import BaseModel, ConfigDict
from sqlalchemy import Column, DateTime, Integer, String, Table, func, insert, select
from starlette.responses import Response

from libs.auth.deps import PrincipalDep
from libs.kit.app import create_service_app
from libs.kit.clock import FixedClock
from libs.kit.db import create_engine, make_metadata
from libs.kit.deps import SessionDep
from libs.kit.errors import InvalidInput
from libs.kit.idempotency import IdempotencyDep, install_idempotency
from libs.kit.runtime import EventTables, ServiceRuntime
from libs.kit.settings import ServiceSettings

if TYPE_CHECKING:
    from tests.harness.services import TestEnv

SCHEMA = "kittest"
metadata = make_metadata(SCHEMA)
tables = EventTables.on(metadata)
things = Table("things", metadata,
               Column("id", Integer, primary_key=True, autoincrement=True),
               Column("name", String(100), nullable=False),
               Column("owner", String(100), nullable=False),
               Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()))


class ThingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str


class ThingOut(BaseModel):
    id: int
    name: str


@dataclass
class Gates:
    """Lets a test hold a request inside its transaction (deterministic concurrency)."""

    entered: asyncio.Event = field(default_factory=asyncio.Event)
    release: asyncio.Event = field(default_factory=asyncio.Event)


def things_router(gates: Gates) -> APIRouter:
    router = APIRouter()

    async def create(body: ThingIn, session: SessionDep, principal: PrincipalDep) -> ThingOut:
        new_id = await session.scalar(insert(things).values(name=body.name, owner=principal.sub).returning(things.c.id))
        return ThingOut(id=int(new_id or 0), name=body.name)

    @router.post("/things", status_code=201)
    async def post_thing(body: ThingIn, session: SessionDep, principal: PrincipalDep, idem: IdempotencyDep
                         ) -> Response:
        thing = await create(body, session, principal)
        return await idem.respond(201, thing, headers={"Location": f"/things/{thing.id}"})

    @router.post("/held-things", status_code=201)
    async def post_held(body: ThingIn, session: SessionDep, principal: PrincipalDep, idem: IdempotencyDep
                        ) -> Response:
        thing = await create(body, session, principal)
        gates.entered.set()
        await asyncio.wait_for(gates.release.wait(), 10)
        return await idem.respond(201, thing)

    @router.post("/refused-things", status_code=201)
    async def post_refused(body: ThingIn, session: SessionDep, principal: PrincipalDep, idem: IdempotencyDep
                           ) -> Response:
        await create(body, session, principal)
        if body.name == "bad":
            raise InvalidInput("名称不允许", field="body.name")
        return await idem.respond(201, {"name": body.name})

    @router.post("/forgetful-things", status_code=201)
    async def post_forgetful(body: ThingIn, session: SessionDep, principal: PrincipalDep, idem: IdempotencyDep
                             ) -> dict[str, str]:
        await create(body, session, principal)
        return {"name": body.name}  # forgot idem.respond: must fail loudly, not commit without a stored response

    @router.get("/things-count")
    async def count(session: SessionDep) -> dict[str, int]:
        return {"count": int(await session.scalar(select(func.count()).select_from(things)) or 0)}

    return router


@dataclass
class KitApp:
    app: FastAPI
    client: httpx.AsyncClient
    clock: FixedClock
    gates: Gates
    runtime: ServiceRuntime


async def create_schema(env: TestEnv) -> None:
    conn = await asyncpg.connect(env.database_url)
    try:
        await conn.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
    finally:
        await conn.close()
    settings = kit_settings(env)
    engine = create_engine(settings)
    async with engine.begin() as c:
        await c.run_sync(metadata.create_all)
    await engine.dispose()


def kit_settings(env: TestEnv) -> ServiceSettings:
    return ServiceSettings(service_name="kittest", db_schema=SCHEMA, database_url=env.database_url,
                           nats_url=env.nats_url, events_namespace=env.namespace, environment="test",
                           relay_poll_seconds=0.5)


@pytest.fixture
async def kit(env: TestEnv) -> AsyncIterator[KitApp]:
    await create_schema(env)
    clock = FixedClock(datetime(2026, 3, 1, 8, 0, tzinfo=timezone.utc))
    runtime = ServiceRuntime(settings=kit_settings(env), tables=tables, clock=clock)
    gates = Gates()
    app = create_service_app(runtime, title="kittest", description="kit test service", routers=[things_router(gates)],
                             configure_logs=False)
    install_idempotency(app)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://kittest") as client:
            yield KitApp(app, client, clock, gates, runtime)
