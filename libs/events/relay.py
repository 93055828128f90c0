"""Outbox relay: publishes unpublished rows, oldest first, to JetStream with ``Nats-Msg-Id`` = event id.

- One active relay per service schema: a session-level advisory lock elects it, so several replicas
  never publish the same rows concurrently (no double publish, no gap); the others stand by.
- Rows are sent pipelined in batches and marked published only after their PubAck. A crash between
  the ack and the mark republishes them; JetStream's duplicate window and the consumers' inbox absorb it.
- A row that fails (NATS down, payload too large, stream full) gets ``attempts``/``last_error`` and a
  backoff; it is never dropped. Published rows are kept, so ``republish`` can send a range again.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from typing import Any

import asyncpg
from nats.js import JetStreamContext

from libs.events.faults import Faults
from libs.events.outbox import notify_channel

log = logging.getLogger("events.relay")

MAX_BACKOFF_SECONDS = 30.0


class OutboxRelay:
    def __init__(self, *, dsn: str, schema: str, js: JetStreamContext, batch: int = 500,
                 poll_seconds: float = 1.0, faults: Faults | None = None) -> None:
        self.dsn = dsn
        self.schema = schema
        self.js = js
        self.batch = batch
        self.poll_seconds = poll_seconds
        self.faults = faults or Faults()
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self._conn: asyncpg.Connection | None = None
        self.is_leader = False
        self.published_total = 0

    # ---- lifecycle -------------------------------------------------------------------------
    async def run(self) -> None:
        backoff = 0.5
        while not self._stopping.is_set():
            try:
                await self._run_connected()
                backoff = 0.5
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("relay loop failed; retrying", extra={"schema": self.schema})
                await self._close()
                await self._sleep(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)

    async def stop(self) -> None:
        self._stopping.set()
        self._wake.set()
        await self._close()

    async def _run_connected(self) -> None:
        self._conn = await asyncpg.connect(self.dsn, server_settings={"search_path": self.schema})
        await self._conn.add_listener(notify_channel(self.schema), lambda *_: self._wake.set())
        while not self._stopping.is_set():
            if not self.is_leader:
                self.is_leader = await self._conn.fetchval(
                    "SELECT pg_try_advisory_lock(hashtext($1))", f"outbox-relay:{self.schema}")
            if self.is_leader:
                # Clear before reading rows: a commit notified while we publish must wake the next round.
                self._wake.clear()
                sent = await self.publish_pending()
                if sent >= self.batch:
                    continue  # more waiting: do not sleep
            await self._sleep(self.poll_seconds)

    async def _sleep(self, seconds: float) -> None:
        try:
            await asyncio.wait_for(self._wake.wait(), timeout=seconds)
        except TimeoutError:
            pass

    async def _close(self) -> None:
        conn, self._conn, self.is_leader = self._conn, None, False
        if conn is not None and not conn.is_closed():
            await conn.close()  # closing the session releases the advisory lock

    # ---- publishing ------------------------------------------------------------------------
    async def publish_pending(self) -> int:
        assert self._conn is not None
        rows = await self._conn.fetch(
            "SELECT position, event_id, subject, payload, headers, attempts FROM outbox "
            "WHERE published_at IS NULL AND (next_attempt_at IS NULL OR next_attempt_at <= now()) "
            "ORDER BY position LIMIT $1", self.batch)
        if not rows:
            return 0
        results = await asyncio.gather(*(self._publish(r) for r in rows), return_exceptions=True)
        done = [r["position"] for r, res in zip(rows, results, strict=True) if not isinstance(res, BaseException)]
        failed = [(r, res) for r, res in zip(rows, results, strict=True) if isinstance(res, BaseException)]
        self.faults.hit("after_publish_before_mark")
        if done:
            await self._conn.execute(
                "UPDATE outbox SET published_at = now(), last_error = NULL WHERE position = ANY($1::bigint[])", done)
            self.published_total += len(done)
        if failed:
            await self._record_failures(failed)
        return len(rows)

    async def _publish(self, row: asyncpg.Record) -> Any:
        headers = row["headers"]
        if isinstance(headers, str):
            headers = json.loads(headers)
        return await self.js.publish(row["subject"], bytes(row["payload"]), headers=headers, timeout=5.0)

    async def _record_failures(self, failed: Sequence[tuple[asyncpg.Record, BaseException]]) -> None:
        log.warning("outbox publish failed", extra={"schema": self.schema, "count": len(failed),
                                                    "error": repr(failed[0][1])[:300]})
        now = datetime.now(timezone.utc)
        for row, exc in failed:
            delay = min(MAX_BACKOFF_SECONDS, 0.5 * 2 ** min(row["attempts"], 6))
            await self._conn.execute(  # type: ignore[union-attr]
                "UPDATE outbox SET attempts = attempts + 1, last_error = $2, next_attempt_at = $3 "
                "WHERE position = $1", row["position"], repr(exc)[:1000], now + timedelta(seconds=delay))


async def republish(conn: asyncpg.Connection, *, from_position: int, to_position: int | None = None) -> int:
    """Mark a range as unpublished again (after a JetStream loss); the relay sends it anew.

    Consumers' inboxes absorb what they already applied, so this is always safe.
    """
    result = await conn.execute(
        "UPDATE outbox SET published_at = NULL, next_attempt_at = NULL, attempts = 0 "
        "WHERE position >= $1 AND ($2::bigint IS NULL OR position <= $2)", from_position, to_position)
    return int(result.split()[-1])
