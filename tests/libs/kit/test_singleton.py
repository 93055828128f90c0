"""The advisory-lock singleton against real PostgreSQL: refuse, queue, release on exit, error and death."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import asyncpg
import pytest
from sqlalchemy import pool
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine

from libs.kit.errors import Conflict
from libs.kit.singleton import lock_transaction, singleton
from tests.harness.waiting import eventually


@pytest.fixture
async def engine(env) -> AsyncIterator[AsyncEngine]:
    url = env.database_url.replace("postgresql://", "postgresql+asyncpg://", 1)
    engine = create_async_engine(url, pool_size=3, max_overflow=0)
    try:
        yield engine
    finally:
        await engine.dispose()


async def held_elsewhere(env, name: str) -> bool:
    """True if another session holds ``name`` (checked from a connection of its own)."""
    conn = await asyncpg.connect(env.database_url)
    try:
        got = await conn.fetchval("SELECT pg_try_advisory_lock(hashtextextended($1, 0))", name)
        if got:
            await conn.fetchval("SELECT pg_advisory_unlock(hashtextextended($1, 0))", name)
        return not got
    finally:
        await conn.close()


class TestSingleton:
    async def test_second_holder_is_refused_with_a_conflict(self, engine: AsyncEngine, env) -> None:
        async with singleton(engine, "points:year-close:2025"):
            with pytest.raises(Conflict) as refused:
                async with singleton(engine, "points:year-close:2025"):
                    pytest.fail("two holders at once")
            assert refused.value.detail.startswith("另一个实例正在执行")
            assert refused.value.status == 409
            async with singleton(engine, "points:year-close:2024"):  # another name is another lock
                pass

    async def test_lock_is_released_on_exit_and_on_error(self, engine: AsyncEngine, env) -> None:
        async with singleton(engine, "job"):
            assert await held_elsewhere(env, "job")
        assert not await held_elsewhere(env, "job")
        with pytest.raises(RuntimeError):
            async with singleton(engine, "job"):
                raise RuntimeError("the job failed")
        assert not await held_elsewhere(env, "job")

    async def test_pooled_connection_does_not_keep_the_lock(self, engine: AsyncEngine, env) -> None:
        for _ in range(5):  # reuses the pool's connections
            async with singleton(engine, "job"):
                pass
        assert not await held_elsewhere(env, "job")

    async def test_waiting_variant_queues_behind_the_holder(self, engine: AsyncEngine, env) -> None:
        order: list[str] = []
        release = asyncio.Event()

        async def first() -> None:
            async with singleton(engine, "job"):
                order.append("first in")
                await release.wait()
                order.append("first out")

        async def second() -> None:
            async with singleton(engine, "job", wait=True):
                order.append("second in")

        one = asyncio.create_task(first())
        await eventually(lambda: _value(order), until=lambda o: o == ["first in"])
        two = asyncio.create_task(second())
        await eventually(lambda: _waiting_for_advisory_lock(env), what="second waits on the lock")
        release.set()
        await asyncio.gather(one, two)
        assert order == ["first in", "first out", "second in"]

    async def test_lock_of_a_dead_holder_is_released_by_postgresql(self, engine: AsyncEngine, env) -> None:
        url = env.database_url.replace("postgresql://", "postgresql+asyncpg://", 1)
        other = create_async_engine(url, poolclass=pool.NullPool)
        try:
            with pytest.raises(RuntimeError, match="taken over"):
                async with singleton(other, "job"):
                    pid = await _holder_pid(env, "job")
                    await _terminate(env, pid)  # the holder's process dies
                    async with singleton(engine, "job"):  # the lock is free at once
                        raise RuntimeError("taken over")
        finally:
            await other.dispose()
        assert not await held_elsewhere(env, "job")


class TestTransactionLock:
    async def test_held_until_commit(self, engine: AsyncEngine, env) -> None:
        async with engine.connect() as conn:
            async with conn.begin():
                await lock_transaction(AsyncSession(bind=conn), "points:rebuild")
                assert await held_elsewhere(env, "points:rebuild")
                async with engine.connect() as other_conn, other_conn.begin():
                    with pytest.raises(Conflict):
                        await lock_transaction(AsyncSession(bind=other_conn), "points:rebuild")
            assert not await held_elsewhere(env, "points:rebuild")  # the commit released it


async def _value(order: list[str]) -> list[str]:
    return list(order)


async def _waiting_for_advisory_lock(env) -> bool:
    conn = await asyncpg.connect(env.database_url)
    try:
        return bool(await conn.fetchval(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"))
    finally:
        await conn.close()


async def _holder_pid(env, name: str) -> int:
    conn = await asyncpg.connect(env.database_url)
    try:
        key = await conn.fetchval("SELECT hashtextextended($1, 0)", name)
        return int(await conn.fetchval(
            "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted "
            "AND ((classid::bigint << 32) | objid::bigint) = $1", key))
    finally:
        await conn.close()


async def _terminate(env, pid: int) -> None:
    conn = await asyncpg.connect(env.database_url)
    try:
        await conn.fetchval("SELECT pg_terminate_backend($1)", pid)
    finally:
        await conn.close()
