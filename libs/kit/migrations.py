"""One Alembic tree per service, each in its own schema with its own version table.

``run_env(metadata, schema, settings)`` is all a service's ``migrations/env.py`` calls. ``upgrade`` runs a
service's migrations programmatically (used by ``make run``, the tests and the deploy job).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData, pool, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from libs.kit.settings import ServiceSettings

REPO_ROOT = Path(__file__).resolve().parents[2]
SERVICES_WITH_DB = ("registry", "points", "referral", "evaluation", "gateway")


def alembic_config(service: str, database_url: str | None = None) -> Config:
    cfg = Config(str(REPO_ROOT / "services" / service / "alembic.ini"))
    cfg.set_main_option("script_location", str(REPO_ROOT / "services" / service / "migrations"))
    if database_url:
        cfg.attributes["database_url"] = database_url
    return cfg


def upgrade(service: str, database_url: str, revision: str = "head") -> None:
    """Apply a service's migrations. Safe to call from a thread while an event loop runs elsewhere."""
    command.upgrade(alembic_config(service, database_url), revision)


def run_env(metadata: MetaData, schema: str, settings: ServiceSettings) -> None:
    url = context.config.attributes.get("database_url") or settings.async_database_url
    if url.startswith("postgresql://"):
        url = "postgresql+asyncpg://" + url[len("postgresql://"):]

    def do_run(connection: Connection) -> None:
        context.configure(connection=connection, target_metadata=metadata, version_table_schema=schema,
                          include_schemas=False)
        with context.begin_transaction():
            context.run_migrations()

    async def run_async() -> None:
        # lock_timeout: never wait long behind another session's lock during a deploy; fail and retry.
        engine = create_async_engine(url, poolclass=pool.NullPool, connect_args={
            "server_settings": {"search_path": f"{schema},public", "lock_timeout": "10s"}})
        async with engine.begin() as conn:
            await conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
        async with engine.connect() as conn:
            await conn.run_sync(do_run)
        await engine.dispose()

    asyncio.run(run_async())
