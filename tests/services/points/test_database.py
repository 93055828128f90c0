"""The database itself keeps the ledger append-only: privileges for the app role, ALWAYS triggers for the
owner (also in replica mode), and the migrated schema matches ``persistence/tables.py``."""

from __future__ import annotations

import asyncpg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from services.points.persistence.tables import APPEND_ONLY, metadata
from tests.harness import services as harness
from tests.harness.services import RunningService

from .helpers import app_connection, award, owner_connection, seed

STATEMENTS = {
    "update": "UPDATE {table} SET {column} = {column}",
    "delete": "DELETE FROM {table}",
    "truncate": "TRUNCATE {table}",
}
COLUMNS = {"ledger_entries": "memo", "ledger_checkpoints": "key_id", "year_closes": "actor",
           "year_close_totals": "points_tenths", "claim_evidence": "filename", "claim_transitions": "reason"}


@pytest.fixture
async def ledger_with_rows(points: RunningService, env: harness.TestEnv) -> harness.TestEnv:
    await seed(points)
    for _ in range(5):  # checkpoint_every=5: a checkpoint row exists too
        await award(points.client)
    return env


class TestAppendOnly:
    @pytest.mark.parametrize("operation", sorted(STATEMENTS))
    @pytest.mark.parametrize("table", APPEND_ONLY)
    async def test_app_role_is_refused_by_privileges(self, ledger_with_rows: harness.TestEnv, table: str,
                                                     operation: str) -> None:
        conn = await app_connection(ledger_with_rows)
        try:
            assert await conn.fetchval("SELECT current_user") == "points_app"
            with pytest.raises(asyncpg.InsufficientPrivilegeError, match="permission denied"):
                await conn.execute(STATEMENTS[operation].format(table=table, column=COLUMNS[table]))
        finally:
            await conn.close()

    @pytest.mark.parametrize("operation", sorted(STATEMENTS))
    @pytest.mark.parametrize("replica", [False, True])
    async def test_owner_is_refused_by_always_triggers(self, ledger_with_rows: harness.TestEnv, operation: str,
                                                       replica: bool) -> None:
        settings = {"session_replication_role": "replica"} if replica else {}
        conn = await owner_connection(ledger_with_rows, **settings)
        try:
            if replica:
                assert await conn.fetchval("SHOW session_replication_role") == "replica"
            rows = await conn.fetchval("SELECT count(*) FROM ledger_entries")
            with pytest.raises(asyncpg.InsufficientPrivilegeError, match="积分账本只允许追加"):
                await conn.execute(STATEMENTS[operation].format(table="ledger_entries", column="memo"))
            assert await conn.fetchval("SELECT count(*) FROM ledger_entries") == rows == 5
        finally:
            await conn.close()

    async def test_app_role_may_insert_and_read(self, ledger_with_rows: harness.TestEnv) -> None:
        conn = await app_connection(ledger_with_rows)
        try:
            assert await conn.fetchval("SELECT count(*) FROM ledger_entries") == 5
            assert await conn.fetchval("SELECT position FROM ledger_head") == 5
        finally:
            await conn.close()

    async def test_the_service_connects_as_the_app_role(self, points: RunningService) -> None:
        async with points.runtime.transaction() as session:
            assert await session.scalar(text("SELECT current_user")) == "points_app"


class TestSchema:
    async def test_migration_matches_the_table_definitions(self, env: harness.TestEnv) -> None:
        engine = create_async_engine(env.database_url.replace("postgresql://", "postgresql+asyncpg://", 1))
        try:
            async with engine.connect() as conn:
                diffs = await conn.run_sync(_compare)
        finally:
            await engine.dispose()
        assert diffs == []


def _compare(conn: Connection) -> list[object]:
    context = MigrationContext.configure(conn, opts={"include_schemas": True, "compare_type": True,
                                                     "include_name": _points_only})
    return list(compare_metadata(context, metadata))


def _points_only(name: str | None, type_: str, parent_names: dict[str, str | None]) -> bool:
    if type_ == "schema":
        return name == "points"
    return not (type_ == "table" and name == "alembic_version")
