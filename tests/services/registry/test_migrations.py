"""The registry migrations create exactly the tables the service declares (no drift between the copy in
``registry_0002`` and ``persistence/tables.py``), and downgrade cleanly."""

from __future__ import annotations

import asyncio
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.ext.asyncio import create_async_engine

from libs.kit.migrations import alembic_config
from services.registry.persistence.tables import metadata
from tests.harness import services as harness


def _diff(connection: Any) -> list[Any]:
    def include(name: str | None, kind: str, _: Any) -> bool:
        return name == "registry" if kind == "schema" else name != "alembic_version"

    context = MigrationContext.configure(connection, opts={"include_schemas": True, "include_name": include})
    return list(compare_metadata(context, metadata))


async def test_migrated_schema_matches_the_declared_tables(env: harness.TestEnv) -> None:
    engine = create_async_engine(env.database_url.replace("postgresql://", "postgresql+asyncpg://", 1))
    try:
        async with engine.connect() as conn:
            assert await conn.run_sync(_diff) == []
    finally:
        await engine.dispose()


async def test_downgrade_to_event_tables_and_back(env: harness.TestEnv) -> None:
    config = alembic_config("registry", env.database_url)
    await asyncio.to_thread(command.downgrade, config, "registry_0001")
    await asyncio.to_thread(command.upgrade, config, "head")
