"""Singleton jobs across replicas (year close, rebuilds, reconciliations): a PostgreSQL advisory lock by name.

Two forms, both keyed by ``hashtextextended(name, 0)`` (64-bit, so distinct names practically never collide):

- ``singleton(engine, name)`` — an async context manager holding a *session* lock on a connection of its own for
  as long as the block runs, across as many transactions as the job needs. ``wait=False`` (default) refuses at once
  with ``Conflict`` ("另一个实例正在执行…") when another replica holds it; ``wait=True`` queues behind it.
- ``lock_transaction(session, name)`` — a *transaction* lock inside the caller's transaction (the request- or
  message-owned one), released by its commit or rollback. For a job that is one transaction.

If the holder's process dies, PostgreSQL drops its connection and with it the lock: no stale lock to clean up.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from libs.kit.errors import Conflict

_KEY = "hashtextextended(:name, 0)"


def busy(name: str) -> Conflict:
    return Conflict(f"另一个实例正在执行 {name}，请稍后再试", job=name)


@asynccontextmanager
async def singleton(engine: AsyncEngine, name: str, *, wait: bool = False) -> AsyncIterator[None]:
    """Run the block in at most one replica at a time."""
    # AUTOCOMMIT: the lock belongs to the session, so no transaction stays open (idle in transaction) meanwhile.
    async with engine.connect() as conn:
        conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
        if wait:
            await conn.execute(text(f"SELECT pg_advisory_lock({_KEY})"), {"name": name})
        elif not await conn.scalar(text(f"SELECT pg_try_advisory_lock({_KEY})"), {"name": name}):
            raise busy(name)
        try:
            yield
        finally:
            await _unlock(conn, name)


async def _unlock(conn: AsyncConnection, name: str) -> None:
    # A pooled connection must never go back to the pool still holding the lock: if unlocking fails, discard it.
    try:
        released = await conn.scalar(text(f"SELECT pg_advisory_unlock({_KEY})"), {"name": name})
    except Exception:
        released = False
    if not released:
        await conn.invalidate()


async def lock_transaction(session: AsyncSession, name: str, *, wait: bool = False) -> None:
    """Hold ``name`` until the session's transaction ends; ``Conflict`` at once if another holds it."""
    if wait:
        await session.execute(text(f"SELECT pg_advisory_xact_lock({_KEY})"), {"name": name})
    elif not await session.scalar(text(f"SELECT pg_try_advisory_xact_lock({_KEY})"), {"name": name}):
        raise busy(name)
