"""The ledger as an NDJSON export (format: ``services.points.audit.export``), streamed from the database.

Rows are read by position in chunks (primary key range scans) inside one REPEATABLE READ, read-only
transaction, so the export is one consistent cut of the chain; stored checkpoints are interleaved after their
entries and the export ends with a sealing checkpoint signed now at its last entry. A range export
(``from_position`` > 1) starts at the signed checkpoint at or before ``from_position - 1`` (the anchor).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime

import asyncpg

from services.points.audit.export import checkpoint_line, entry_line, header_line
from services.points.domain.chain import ChainLink, Checkpoint, SignedCheckpoint, sign_checkpoint

from .signing import SigningKey

CHUNK = 20_000
ROWS = ("SELECT position, prev_hash, hash, canonical FROM ledger_entries "
        "WHERE position > $1 AND position <= $2 ORDER BY position LIMIT $3")
CHECKPOINTS = ("SELECT position, head_hash, count, created_at, signature FROM ledger_checkpoints "
               "WHERE position > $1 AND position <= $2 ORDER BY position")


async def head_position(conn: asyncpg.Connection) -> int:
    """The last position: the head's, or a row beyond it (an owner's forged append is exported, then caught)."""
    return int(await conn.fetchval(
        "SELECT GREATEST((SELECT position FROM ledger_head WHERE id = 1), "
        "(SELECT coalesce(max(position), 0) FROM ledger_entries))"))


async def anchor_for(conn: asyncpg.Connection, from_position: int) -> int:
    """The checkpoint a range export starts after (0 = genesis)."""
    if from_position <= 1:
        return 0
    found = await conn.fetchval("SELECT max(position) FROM ledger_checkpoints WHERE position <= $1",
                                from_position - 1)
    return int(found or 0)


async def chain_links(conn: asyncpg.Connection, after: int, through: int) -> AsyncIterator[list[ChainLink]]:
    """Chunks of links (position, prev_hash, hash, stored canonical bytes) in chain order."""
    position = after
    while position < through:
        rows = await conn.fetch(ROWS, position, through, CHUNK)
        if not rows:
            return
        yield [ChainLink(r["position"], bytes(r["prev_hash"]), bytes(r["hash"]), bytes(r["canonical"]))
               for r in rows]
        position = rows[-1]["position"]


async def stored_checkpoints(conn: asyncpg.Connection, after: int, through: int) -> dict[int, SignedCheckpoint]:
    rows = await conn.fetch(CHECKPOINTS, after, through)
    return {r["position"]: SignedCheckpoint(Checkpoint(r["position"], bytes(r["head_hash"]), r["count"],
                                                       r["created_at"]), bytes(r["signature"])) for r in rows}


async def export_lines(conn: asyncpg.Connection, key: SigningKey, now: datetime, *, from_position: int = 1,
                       to_position: int | None = None, seal: bool = True) -> AsyncIterator[str]:
    """The export's lines; the caller runs this inside a REPEATABLE READ transaction."""
    through = await head_position(conn) if to_position is None else min(to_position, await head_position(conn))
    start = await anchor_for(conn, from_position)
    checkpoints = await stored_checkpoints(conn, start, through)
    yield header_line(now, key.key_id, start + 1 if start else None)
    if start:
        anchor = await stored_checkpoints(conn, start - 1, start)
        yield checkpoint_line(anchor[start])
    last: ChainLink | None = None
    async for chunk in chain_links(conn, start, through):
        for link in chunk:
            yield entry_line(link)
            if link.position in checkpoints:
                yield checkpoint_line(checkpoints[link.position])
        last = chunk[-1]
    if seal and last is not None and last.position not in checkpoints:
        yield checkpoint_line(sign_checkpoint(Checkpoint(last.position, last.hash, last.position, now), key.private))
