"""``append_entries`` against real PostgreSQL: dense positions, stream versions, the hash chain and signed
checkpoints, idempotent sources, all-or-nothing batches, and serialised concurrent writers."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from decimal import Decimal

import asyncpg
import pytest
from sqlalchemy import func, select

from libs.kit.errors import Conflict
from services.points.domain.canonical import canonical_entry
from services.points.domain.chain import GENESIS_PREV_HASH, Checkpoint, SignedCheckpoint, link_hash, verify_checkpoint
from services.points.domain.keys import load_public_key
from services.points.domain.ledger import redemption_hold_entry, reversal_entry
from services.points.ledger.append import COPY_THRESHOLD, append_entries
from services.points.ledger.model import NewEntry, new_award, new_entry_id
from services.points.persistence.tables import events, ledger_checkpoints, ledger_entries
from tests.harness.services import RunningService
from tests.services.points.domain.builders import an_award

from .conftest import NOW
from .helpers import ALLIANCE, app_connection, uid


def awards(n: int, *, doctor: str = "D1", source: bool = True) -> list[NewEntry]:
    return [new_award(an_award(), alliance_id=ALLIANCE, doctor_id=doctor, unit_id="U1", occurred_at=NOW,
                      recorded_at=NOW, source_event_id=uid("src") if source else None) for _ in range(n)]


async def append(points: RunningService, entries: list[NewEntry], **kwargs):  # type: ignore[no-untyped-def]
    async with points.runtime.transaction() as session:
        return await append_entries(session, entries, config=points.runtime.ledger, **kwargs)


async def rows(points: RunningService) -> list[dict]:  # type: ignore[type-arg]
    async with points.runtime.transaction() as session:
        result = await session.execute(select(ledger_entries).order_by(ledger_entries.c.position))
        return [dict(r) for r in result.mappings()]


async def count(points: RunningService, table) -> int:  # type: ignore[no-untyped-def]
    async with points.runtime.transaction() as session:
        return int(await session.scalar(select(func.count()).select_from(table)) or 0)


class TestChain:
    async def test_positions_are_dense_and_each_hash_covers_the_stored_bytes(self, points: RunningService) -> None:
        stored = await append(points, awards(3) + awards(2, doctor="D2"))
        stored += await append(points, awards(4))
        assert [s.position for s in stored] == list(range(1, 10))
        prev = GENESIS_PREV_HASH
        for row, entry in zip(await rows(points), stored, strict=True):
            assert bytes(row["prev_hash"]) == prev
            assert bytes(row["canonical"]) == canonical_entry(entry.entry, row["position"])
            assert bytes(row["hash"]) == link_hash(prev, bytes(row["canonical"]))
            prev = bytes(row["hash"])

    async def test_stream_versions_and_running_balances(self, points: RunningService) -> None:
        stored = await append(points, awards(2) + awards(1, doctor="D2") + awards(1))
        assert [(s.stream, s.stream_version, s.balance_after) for s in stored] == [
            ("member:D1", 1, Decimal("5.0")), ("member:D1", 2, Decimal("10.0")), ("member:D2", 1, Decimal("5.0")),
            ("member:D1", 3, Decimal("15.0"))]

    async def test_checkpoints_are_signed_every_n_entries(self, points: RunningService) -> None:
        await append(points, awards(12))
        async with points.runtime.transaction() as session:
            found = (await session.execute(select(ledger_checkpoints).order_by(ledger_checkpoints.c.position))
                     ).mappings().all()
        key = load_public_key(points.runtime.ledger.key.public_pem.encode())
        assert [c["position"] for c in found] == [5, 10]
        by_position = {r["position"]: bytes(r["hash"]) for r in await rows(points)}
        for c in found:
            signed = SignedCheckpoint(Checkpoint(c["position"], bytes(c["head_hash"]), c["count"], c["created_at"]),
                                      bytes(c["signature"]))
            assert verify_checkpoint(signed, key) and bytes(c["head_hash"]) == by_position[c["position"]]

    async def test_a_big_batch_goes_through_copy_and_chains_the_same(self, points: RunningService) -> None:
        stored = await append(points, awards(COPY_THRESHOLD + 5))
        assert stored[-1].position == COPY_THRESHOLD + 5
        assert await count(points, events.outbox) == COPY_THRESHOLD + 5
        prev = GENESIS_PREV_HASH
        for row in await rows(points):
            assert bytes(row["hash"]) == link_hash(prev, bytes(row["canonical"]))
            prev = bytes(row["hash"])


class TestIdempotentSources:
    async def test_a_recorded_source_is_refused_or_skipped(self, points: RunningService) -> None:
        [first] = await append(points, awards(1))
        again = new_award(an_award(), alliance_id=ALLIANCE, doctor_id="D1", unit_id="U1", occurred_at=NOW,
                          recorded_at=NOW, source_event_id=first.entry.source_event_id)
        with pytest.raises(Conflict, match="已记账"):
            await append(points, [again])
        [skipped] = await append(points, [again], on_duplicate="skip")
        assert skipped.duplicate and skipped.position == first.position and skipped.entry == first.entry
        assert await count(points, ledger_entries) == 1

    async def test_skip_appends_the_new_ones_of_a_mixed_batch(self, points: RunningService) -> None:
        [first] = await append(points, awards(1))
        again = new_award(an_award(), alliance_id=ALLIANCE, doctor_id="D1", unit_id="U1", occurred_at=NOW,
                          recorded_at=NOW, source_event_id=first.entry.source_event_id)
        result = await append(points, [*awards(1), again, *awards(1)], on_duplicate="skip")
        assert [(s.position, s.duplicate) for s in result] == [(2, False), (1, True), (3, False)]


class TestAllOrNothing:
    async def test_a_refused_entry_writes_nothing_of_its_batch(self, points: RunningService) -> None:
        await append(points, awards(1))
        hold = redemption_hold_entry(entry_id=new_entry_id(), redemption_id="RD1", doctor_id="D1",
                                     amount=Decimal("100.0"), at=NOW)
        with pytest.raises(Conflict, match="积分余额不足"):
            await append(points, [*awards(2), NewEntry(hold, ALLIANCE)])
        assert await count(points, ledger_entries) == 1
        assert await count(points, events.outbox) == 1

    async def test_an_entry_is_reversed_once(self, points: RunningService) -> None:
        [original] = await append(points, awards(1))
        reversal = reversal_entry(original.entry, entry_id=new_entry_id(), occurred_at=NOW, recorded_at=NOW,
                                  memo="误报")
        await append(points, [NewEntry(reversal, ALLIANCE)])
        twice = reversal_entry(original.entry, entry_id=new_entry_id(), occurred_at=NOW, recorded_at=NOW, memo="再次")
        with pytest.raises(Conflict, match="已冲正"):
            await append(points, [NewEntry(twice, ALLIANCE)])


class TestConcurrentWriters:
    async def test_parallel_transactions_are_serialised_without_gaps(self, points: RunningService) -> None:
        results = await asyncio.gather(*(append(points, awards(3, doctor=f"D{i % 4}")) for i in range(12)))
        positions = sorted(s.position for batch in results for s in batch)
        assert positions == list(range(1, 37))
        versions = sorted((s.stream, s.stream_version) for batch in results for s in batch)
        assert len(set(versions)) == 36

    async def test_a_stale_stream_version_is_a_conflict_not_an_overwrite(self, points: RunningService, env) -> None:
        await append(points, awards(1))
        conn = await app_connection(env)
        try:
            row = await conn.fetchrow("SELECT * FROM ledger_entries WHERE position = 1")
            values = dict(row) | {"position": 2, "entry_id": "forged", "source_event_id": None}
            columns = ", ".join(values)
            placeholders = ", ".join(f"${i}" for i in range(1, len(values) + 1))
            with pytest.raises(asyncpg.UniqueViolationError, match="stream_version"):
                await conn.execute(f"INSERT INTO ledger_entries ({columns}) VALUES ({placeholders})", *values.values())
        finally:
            await conn.close()


async def test_entries_dated_later_than_recorded_keep_both_times(points: RunningService) -> None:
    late = new_award(an_award(), alliance_id=ALLIANCE, doctor_id="D1", unit_id="U1",
                     occurred_at=NOW - timedelta(days=30), recorded_at=NOW)
    [stored] = await append(points, [late])
    [row] = await rows(points)
    assert row["occurred_at"] == NOW - timedelta(days=30) and row["recorded_at"] == NOW
    assert row["business_date"] == stored.business_date
