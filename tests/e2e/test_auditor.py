"""Journey 3 — the auditor, through the gateway only, and offline.

The alliance office writes to the ledger (direct awards, an adjustment, a reversal). The auditor exports the
ledger (streamed NDJSON ending with a signed sealing checkpoint), fetches the published checkpoint key, and
verifies the export OFFLINE with the CLI (a subprocess: nothing of the running platform is needed); the
server-side verification, the replay of every award under its recorded rule and scheme version, and the
projection rebuild all report no difference.

Then a row is altered in the database. The guard triggers refuse it even to the superuser, also under
``session_replication_role = replica`` (they are ENABLE ALWAYS); only disabling the trigger explicitly, in a
transaction, lets the edit through. The API verification and the CLI on a new export both name the entry's
position and the kind of tampering.
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from libs.auth.principal import Role
from tests.e2e.stack import Stack
from tests.e2e.world import add_doctor, hunan, points_knows_doctor, refused, this_year

REPO = Path(__file__).resolve().parents[2]


async def cli(export: Path, key: Path) -> tuple[int, str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "services.points.audit", "verify", "--export", str(export), "--public-key", str(key),
        "--jobs", "1", cwd=REPO, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await proc.communicate()
    return proc.returncode or 0, out.decode() + err.decode()


async def export_to(stack: Stack, auditor: dict[str, str], path: Path) -> list[str]:
    response = await stack.get("/points/audit/export", auditor)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/x-ndjson")
    await asyncio.to_thread(path.write_bytes, response.content)
    return response.text.splitlines()


async def tamper(stack: Stack, sql: str, *args: Any) -> str:
    """As the database superuser: the guard trigger switched off for one transaction, on again at its end."""
    conn = await asyncpg.connect(stack.env.database_url)
    try:
        async with conn.transaction():
            await conn.execute("ALTER TABLE points.ledger_entries DISABLE TRIGGER ledger_entries_refuse_change")
            status = await conn.execute(sql, *args)
            await conn.execute("ALTER TABLE points.ledger_entries ENABLE ALWAYS TRIGGER ledger_entries_refuse_change")
        return str(status)
    finally:
        await conn.close()


async def test_the_auditor_verifies_offline_and_finds_an_altered_entry(stack: Stack, tmp_path: Path) -> None:
    alliance = await hunan(stack)
    liu = await add_doctor(stack, alliance, "liu", institution_id=alliance.member_id(0), name="刘芳")
    he = await add_doctor(stack, alliance, "he", institution_id=alliance.member_id(1), name="何伟")
    for doctor in (liu, he):
        await points_knows_doctor(stack, alliance, doctor)
    office, year = alliance.office(), str(this_year(stack))

    async def write(path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = await stack.post(f"/points{path}", office, json=body)
        assert response.status_code == 201, response.text
        return dict(response.json())

    inflated = await write("/awards/direct", {"rule": "R16", "variant": "director", "doctor_id": liu["id"],
                                              "facts": {"year": year}})
    deputy = await write("/awards/direct", {"rule": "R16", "variant": "deputy_director", "doctor_id": he["id"],
                                            "facts": {"year": year}})
    await write("/adjustments", {"doctor_id": he["id"], "amount": "12", "reason": "会议签到补录"})
    await write(f"/entries/{deputy['entry_id']}/reversals", {"reason": "任职文件有误，撤销副主任赋分"})

    auditor = Stack.as_(Role.AUDITOR, sub="auditor-wang")
    key = await stack.get("/points/audit/public-key", auditor)
    assert key.status_code == 200 and key.json()["algorithm"] == "Ed25519", key.text
    key_file = tmp_path / "checkpoint-key.pem"
    await asyncio.to_thread(key_file.write_text, key.json()["public_key_pem"])

    # ---- the untouched ledger: verified offline and on the server, replayed, rebuilt ------------------------
    lines = await export_to(stack, auditor, tmp_path / "ledger.ndjson")
    assert lines[0].startswith('{"type":"header"') and lines[-1].startswith('{"type":"checkpoint"')
    code, output = await cli(tmp_path / "ledger.ndjson", key_file)
    assert code == 0, output
    assert "校验通过：4 条分录" in output and "OK: 4 entries" in output

    verified = await stack.post("/points/audit/verify", auditor)
    assert verified.status_code == 200, verified.text
    assert (verified.json()["ok"], verified.json()["entries"], verified.json()["finding"]) == (True, 4, None)
    replay = (await stack.post("/points/audit/replay", auditor)).json()
    assert (replay["ok"], replay["mismatches"]) == (True, [])
    rebuilt = (await stack.get("/points/audit/projections/diff", auditor)).json()
    assert (rebuilt["ok"], rebuilt["difference_count"], rebuilt["row_mismatches"]) == (True, 0, [])

    # ---- the guard: no UPDATE, not for the superuser, not as a "replica" session ----------------------------
    conn = await asyncpg.connect(stack.env.database_url)
    try:
        for setup in ("SET session_replication_role = origin", "SET session_replication_role = replica"):
            await conn.execute(setup)
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await conn.execute("UPDATE points.ledger_entries SET occurred_at = occurred_at WHERE position = $1",
                                   inflated["position"])
    finally:
        await conn.close()

    # ---- someone with the owner's keys inflates 刘芳's award 50 → 500 ------------------------------------------
    account = f'["member:{liu["id"]}",'
    status = await tamper(stack, "UPDATE points.ledger_entries SET canonical = convert_to(replace("
                                 "convert_from(canonical, 'UTF8'), $2 || '500]', $2 || '5000]'), 'UTF8') "
                                 "WHERE position = $1 AND strpos(convert_from(canonical, 'UTF8'), $2 || '500]') > 0",
                          inflated["position"], account)
    assert status == "UPDATE 1"

    found = (await stack.post("/points/audit/verify", auditor)).json()
    assert found["ok"] is False
    assert (found["finding"]["kind"], found["finding"]["position"]) == ("altered", inflated["position"])
    await export_to(stack, auditor, tmp_path / "ledger-after.ndjson")
    code, output = await cli(tmp_path / "ledger-after.ndjson", key_file)
    assert code == 1, output
    assert f"altered at position {inflated['position']}" in output

    # The auditor reads; it never writes.
    refused(await stack.post("/points/awards/direct", auditor, json={
        "rule": "R16", "variant": "director", "doctor_id": liu["id"], "facts": {"year": "x"}}), 403)
