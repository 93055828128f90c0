"""Several replicas of the ``evtest`` service (tests/libs/events/conftest.py) on one database and one JetStream."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
from sqlalchemy import func, select

from libs.events import new_envelope
from libs.events.consumer import ConsumerSpec
from libs.events.envelope import Envelope
from libs.kit.db import create_engine
from libs.kit.runtime import ServiceRuntime
from tests.harness.services import TestEnv
from tests.libs.events.conftest import ThingHappened, apply_thing, effects, evtest_settings, metadata, tables


async def create_evtest_schema(env: TestEnv) -> None:
    conn = await asyncpg.connect(env.database_url)
    try:
        await conn.execute("CREATE SCHEMA IF NOT EXISTS evtest")
    finally:
        await conn.close()
    engine = create_engine(evtest_settings(env))
    async with engine.begin() as c:
        await c.run_sync(metadata.create_all)
    await engine.dispose()


def replica(env: TestEnv, **overrides: Any) -> ServiceRuntime:
    return ServiceRuntime(settings=evtest_settings(env, **overrides), tables=tables, consumer_specs=[
        ConsumerSpec(source="evtest", handlers={"alliance.evtest.thing.happened": apply_thing})])


@asynccontextmanager
async def started(*runtimes: ServiceRuntime) -> AsyncIterator[tuple[ServiceRuntime, ...]]:
    try:
        for runtime in runtimes:
            await runtime.start()
        yield runtimes
    finally:
        for runtime in runtimes:
            await runtime.stop()


async def emit(runtime: ServiceRuntime, *amounts: int) -> list[Envelope]:
    envelopes = [new_envelope(ThingHappened(amount=a), source="/alliance/evtest") for a in amounts]
    async with runtime.transaction() as session:
        await runtime.outbox.add(session, *envelopes)
    return envelopes


async def effect_amounts(runtime: ServiceRuntime) -> list[int]:
    async with runtime.transaction() as session:
        return sorted((await session.scalars(select(effects.c.amount))).all())


async def count(runtime: ServiceRuntime, table: Any) -> int:
    async with runtime.transaction() as session:
        return int(await session.scalar(select(func.count()).select_from(table)) or 0)


async def unpublished(runtime: ServiceRuntime) -> int:
    async with runtime.transaction() as session:
        return int(await session.scalar(select(func.count()).select_from(tables.outbox)
                                        .where(tables.outbox.c.published_at.is_(None))) or 0)
