"""Server-side verification of the chain and its signed checkpoints (链校验): the stored rows are turned into
export lines and checked by the SAME verifier auditors run offline (``services.points.audit``), so both name
the same first bad position and kind of tampering.

The verifier is synchronous and CPU-bound: it runs in a worker thread, fed through a bounded queue by the
async reader, so the event loop stays free and memory stays flat however long the ledger is.
"""

from __future__ import annotations

import asyncio
import queue
from collections.abc import Iterator
from datetime import datetime

import asyncpg
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from services.points.audit.verify import VerifyResult, verify_lines

from .export import export_lines
from .signing import SigningKey

_END = object()
_BATCH = 5_000


async def verify_ledger(conn: asyncpg.Connection, key: SigningKey, now: datetime) -> VerifyResult:
    """Verify every stored entry and checkpoint (entries after the last checkpoint are allowed: a live ledger)."""
    lines: queue.Queue[object] = queue.Queue(maxsize=8)
    worker = asyncio.create_task(asyncio.to_thread(_verify_from, lines, key.private.public_key()))
    batch: list[bytes] = []
    try:
        async for line in export_lines(conn, key, now, seal=False):
            batch.append(line.encode("ascii"))
            if len(batch) >= _BATCH:
                await _put(lines, batch, worker)
                batch = []
        await _put(lines, batch, worker)
    finally:
        await _put(lines, _END, worker)
    return await worker


async def _put(lines: queue.Queue[object], item: object, worker: asyncio.Task[VerifyResult]) -> None:
    while True:
        if worker.done():  # the verifier stopped at a finding: nothing more to feed
            return
        try:
            lines.put_nowait(item)
            return
        except queue.Full:
            await asyncio.sleep(0.001)


def _verify_from(lines: queue.Queue[object], key: Ed25519PublicKey) -> VerifyResult:
    return verify_lines(_drain(lines), key, require_sealed=False)


def _drain(lines: queue.Queue[object]) -> Iterator[bytes]:
    while True:
        item = lines.get()
        if item is _END:
            return
        assert isinstance(item, list)
        yield from item
