"""Everything a running service holds: engine, sessions, NATS, outbox relay, inbox consumers.

Built in the composition root (``create_app``) and started/stopped by the app's lifespan — nothing is
built at import time.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import nats
from nats.aio.client import Client as NatsClient
from nats.js import JetStreamContext
from sqlalchemy import MetaData, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from libs.events.consumer import ConsumerSpec, InboxConsumer
from libs.events.faults import Faults
from libs.events.outbox import Outbox
from libs.events.relay import OutboxRelay
from libs.events.streams import ensure_stream
from libs.events.tables import event_tables
from libs.kit.clock import Clock, SystemClock
from libs.kit.db import create_engine, make_sessionmaker
from libs.kit.idempotency_table import idempotency_table
from libs.kit.settings import ServiceSettings

log = logging.getLogger("runtime")


@dataclass
class EventTables:
    """The platform tables every service schema has: outbox, inbox, dead letters, idempotency keys."""

    outbox: Any
    inbox: Any
    dead_letters: Any
    idempotency: Any = None

    @classmethod
    def on(cls, metadata: MetaData) -> EventTables:
        existing = metadata.tables
        key = f"{metadata.schema}.outbox" if metadata.schema else "outbox"
        if key in existing:
            prefix = f"{metadata.schema}." if metadata.schema else ""
            return cls(existing[prefix + "outbox"], existing[prefix + "inbox"], existing[prefix + "dead_letters"],
                       existing.get(prefix + "idempotency_keys"))
        return cls(*event_tables(metadata), idempotency_table(metadata))


@dataclass
class ServiceRuntime:
    settings: ServiceSettings
    tables: EventTables
    consumer_specs: Sequence[ConsumerSpec] = ()
    clock: Clock = field(default_factory=SystemClock)
    faults: Faults = field(default_factory=Faults.from_env)
    engine: AsyncEngine | None = None
    sessions: async_sessionmaker[AsyncSession] | None = None
    nc: NatsClient | None = None
    js: JetStreamContext | None = None
    relay: OutboxRelay | None = None
    consumers: list[InboxConsumer] = field(default_factory=list)
    extras: dict[str, Any] = field(default_factory=dict)
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)

    @property
    def outbox(self) -> Outbox:
        return Outbox(self.tables.outbox, namespace=self.settings.events_namespace)

    async def start(self) -> None:
        s = self.settings
        self.engine = create_engine(s)
        self.sessions = make_sessionmaker(self.engine)
        self.nc = await nats.connect(s.nats_servers, name=s.service_name, max_reconnect_attempts=-1,
                                     reconnect_time_wait=0.5, connect_timeout=5)
        self.js = self.nc.jetstream(timeout=5.0)
        await ensure_stream(self.js, s.events_namespace, s.service_name, replicas=s.stream_replicas)
        self.relay = OutboxRelay(dsn=s.asyncpg_dsn, schema=s.db_schema, js=self.js, batch=s.relay_batch,
                                 poll_seconds=s.relay_poll_seconds, faults=self.faults)
        self._spawn(self.relay.run(), "relay")
        for spec in self.consumer_specs:
            consumer = InboxConsumer(service=s.service_name, spec=spec, sessions=self.sessions,
                                     inbox=self.tables.inbox, dead_letters=self.tables.dead_letters, js=self.js,
                                     namespace=s.events_namespace, max_deliver=s.consumer_max_deliver,
                                     ack_wait=s.consumer_ack_wait_seconds, faults=self.faults,
                                     stream_replicas=s.stream_replicas)
            self.consumers.append(consumer)
            self._spawn(consumer.run(), consumer.name)

    def _spawn(self, coro: Any, name: str) -> None:
        task = asyncio.create_task(coro, name=name)
        task.add_done_callback(_log_task_end)
        self._tasks.append(task)

    async def stop(self) -> None:
        if self.relay:
            await self.relay.stop()
        for consumer in self.consumers:
            await consumer.stop()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        if self.nc and not self.nc.is_closed:
            await self.nc.close()
        if self.engine:
            await self.engine.dispose()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        assert self.sessions is not None, "runtime not started"
        async with self.sessions() as session, session.begin():
            yield session

    async def readiness(self) -> dict[str, str]:
        checks: dict[str, str] = {}
        try:
            assert self.engine is not None
            async with self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
            checks["database"] = "ok"
        except Exception as exc:  # readiness reports, it does not raise
            checks["database"] = f"error: {type(exc).__name__}"
        checks["nats"] = "ok" if self.nc is not None and self.nc.is_connected else "error: disconnected"
        return checks


def _log_task_end(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("background task died", extra={"task": task.get_name(), "error": repr(task.exception())})
