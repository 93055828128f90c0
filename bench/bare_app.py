"""The bare FastAPI baseline: one endpoint doing one asyncpg INSERT (no auth, no ORM, no outbox).

``uvicorn --factory bench.bare_app:create_app`` with ``BENCH_BARE_DATABASE_URL``; the table is created at start.
The gateway scenario's throughput is compared with this endpoint's, measured in the same run with the same load
generator, so the ratio says what the platform's layers cost on this machine.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
from fastapi import FastAPI
from pydantic import BaseModel

TABLE = ("CREATE TABLE IF NOT EXISTS bench_bare (id bigserial PRIMARY KEY, doctor_id text NOT NULL, "
         "rule text NOT NULL, amount_tenths bigint NOT NULL, created_at timestamptz NOT NULL DEFAULT now())")


class ItemIn(BaseModel):
    doctor_id: str
    rule: str
    amount_tenths: int


class ItemOut(BaseModel):
    id: int


def create_app() -> FastAPI:
    dsn = os.environ["BENCH_BARE_DATABASE_URL"]
    pool_size = int(os.environ.get("BENCH_BARE_POOL", "10"))

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        pool = await asyncpg.create_pool(dsn, min_size=1, max_size=pool_size)
        async with pool.acquire() as conn:
            await conn.execute(TABLE)
        app.state.pool = pool
        try:
            yield
        finally:
            await pool.close()

    app = FastAPI(lifespan=lifespan)

    @app.get("/ready")
    async def ready() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/items", status_code=201, response_model=ItemOut)
    async def add(item: ItemIn) -> ItemOut:
        async with app.state.pool.acquire() as conn:
            new_id = await conn.fetchval("INSERT INTO bench_bare (doctor_id, rule, amount_tenths) VALUES ($1, $2, $3) "
                                         "RETURNING id", item.doctor_id, item.rule, item.amount_tenths)
        return ItemOut(id=new_id)

    return app
