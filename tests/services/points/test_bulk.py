"""Bulk ingestion through the real append path, pipelined; interleaved API writers force re-planning under the
lock; the result verifies and rebuilds like any other ledger."""

from __future__ import annotations

import asyncio

import asyncpg

from services.points.bulk import AwardFactory, bulk_append, synthetic
from services.points.runtime import connect_settings
from tests.harness import services as harness
from tests.harness.services import RunningService

from .helpers import auditor, award, seed
from .test_audit import cli


async def connections(points: RunningService) -> tuple[asyncpg.Connection, asyncpg.Connection]:
    settings = points.runtime.points_settings
    return (await asyncpg.connect(settings.asyncpg_dsn, server_settings=connect_settings(settings)),
            await asyncpg.connect(settings.asyncpg_dsn, server_settings=connect_settings(settings)))


async def assert_sound(points: RunningService, entries: int) -> None:
    diff = (await points.client.get("/audit/projections/diff", headers=auditor())).json()
    assert diff["ok"] and diff["entries"] == entries, diff
    verified = (await points.client.post("/audit/verify", headers=auditor())).json()
    assert verified["ok"] and verified["entries"] == entries, verified


class TestBulk:
    async def test_batches_are_chained_and_projected_like_single_appends(self, points: RunningService) -> None:
        writer, reader = await connections(points)
        try:
            report = await bulk_append(writer, reader, synthetic(2_500, 300), config=points.runtime.ledger,
                                       factory=AwardFactory("hunan-peds-club-2024", {}), batch=1_000)
        finally:
            await writer.close()
            await reader.close()
        assert (report.entries, report.batches, report.replanned) == (2_500, 3, 0)
        await assert_sound(points, 2_500)
        board = await points.client.get("/leaderboards/individual", headers=auditor(),
                                        params={"alliance_id": "bulk-alliance", "size": 3})
        assert len(board.json()["items"]) == 3 and board.json()["items"][0]["rank"] == 1

    async def test_another_writer_in_between_makes_the_next_batch_replan(self, points: RunningService) -> None:
        await seed(points)
        writer, reader = await connections(points)

        async def interleave() -> None:
            for _ in range(6):
                await award(points.client)
                await asyncio.sleep(0.01)

        try:
            report, _ = await asyncio.gather(
                bulk_append(writer, reader, synthetic(3_000, 200), config=points.runtime.ledger,
                            factory=AwardFactory("hunan-peds-club-2024", {}), batch=300),
                interleave())
        finally:
            await writer.close()
            await reader.close()
        assert report.entries == 3_000
        await assert_sound(points, 3_006)

    async def test_the_cli(self, points: RunningService, env: harness.TestEnv) -> None:
        code, output = await cli("services.points.bulk", "--database-url", env.database_url, "--synthetic", "500",
                                 "--members", "50", "--batch", "200")
        assert code == 0 and "500 entries in 3 batches" in output, output
        await assert_sound(points, 500)
