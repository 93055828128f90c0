"""The migration creates exactly the tables the service's metadata describes (no drift between the two)."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.ext.asyncio import create_async_engine

from services.referral.persistence.tables import metadata


async def test_migrated_schema_matches_the_metadata(env: Any) -> None:
    url = env.database_url.replace("postgresql://", "postgresql+asyncpg://", 1)
    engine = create_async_engine(url, connect_args={"server_settings": {"search_path": "public"}})
    try:
        async with engine.connect() as conn:
            diff = await conn.run_sync(lambda sync: compare_metadata(MigrationContext.configure(
                sync, opts={"include_schemas": True, "include_name": _ours}), metadata))
    finally:
        await engine.dispose()
    assert diff == []


def _ours(name: str | None, type_: str, parent_names: dict[str, Any]) -> bool:
    if type_ == "schema":
        return name == "referral"
    return not (type_ == "table" and name == "alembic_version")
