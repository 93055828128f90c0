"""The security audit table is append-only, enforced by PostgreSQL (row 33)."""

from __future__ import annotations

import asyncpg
import pytest

from tests.services.gateway.conftest import GatewayUnderTest


@pytest.mark.parametrize("statement", [
    "UPDATE gateway.security_audit SET result = 'success'",
    "DELETE FROM gateway.security_audit",
    "TRUNCATE gateway.security_audit",
])
@pytest.mark.parametrize("replica", [False, True])
async def test_audit_rows_cannot_be_changed(gw: GatewayUnderTest, statement: str, replica: bool) -> None:
    await gw.client.get("/api/v1/points/whoami")  # one failure record
    assert len(await gw.audit_rows()) == 1
    conn = await asyncpg.connect(gw.database_url)
    try:
        if replica:  # triggers are ENABLE ALWAYS: replication mode does not bypass them
            await conn.execute("SET session_replication_role = replica")
        with pytest.raises(asyncpg.PostgresError, match="append-only"):
            await conn.execute(statement)
    finally:
        await conn.close()
    assert len(await gw.audit_rows()) == 1
