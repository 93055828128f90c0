"""A tiny test producer/consumer pair over the real events library (its own schema ``evtest``)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from sqlalchemy import Column, Integer, String, Table, func, select

from libs.events import EventData, event_type
from libs.events.consumer import ConsumerSpec
from libs.events.registry import Event, upcaster
from libs.kit.db import make_metadata
from libs.kit.runtime import EventTables, ServiceRuntime
from libs.kit.settings import ServiceSettings
from tests.harness.services import TestEnv

metadata = make_metadata("evtest")
tables = EventTables.on(metadata)
effects = Table("effects", metadata, Column("id", Integer, primary_key=True, autoincrement=True),
                Column("event_id", String(64), nullable=False), Column("amount", Integer, nullable=False))


@event_type("alliance.evtest.thing.happened", version=2)
class ThingHappened(EventData):
    amount: int
    note: str = ""


@upcaster("alliance.evtest.thing.happened", from_version=1)
def _v1_to_v2(data: dict) -> dict:
    return {"amount": data["qty"], "note": "upcast from v1"}


@event_type("alliance.evtest.thing.poisoned")
class ThingPoisoned(EventData):
    reason: str


async def apply_thing(session, event: Event) -> None:
    assert isinstance(event.data, ThingHappened)
    await session.execute(effects.insert().values(event_id=event.id, amount=event.data.amount))


async def explode(session, event: Event) -> None:
    raise RuntimeError("handler always fails")


@dataclass
class Pair:
    runtime: ServiceRuntime

    async def effect_rows(self) -> list[tuple[str, int]]:
        async with self.runtime.transaction() as s:
            return [(r.event_id, r.amount) for r in (await s.execute(select(effects))).all()]

    async def count(self, table: Table) -> int:
        async with self.runtime.transaction() as s:
            return int(await s.scalar(select(func.count()).select_from(table)) or 0)


def evtest_settings(env: TestEnv, **overrides) -> ServiceSettings:
    values = dict(service_name="evtest", db_schema="evtest", database_url=env.database_url, nats_url=env.nats_url,
                  events_namespace=env.namespace, relay_poll_seconds=0.2, consumer_max_deliver=3,
                  consumer_ack_wait_seconds=2.0)
    values.update(overrides)
    return ServiceSettings(**values)


@pytest.fixture
async def pair(env: TestEnv) -> AsyncIterator[Pair]:
    import asyncpg

    conn = await asyncpg.connect(env.database_url)
    await conn.execute("CREATE SCHEMA evtest")
    await conn.close()
    runtime = ServiceRuntime(settings=evtest_settings(env), tables=tables, consumer_specs=[ConsumerSpec(
        source="evtest", handlers={"alliance.evtest.thing.happened": apply_thing,
                                   "alliance.evtest.thing.poisoned": explode})])
    from libs.kit.db import create_engine

    engine = create_engine(runtime.settings)
    async with engine.begin() as c:
        await c.run_sync(metadata.create_all)
    await engine.dispose()
    await runtime.start()
    try:
        yield Pair(runtime)
    finally:
        await runtime.stop()
