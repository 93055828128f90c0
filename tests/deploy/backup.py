"""Dump and restore with the embedded PostgreSQL's own client binaries, and a hash-chained ledger drill table.

The drill table holds what a ledger row must keep bit-exact for the auditor — position, prev_hash, hash and the
hashed canonical bytes — plus the signed checkpoints, built by the points domain (``build_chain``). It stands in
for ``points.ledger_entries`` until the points service ships an export CLI reading its own table (see
docs/operations.md, "Backups"): the dump, the restore and the verifier are the real ones.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterable
from datetime import datetime, timezone
from pathlib import Path

import asyncpg
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from services.points.audit.export import export_lines
from services.points.domain.chain import ChainLink, Checkpoint, SignedCheckpoint, build_chain
from tests.services.points.domain.builders import an_award_entry

DRILL_CHAIN = "points.backup_drill_chain"
DRILL_CHECKPOINTS = "points.backup_drill_checkpoints"
SIGNED_AT = datetime(2025, 1, 2, 3, 4, 5, tzinfo=timezone.utc)


def pg_tool(tool: str, *args: str) -> str:
    from pgserver._commands import POSTGRES_BIN_PATH

    done = subprocess.run([str(Path(POSTGRES_BIN_PATH) / tool), *args], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"{tool} failed ({done.returncode}): {done.stderr}"
    return done.stdout


async def write_drill_ledger(database_url: str, *, entries: int, every: int, key: Ed25519PrivateKey) -> None:
    links, checkpoints = build_chain((an_award_entry(doctor=f"D{i % 4}", unit=f"U{i % 3}") for i in range(entries)),
                                     every=every, key=key, at=SIGNED_AT)
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute(f"CREATE TABLE {DRILL_CHAIN} (position bigint PRIMARY KEY, prev_hash bytea NOT NULL, "
                           "hash bytea NOT NULL, canonical bytea NOT NULL)")
        await conn.execute(f"CREATE TABLE {DRILL_CHECKPOINTS} (position bigint PRIMARY KEY, count bigint NOT NULL, "
                           "head_hash bytea NOT NULL, created_at timestamptz NOT NULL, signature bytea NOT NULL)")
        await conn.executemany(f"INSERT INTO {DRILL_CHAIN} VALUES ($1, $2, $3, $4)",
                               [(x.position, x.prev_hash, x.hash, x.canonical) for x in links])
        await conn.executemany(f"INSERT INTO {DRILL_CHECKPOINTS} VALUES ($1, $2, $3, $4, $5)",
                               [(c.checkpoint.position, c.checkpoint.count, c.checkpoint.head_hash,
                                 c.checkpoint.created_at, c.signature) for c in checkpoints])
    finally:
        await conn.close()


async def export_drill_ledger(database_url: str, path: Path) -> Path:
    """Read the chain back from a (restored) database and write the auditor's NDJSON export."""
    conn = await asyncpg.connect(database_url)
    try:
        links = [ChainLink(r["position"], bytes(r["prev_hash"]), bytes(r["hash"]), bytes(r["canonical"]))
                 for r in await conn.fetch(f"SELECT * FROM {DRILL_CHAIN} ORDER BY position")]
        checkpoints = [SignedCheckpoint(Checkpoint(r["position"], bytes(r["head_hash"]), r["count"], r["created_at"]),
                                        bytes(r["signature"]))
                       for r in await conn.fetch(f"SELECT * FROM {DRILL_CHECKPOINTS} ORDER BY position")]
    finally:
        await conn.close()
    _write(path, export_lines(links, checkpoints, exported_at=SIGNED_AT))
    return path


def _write(path: Path, lines: Iterable[str]) -> None:
    with path.open("w", encoding="utf-8", newline="\n") as out:
        out.writelines(lines)


async def table_digests(database_url: str, schema: str) -> dict[str, str]:
    """md5 of every table's rows (text form, bytea as hex) in ``schema``, and every sequence's position."""
    conn = await asyncpg.connect(database_url)
    try:
        tables = [r["table_name"] for r in await conn.fetch(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = $1 AND table_type = 'BASE TABLE'",
            schema)]
        digests = {t: await conn.fetchval(
            f'SELECT md5(coalesce(string_agg(t::text, E\'\\n\' ORDER BY t::text), \'\')) FROM "{schema}"."{t}" t')
            for t in tables}
        for seq in await conn.fetch("SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = $1", schema):
            digests[f"sequence {seq['sequencename']}"] = str(seq["last_value"])
        return digests
    finally:
        await conn.close()
