"""The migration creates exactly the tables ``persistence/tables.py`` describes (no drift between the two)."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.ext.asyncio import create_async_engine

from services.evaluation.persistence.tables import metadata
from tests.harness.services import TestEnv


def _in_schema(name: Any, type_: str, parent_names: dict[str, Any]) -> bool:
    if type_ == "schema":
        return name == "evaluation"
    return True


async def test_migration_matches_tables(env: TestEnv) -> None:
    url = env.database_url.replace("postgresql://", "postgresql+asyncpg://", 1)
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            diff = await conn.run_sync(lambda sync: compare_metadata(MigrationContext.configure(
                sync, opts={"include_schemas": True, "include_name": _in_schema,
                            "version_table_schema": "evaluation"}), metadata))
    finally:
        await engine.dispose()
    assert diff == []
