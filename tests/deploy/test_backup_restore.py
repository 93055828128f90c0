"""Backup drill (docs/operations.md "Backups"): ``pg_dump`` the points schema, restore it into a fresh database,
prove the restore with the auditor's offline verifier, and check the service can run on it.

Uses the embedded PostgreSQL's own ``pg_dump`` / ``pg_restore`` (same major version as the server).
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from libs.events.envelope import Envelope
from libs.events.outbox import Outbox
from libs.kit.migrations import REPO_ROOT, upgrade
from services.points.domain.keys import generate_signing_key, save_public_key
from services.points.persistence.tables import events as points_events
from tests.deploy.backup import DRILL_CHAIN, export_drill_ledger, pg_tool, table_digests, write_drill_ledger
from tests.harness import databases


@pytest.fixture
async def restored_db(engines) -> AsyncIterator[str]:
    name = await databases.create_template(engines.pg_server_url)  # an empty database
    try:
        yield engines.database_url(name)
    finally:
        await databases.drop(engines.pg_server_url, name)


async def write_outbox(database_url: str, n: int) -> list[Envelope]:
    envelopes = [Envelope(id=f"evt-{i}", source="/alliance/points", type="alliance.points.entry.recorded",
                          dataversion=1, time="2025-01-02T03:04:05Z", traceparent=f"00-{i:032x}-{i:016x}-01",
                          data={"position": i, "memo": "积分 ✓"}) for i in range(1, n + 1)]
    conn = await asyncpg.connect(database_url)
    try:
        rows = Outbox(points_events.outbox, namespace="").rows(*envelopes)
        await conn.executemany(
            "INSERT INTO points.outbox (event_id, subject, type, payload, headers) VALUES ($1, $2, $3, $4, $5::jsonb)",
            [(r["event_id"], r["subject"], r["type"], r["payload"], _json(r["headers"])) for r in rows])
        await conn.execute("UPDATE points.outbox SET published_at = now() WHERE position <= $1", n // 2)
    finally:
        await conn.close()
    return envelopes


def verify(export: Path, public_key: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "services.points.audit", "verify", "--export", str(export),
                           "--public-key", str(public_key), "--jobs", "1"],
                          capture_output=True, text=True, cwd=REPO_ROOT, timeout=120)


class TestPointsBackup:
    async def test_dump_restore_verify(self, env, restored_db: str, tmp_path: Path) -> None:
        key = generate_signing_key()
        save_public_key(tmp_path / "ledger.pub", key.public_key())
        await write_drill_ledger(env.database_url, entries=60, every=25, key=key)
        envelopes = await write_outbox(env.database_url, 12)

        dump = tmp_path / "points.dump"
        pg_tool("pg_dump", "--format=custom", "--schema=points", f"--file={dump}", f"--dbname={env.database_url}")
        pg_tool("pg_restore", "--exit-on-error", "--single-transaction", f"--dbname={restored_db}", str(dump))

        # Every table of the schema (outbox, inbox, ledger, projections, alembic_version …) and every sequence
        # comes back identical, bytes included.
        assert await table_digests(restored_db, "points") == await table_digests(env.database_url, "points")
        conn = await asyncpg.connect(restored_db)
        try:
            rows = await conn.fetch("SELECT payload FROM points.outbox ORDER BY position")
            payloads = [bytes(r["payload"]) for r in rows]
            assert payloads == [e.to_bytes() for e in envelopes]
            # The outbox sequence continues after the restored rows: new events do not collide with old positions.
            position = await conn.fetchval("INSERT INTO points.outbox (event_id, subject, type, payload) "
                                           "VALUES ('after-restore', 's', 't', '\\x00') RETURNING position")
            assert position == len(envelopes) + 1
        finally:
            await conn.close()

        # The auditor's verifier proves the restored ledger from an export alone.
        result = verify(await export_drill_ledger(restored_db, tmp_path / "restored.ndjson"), tmp_path / "ledger.pub")
        assert result.returncode == 0, result.stdout + result.stderr
        assert "OK: 60 entries" in result.stdout

        # The restored schema is at the head of the points migrations: upgrading it changes nothing.
        before = await table_digests(restored_db, "points")
        await asyncio.to_thread(upgrade, "points", restored_db)
        assert await table_digests(restored_db, "points") == before

    async def test_a_restore_altered_after_the_dump_is_caught(self, env, restored_db: str, tmp_path: Path) -> None:
        key = generate_signing_key()
        save_public_key(tmp_path / "ledger.pub", key.public_key())
        await write_drill_ledger(env.database_url, entries=30, every=10, key=key)
        dump = tmp_path / "points.dump"
        pg_tool("pg_dump", "--format=custom", "--schema=points", f"--file={dump}", f"--dbname={env.database_url}")
        pg_tool("pg_restore", "--exit-on-error", "--single-transaction", f"--dbname={restored_db}", str(dump))
        conn = await asyncpg.connect(restored_db)
        try:  # a superuser edits one restored row
            await conn.execute(f"UPDATE {DRILL_CHAIN} SET canonical = convert_to(replace(convert_from(canonical, "
                               "'UTF8'), '\"quantity\":1', '\"quantity\":2'), 'UTF8') WHERE position = 14")
        finally:
            await conn.close()
        result = verify(await export_drill_ledger(restored_db, tmp_path / "altered.ndjson"), tmp_path / "ledger.pub")
        assert result.returncode == 1, result.stdout + result.stderr
        assert "altered at position 14" in result.stdout


def _json(value: object) -> str:
    import json

    return json.dumps(value)
