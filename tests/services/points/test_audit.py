"""Audit: the export verifies with the offline CLI; tampering in the database is named by position by the
server-side verifier and by the CLI; replay, rebuild diff, repair, reconciliation; auditor-only access."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import asyncpg
import pytest

from services.points.ledger.diff import Parallel, diff
from services.points.runtime import connect_settings
from tests.harness import services as harness
from tests.harness.services import RunningService

from .helpers import auditor, award, doctor, office, owner_connection, seed

REPO = Path(__file__).resolve().parents[3]
ARTICLE = {"rule": "R03a", "variant": "article", "facts": {"char_count": 500, "first_author": True}}


async def cli(*args: str, stdout: Path | None = None) -> tuple[int, str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    out = stdout.open("wb") if stdout else asyncio.subprocess.PIPE
    try:
        proc = await asyncio.create_subprocess_exec(sys.executable, "-m", *args, cwd=REPO, env=env, stdout=out,
                                                    stderr=asyncio.subprocess.PIPE)
        output, errors = await proc.communicate()
    finally:
        if stdout:
            out.close()  # type: ignore[union-attr]
    return proc.returncode or 0, (output or b"").decode() + errors.decode()


async def export_to(points: RunningService, path: Path, **params: int) -> None:
    response = await points.client.get("/audit/export", params=params, headers=auditor())
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/x-ndjson")
    _write(path, response.content)


def _write(path: Path, data: bytes) -> None:
    path.write_bytes(data)


async def public_key_file(points: RunningService, tmp_path: Path) -> Path:
    body = (await points.client.get("/audit/public-key")).json()
    path = tmp_path / "key.pem"
    path.write_text(body["public_key_pem"])
    return path


async def offline_verify(points: RunningService, tmp_path: Path, **params: int) -> tuple[int, str]:
    export = tmp_path / "ledger.ndjson"
    await export_to(points, export, **params)
    key = await public_key_file(points, tmp_path)
    return await cli("services.points.audit", "verify", "--export", str(export), "--public-key", str(key))


@pytest.fixture
async def ledger(points: RunningService) -> RunningService:
    await seed(points, units=("U1", "U2"), doctors={"D1": "U1", "D2": "U2"})
    for i in range(12):
        await award(points.client, "D1" if i % 2 else "D2", **ARTICLE)
    return points


async def tamper(env: harness.TestEnv, sql: str, *args: object) -> None:
    """What an owner (or superuser) can still do: switch the guard triggers off, edit, switch them back on."""
    conn = await owner_connection(env)
    try:
        await conn.execute("ALTER TABLE ledger_entries DISABLE TRIGGER USER")
        await conn.execute(sql, *args)
        for name in ("ledger_entries_refuse_change", "ledger_entries_refuse_truncate"):
            await conn.execute(f"ALTER TABLE ledger_entries ENABLE ALWAYS TRIGGER {name}")
    finally:
        await conn.close()


class TestExport:
    async def test_the_export_verifies_offline(self, ledger: RunningService, tmp_path: Path) -> None:
        code, output = await offline_verify(ledger, tmp_path)
        assert code == 0, output
        assert "12 条分录" in output
        lines = (tmp_path / "ledger.ndjson").read_text().splitlines()
        assert lines[0].startswith('{"type":"header"') and lines[-1].startswith('{"type":"checkpoint"')

    async def test_a_range_export_starts_at_a_signed_checkpoint(self, ledger: RunningService, tmp_path: Path) -> None:
        code, output = await offline_verify(ledger, tmp_path, **{"from": 8, "to": 11})
        assert code == 0, output
        lines = (tmp_path / "ledger.ndjson").read_text().splitlines()
        assert '"from_position":6' in lines[0] and lines[1].startswith('{"type":"checkpoint","position":5')
        assert '"position":11,' in lines[-2]

    async def test_the_export_cli_writes_the_same_verifiable_ledger(self, ledger: RunningService,
                                                                   env: harness.TestEnv, tmp_path: Path) -> None:
        export, key = tmp_path / "cli.ndjson", tmp_path / "cli-key.pem"
        code, output = await cli("services.points.export", "--database-url", env.database_url,
                                 "--public-key-out", str(key), stdout=export)
        assert code == 0, output
        code, output = await cli("services.points.audit", "verify", "--export", str(export), "--public-key", str(key))
        assert code == 0, output

    async def test_only_auditors_export_and_verify(self, ledger: RunningService) -> None:
        for headers in (doctor("D1"), office()):
            assert (await ledger.client.get("/audit/export", headers=headers)).status_code == 403
            assert (await ledger.client.post("/audit/verify", headers=headers)).status_code == 403
        assert (await ledger.client.get("/audit/export")).status_code == 401


class TestTamper:
    async def test_clean_ledger_verifies_on_the_server(self, ledger: RunningService) -> None:
        body = (await ledger.client.post("/audit/verify", headers=auditor())).json()
        assert body["ok"] and body["entries"] == 12 and body["checkpoints"] == 2 and body["covered_through"] == 10

    async def test_an_altered_row_is_named_by_the_server_and_the_cli(self, ledger: RunningService,
                                                                     env: harness.TestEnv, tmp_path: Path) -> None:
        await tamper(env, "UPDATE ledger_entries SET canonical = convert_to(replace(convert_from(canonical, 'UTF8'), "
                          "'\"quantity\":1', '\"quantity\":9'), 'UTF8') WHERE position = 7")
        body = (await ledger.client.post("/audit/verify", headers=auditor())).json()
        assert not body["ok"]
        assert (body["finding"]["kind"], body["finding"]["position"]) == ("altered", 7)
        code, output = await offline_verify(ledger, tmp_path)
        assert code == 1 and "altered at position 7" in output

    async def test_a_deleted_row_is_named(self, ledger: RunningService, env: harness.TestEnv) -> None:
        await tamper(env, "DELETE FROM ledger_entries WHERE position = 4")
        body = (await ledger.client.post("/audit/verify", headers=auditor())).json()
        assert (body["finding"]["kind"], body["finding"]["position"]) == ("removed", 4)

    async def test_a_column_edit_outside_the_hashed_bytes_is_found_by_the_rebuild(
            self, ledger: RunningService, env: harness.TestEnv) -> None:
        await tamper(env, "UPDATE ledger_entries SET amount_tenths = 500 WHERE position = 3")
        assert (await ledger.client.post("/audit/verify", headers=auditor())).json()["ok"]  # the chain is intact
        body = (await ledger.client.get("/audit/projections/diff", headers=auditor())).json()
        assert not body["ok"]
        assert {"position": 3, "column": "amount_tenths", "stored": 500, "expected": 10}.items() <= \
            body["row_mismatches"][0].items()


class TestRebuild:
    async def test_rebuild_equals_live(self, ledger: RunningService, env: harness.TestEnv) -> None:
        body = (await ledger.client.get("/audit/projections/diff", headers=auditor())).json()
        assert body["ok"] and body["difference_count"] == 0 and body["entries"] == 12
        code, output = await cli("services.points.rebuild", "--check", "--database-url", env.database_url)
        assert code == 0 and "OK" in output, output

    async def test_a_drifted_projection_is_reported_and_repaired(self, ledger: RunningService,
                                                                  env: harness.TestEnv) -> None:
        conn = await owner_connection(env)
        try:
            await conn.execute("UPDATE balances SET balance_tenths = balance_tenths + 10 WHERE account = 'member:D1'")
            await conn.execute("DELETE FROM earnings WHERE subject = 'U2' AND year = 0 AND area = '*'")
        finally:
            await conn.close()
        body = (await ledger.client.get("/audit/projections/diff", headers=auditor())).json()
        assert body["difference_count"] == 2
        assert {d["table"] for d in body["differences"]} == {"balances", "earnings"}
        code, output = await cli("services.points.rebuild", "--check", "--database-url", env.database_url)
        assert code == 1 and "FAILED" in output
        code, output = await cli("services.points.rebuild", "--repair", "--database-url", env.database_url)
        assert code == 0, output
        assert (await ledger.client.get("/audit/projections/diff", headers=auditor())).json()["ok"]

    async def test_the_parallel_scan_equals_the_sequential_one(self, ledger: RunningService) -> None:
        settings = ledger.runtime.points_settings
        conn = await asyncpg.connect(settings.asyncpg_dsn, server_settings=connect_settings(settings))
        try:
            async with conn.transaction(isolation="repeatable_read", readonly=True):
                parallel = Parallel(settings.asyncpg_dsn, connect_settings(settings), jobs=3, min_entries=0)
                sequential = await diff(conn, ledger.runtime.ledger.policy)
                spread = await diff(conn, ledger.runtime.ledger.policy, parallel=parallel)
        finally:
            await conn.close()
        assert sequential.ok and spread.ok
        assert (spread.entries, spread.awards_checked) == (sequential.entries, sequential.awards_checked) == (12, 12)

    async def test_replay_recomputes_every_award(self, ledger: RunningService) -> None:
        body = (await ledger.client.post("/audit/replay", headers=auditor())).json()
        assert body == {"ok": True, "entries": 12, "checked": 12, "mismatches": []}


async def test_public_key_names_the_signing_key(ledger: RunningService) -> None:
    body = (await ledger.client.get("/audit/public-key")).json()
    assert body["algorithm"] == "Ed25519" and body["key_id"] == ledger.runtime.ledger.key.key_id
    assert body["public_key_pem"].startswith("-----BEGIN PUBLIC KEY-----")
