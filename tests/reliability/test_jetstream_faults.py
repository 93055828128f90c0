"""Reliability matrix rows 1–4, 32 and the NATS half of 22: JetStream faults under a running outbox → relay →
JetStream → inbox pipeline (the ``evtest`` service of tests/libs/events), each ending with the history check
(tests/reliability/evpipe.py) and the reconciliation job (libs/events/reconcile.py).

Every NATS server here is the test's own (``private_nats``), stopped by its PID; randomised tests print their seed.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import subprocess
import sys
import urllib.request
from pathlib import Path

import asyncpg
import pytest
from nats.js.api import StreamConfig

from libs.devstack.nats import CONFIG_TEMPLATE, EmbeddedNats
from libs.events import new_envelope
from libs.events.consumer import Outcome
from libs.events.reconcile import reconcile_gaps, reconcile_runtime
from libs.events.streams import ensure_stream, stream_name
from libs.kit.metrics import outbox_oldest_age, outbox_unpublished, refresh_runtime_gauges
from libs.kit.migrations import REPO_ROOT
from libs.kit.runtime import ServiceRuntime
from tests.deploy.replicas import create_evtest_schema, replica, started
from tests.harness.services import TestEnv
from tests.harness.waiting import eventually
from tests.libs.events.conftest import ThingHappened, tables
from tests.reliability.evpipe import History, check_history, wait_applied, wait_drained


async def _provision(env: TestEnv, nats_url: str, **stream: object) -> None:
    """The evtest stream created ahead of the service, with test-specific limits (the service keeps them)."""
    import nats

    nc = await nats.connect(nats_url)
    try:
        await ensure_stream(nc.jetstream(), env.namespace, "evtest", **stream)  # type: ignore[arg-type]
    finally:
        await nc.close()


# ---- row 1 ---------------------------------------------------------------------------------------
async def _kill_nats_mid_stream(env: TestEnv, server: EmbeddedNats, seed: int, *, events: int, kills: int,
                                timeout: float = 180.0) -> None:
    rng = random.Random(seed)
    await create_evtest_schema(env)
    history = History()
    kill_at = sorted(rng.sample(range(events // 10, events), kills))
    async with started(replica(env, nats_url=server.url, relay_batch=200)) as (runtime,):
        while len(history.acknowledged) < events:
            n = min(rng.randint(1, 60), events - len(history.acknowledged))
            await history.emit(runtime, n)  # an HTTP write: commits whether NATS is up or not
            if kill_at and len(history.acknowledged) >= kill_at[0]:
                kill_at.pop(0)
                server.stop(kill=True)  # kill -9 by PID while the relay publishes and the consumer applies
                await asyncio.sleep(rng.uniform(0.0, 0.6))
                server.start()
            if rng.random() < 0.3:
                await asyncio.sleep(rng.uniform(0.0, 0.05))  # let the relay and consumer interleave
        await wait_applied(runtime, history.acknowledged, timeout=timeout)
        await wait_drained(runtime, timeout=timeout)
        result = await check_history(runtime, history)
        assert result is not None and result.producer is not None
        assert result.producer.stream_messages >= events  # every acknowledged event is in JetStream


async def test_row1_nats_killed_mid_stream_no_acknowledged_event_lost(env: TestEnv, private_nats: EmbeddedNats,
                                                                      seed: int) -> None:
    await _kill_nats_mid_stream(env, private_nats, seed, events=600, kills=2)


@pytest.mark.soak
@pytest.mark.timeout(1800)
@pytest.mark.parametrize("run", range(3))
async def test_row1_soak_ten_thousand_events_many_kills(env: TestEnv, private_nats: EmbeddedNats, seed: int,
                                                        run: int) -> None:
    await _kill_nats_mid_stream(env, private_nats, seed + run, events=10_000, kills=8, timeout=900)


# ---- row 2 ---------------------------------------------------------------------------------------
def test_row2a_running_servers_fsync_every_write(private_nats: EmbeddedNats) -> None:
    """The embedded server of ``make run``/``make test`` runs with ``sync_interval: always`` (asked of the server)."""
    with urllib.request.urlopen(f"http://127.0.0.1:{private_nats.http_port}/varz", timeout=5) as response:
        varz = json.loads(response.read())
    assert varz["jetstream"]["config"]["sync_always"] is True
    assert "sync_interval: always" in CONFIG_TEMPLATE
    for shipped in (REPO_ROOT / "deploy" / "compose" / "nats.conf", REPO_ROOT / "deploy" / "helm" / "nats-values.yaml"):
        assert "sync_interval: always" in shipped.read_text() or "sync_interval" in shipped.read_text(), shipped


def test_row2b_lazyfs_needs_fuse() -> None:
    """Row 2(b) needs LazyFS on /dev/fuse to drop un-fsynced pages; documented as not done where it is missing."""
    if not Path("/dev/fuse").exists() or not any(
            (Path(p) / "lazyfs").exists() for p in os.environ.get("PATH", "").split(os.pathsep)):
        pytest.skip("no /dev/fuse or no lazyfs binary on this machine: row 2(b) cannot run here (docs/reliability.md)")
    pytest.fail("LazyFS is available: write the row 2(b) test")  # pragma: no cover


# ---- row 3 ---------------------------------------------------------------------------------------
async def test_row3_nats_down_longer_than_the_duplicate_window(env: TestEnv, private_nats: EmbeddedNats) -> None:
    """Published but unmarked rows are re-sent after the (2 s) duplicate window: JetStream stores them twice and the
    inbox absorbs the late duplicates; writes made while NATS is down succeed and drain on its return."""
    await create_evtest_schema(env)
    await _provision(env, private_nats.url, duplicate_window=2.0)
    history = History()
    async with started(replica(env, nats_url=private_nats.url)) as (runtime,):
        runtime.faults.arm("after_publish_before_mark")  # the relay publishes, then crashes before marking
        first = await history.emit(runtime, 10)
        await wait_applied(runtime, first)
        private_nats.stop(kill=True)
        runtime.faults.disarm("after_publish_before_mark")
        await asyncio.sleep(2.5)  # longer than the stream's duplicate window
        during = [*await history.emit(runtime, 5), *await history.emit(runtime, 5)]  # HTTP writes still succeed
        async with runtime.transaction() as session:
            waiting = await session.scalar(tables.outbox.select().with_only_columns(
                tables.outbox.c.position).where(tables.outbox.c.published_at.is_(None)).order_by(None).limit(1))
        assert waiting is not None  # the outbox grows while NATS is away
        private_nats.start()
        await wait_applied(runtime, during, timeout=90)
        await wait_drained(runtime, timeout=90)
        consumer = runtime.consumers[0]
        await eventually(lambda: _value(consumer.counts[Outcome.DUPLICATE]), until=lambda n: n >= 10,
                         what="late duplicates absorbed by the inbox")
        result = await check_history(runtime, history)
        assert result is not None and result.producer is not None
        assert result.producer.duplicates_in_stream >= 10  # beyond the window JetStream could not drop them


# ---- row 4 ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("damage", ["truncate", "bitflip"])
async def test_row4_corrupted_block_file_is_detected_and_re_relayed(env: TestEnv, private_nats: EmbeddedNats,
                                                                    damage: str) -> None:
    """NATS recovers a damaged block by dropping everything from the damage on — silently (no ``lost`` count).
    The reconciliation job sees outbox ids missing from the stream, raises the alarm, and its repair re-publishes
    them; the consumer side then reports nothing acknowledged-but-unapplied and every effect is there once."""
    await create_evtest_schema(env)
    history = History()
    async with started(replica(env, nats_url=private_nats.url)) as (runtime,):
        await history.emit(runtime, 40)
        await wait_applied(runtime, history.acknowledged)
        await wait_drained(runtime)
    private_nats.stop()
    name = stream_name(env.namespace, "evtest")
    [block] = [p for p in private_nats.store_dir.rglob("*.blk") if f"/{name}/" in str(p)]
    data = bytearray(block.read_bytes())
    if damage == "truncate":
        del data[len(data) // 2:]
    else:
        data[len(data) // 2] ^= 0x20
    block.write_bytes(bytes(data))
    private_nats.start()

    async with started(replica(env, nats_url=private_nats.url)) as (runtime,):
        found = await reconcile_runtime(runtime)
        assert found.producer is not None and found.producer.missing_in_stream > 0, found.to_json()  # not silent
        assert reconcile_gaps.labels("evtest", "producer")._value.get() == found.producer.gaps > 0  # the alarm
        if damage == "bitflip":
            # The stream's sequence went back below the durable consumer's position: the consumer would skip what
            # is published at those numbers again, so the stream is rebuilt from the outbox.
            assert found.producer.behind_consumers and found.consumers[0].stalled, found.to_json()
        repaired = await reconcile_runtime(runtime, repair=True)
        assert repaired.producer is not None
        if damage == "bitflip":
            assert repaired.producer.rebuilt and repaired.producer.republished == 40
        else:
            assert not repaired.producer.rebuilt
            assert repaired.producer.republished == found.producer.missing_in_stream
        await wait_drained(runtime)
        after = await history.emit(runtime, 5)  # and the pipeline keeps flowing
        await wait_applied(runtime, after)

        async def gaps() -> int:
            return (await reconcile_runtime(runtime)).gaps

        await eventually(gaps, until=lambda n: n == 0, timeout=30, what="reconciliation clean after re-relay")
        await check_history(runtime, history)


async def test_reconcile_command_line_reports_and_repairs(env: TestEnv, private_nats: EmbeddedNats) -> None:
    """``python -m libs.events.reconcile``: exit 1 with the gap, ``--repair`` re-publishes, then exit 0."""
    await create_evtest_schema(env)
    await _provision(env, private_nats.url, duplicate_window=1.0)
    history = History()
    async with started(replica(env, nats_url=private_nats.url)) as (runtime,):
        await history.emit(runtime, 12)
        await wait_applied(runtime, history.acknowledged)
        await wait_drained(runtime)
        assert runtime.js is not None
        name = stream_name(env.namespace, "evtest")
        for seq in (3, 7):
            await runtime.js.delete_msg(name, seq)  # JetStream "lost" two acknowledged events
        # JetStream drops a re-sent id within its duplicate window even when the message itself is gone (documented
        # in the reconcile module); this stream's window is 1 s.
        await asyncio.sleep(1.5)
        found = _cli(env, private_nats.url, "--json")
        assert found.returncode == 1, found.stderr
        report = json.loads(found.stdout)
        assert report["producer"]["missing_in_stream"] == 2
        assert sorted(report["producer"]["missing_sample"]) == sorted(history.acknowledged[i] for i in (2, 6))
        assert [c["consumer"] for c in report["consumers"]] == ["evtest-from-evtest"]
        fixed = _cli(env, private_nats.url, "--repair")
        assert fixed.returncode == 1 and "2 marked for re-publication" in fixed.stdout, fixed.stdout
        await wait_drained(runtime)
        clean = _cli(env, private_nats.url)
        assert clean.returncode == 0, clean.stdout
        await check_history(runtime, history)


async def test_consumer_gap_is_reported(env: TestEnv) -> None:
    """An event acknowledged by the consumer but absent from its inbox (and not parked) is an alarm."""
    await create_evtest_schema(env)
    history = History()
    async with started(replica(env)) as (runtime,):
        ids = await history.emit(runtime, 6)
        await wait_applied(runtime, ids)
        conn = await asyncpg.connect(env.database_url)
        try:  # the effect survives, its inbox row does not: what a buggy handler path would leave
            await conn.execute("DELETE FROM evtest.inbox WHERE event_id = $1", ids[4])
        finally:
            await conn.close()
        result = await reconcile_runtime(runtime)
        [consumer] = result.consumers
        assert consumer.missing_in_inbox == 1 and consumer.missing_sample == [ids[4]]
        assert consumer.expected == 6 and consumer.applied == 5 and consumer.pending == 0
        assert result.producer is not None and result.producer.gaps == 0


# ---- row 32 and the NATS half of row 22 ----------------------------------------------------------
async def test_row32_stream_full_outbox_keeps_rows_backs_off_and_drains(env: TestEnv,
                                                                        private_nats: EmbeddedNats) -> None:
    await create_evtest_schema(env)
    await _provision(env, private_nats.url, max_bytes=16 * 1024)
    history = History()
    async with started(replica(env, nats_url=private_nats.url)) as (runtime,):
        for _ in range(8):
            await history.emit(runtime, 10)  # ~80 events of ~400 bytes: far more than 16 KiB
        conn = await asyncpg.connect(env.database_url, server_settings={"search_path": "evtest"})
        try:
            stuck = await eventually(lambda: conn.fetch(
                "SELECT attempts, last_error, next_attempt_at FROM outbox WHERE published_at IS NULL"),
                until=lambda rows: bool(rows) and all(r["attempts"] >= 1 for r in rows), timeout=30,
                what="rows refused by the full stream")
            assert all(r["last_error"] for r in stuck)  # flagged with JetStream's refusal
            assert all(r["next_attempt_at"] is not None for r in stuck)  # backing off, not spinning
            await refresh_runtime_gauges(runtime)  # what Prometheus scrapes: the OutboxBacklog alert's inputs
            assert outbox_unpublished.labels("evtest")._value.get() == len(stuck) > 0
            assert outbox_oldest_age.labels("evtest")._value.get() > 0
            assert runtime.js is not None
            name = stream_name(env.namespace, "evtest")
            info = await runtime.js.stream_info(name)
            assert info.state.messages < len(history.acknowledged)
            config = info.config
            config.max_bytes = -1  # the operator raises the limit
            await runtime.js.update_stream(config)
            await wait_applied(runtime, history.acknowledged, timeout=90)
            await wait_drained(runtime, timeout=90)
        finally:
            await conn.close()
        await check_history(runtime, history)


async def test_row22_event_above_max_payload_is_flagged_not_lost(env: TestEnv, private_nats: EmbeddedNats) -> None:
    await create_evtest_schema(env)
    history = History()
    async with started(replica(env, nats_url=private_nats.url)) as (runtime,):
        big = new_envelope(ThingHappened(amount=-1, note="x" * (2 * 1024 * 1024)), source="/alliance/evtest")
        async with runtime.transaction() as session:
            await runtime.outbox.add(session, big)  # 2 MB > the server's 1 MB max_payload
        small = await history.emit(runtime, 3)
        await wait_applied(runtime, small)  # the rows behind it are not blocked
        conn = await asyncpg.connect(env.database_url, server_settings={"search_path": "evtest"})
        try:
            row = await eventually(lambda: conn.fetchrow(
                "SELECT published_at, attempts, last_error FROM outbox WHERE event_id = $1", big.id),
                until=lambda r: r is not None and r["attempts"] >= 1, what="oversized row flagged")
        finally:
            await conn.close()
        assert row["published_at"] is None and "payload" in row["last_error"].lower()  # kept, flagged, not lost
        await check_history(runtime, history, reconcile=False)
        result = await reconcile_runtime(runtime)
        assert result.producer is not None and result.producer.unpublished == 1 and result.gaps == 0


def _cli(env: TestEnv, nats_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.endswith(("DATABASE_URL", "NATS_URL"))}
    variables = {**clean, "PYTHONPATH": str(REPO_ROOT), "EVTEST_DATABASE_URL": env.database_url,
                 "EVTEST_NATS_URL": nats_url, "EVTEST_EVENTS_NAMESPACE": env.namespace}
    return subprocess.run([sys.executable, "-m", "libs.events.reconcile", "--service", "evtest", *args],
                          env=variables, capture_output=True, text=True, cwd=REPO_ROOT, timeout=120)


async def _value(n: int) -> int:
    return n


del StreamConfig, ServiceRuntime
