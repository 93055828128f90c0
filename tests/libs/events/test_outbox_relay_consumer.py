"""Contract tests of the events library against real PostgreSQL and JetStream."""

from __future__ import annotations

import asyncio
import dataclasses

import nats
import pytest

from libs.events import new_envelope
from libs.events.consumer import ConsumerSpec, Outcome
from libs.events.envelope import Envelope
from libs.events.registry import decode
from libs.events.relay import republish
from libs.events.streams import stream_name
from libs.kit.runtime import ServiceRuntime
from tests.harness.waiting import eventually
from tests.libs.events.conftest import Pair, ThingHappened, ThingPoisoned, apply_thing, evtest_settings, tables


async def emit(pair: Pair, *datas: ThingHappened | ThingPoisoned) -> list[Envelope]:
    envelopes = [new_envelope(d, source="/alliance/evtest") for d in datas]
    async with pair.runtime.transaction() as session:
        await pair.runtime.outbox.add(session, *envelopes)
    return envelopes


async def wait_effects(pair: Pair, n: int) -> list[tuple[str, int]]:
    return await eventually(pair.effect_rows, until=lambda rows: len(rows) >= n, what=f"{n} effects")


class TestOutboxAndRelay:
    async def test_committed_event_is_published_with_msg_id_and_kept(self, pair: Pair) -> None:
        [env] = await emit(pair, ThingHappened(amount=5))
        await wait_effects(pair, 1)
        js = pair.runtime.js
        assert js is not None
        msg = await js.get_msg(stream_name(pair.runtime.settings.events_namespace, "evtest"), 1)
        assert msg.headers and msg.headers["Nats-Msg-Id"] == env.id
        assert Envelope.from_bytes(msg.data).id == env.id
        async with pair.runtime.transaction() as s:
            row = (await s.execute(tables.outbox.select())).mappings().one()
        assert row["published_at"] is not None  # kept after publishing, marked

    async def test_rolled_back_transaction_publishes_nothing(self, pair: Pair) -> None:
        with pytest.raises(RuntimeError):
            async with pair.runtime.transaction() as session:
                await pair.runtime.outbox.add(session, new_envelope(ThingHappened(amount=1), source="/x"))
                raise RuntimeError("business rule failed after the event was written")
        await emit(pair, ThingHappened(amount=2))
        rows = await wait_effects(pair, 1)
        await asyncio.sleep(0.5)
        assert [amount for _, amount in await pair.effect_rows()] == [2] == [a for _, a in rows]

    async def test_republished_range_changes_nothing(self, pair: Pair) -> None:
        await emit(pair, ThingHappened(amount=1), ThingHappened(amount=2))
        await wait_effects(pair, 2)
        import asyncpg

        conn = await asyncpg.connect(pair.runtime.settings.asyncpg_dsn, server_settings={"search_path": "evtest"})
        assert await republish(conn, from_position=1) == 2
        await conn.close()
        await eventually(lambda: pair.count(tables.inbox), until=lambda n: n == 2)
        await eventually(self._all_published(pair), what="republished rows marked again")
        assert sorted(a for _, a in await pair.effect_rows()) == [1, 2]

    @staticmethod
    def _all_published(pair: Pair):
        async def probe() -> bool:
            async with pair.runtime.transaction() as s:
                rows = (await s.execute(tables.outbox.select())).mappings().all()
            return all(r["published_at"] is not None for r in rows)
        return probe


class TestInboxConsumer:
    async def test_duplicate_delivery_changes_nothing(self, pair: Pair) -> None:
        [env] = await emit(pair, ThingHappened(amount=7))
        await wait_effects(pair, 1)
        js = pair.runtime.js
        assert js is not None
        # Same event again under another Nats-Msg-Id: JetStream's dedupe cannot catch it, the inbox must.
        await js.publish(f"{pair.runtime.settings.events_namespace}{env.type}", env.to_bytes(),
                         headers={"Nats-Msg-Id": "other-" + env.id})
        consumer = pair.runtime.consumers[0]
        await eventually(lambda: _aval(consumer.counts[Outcome.DUPLICATE]), until=lambda n: n >= 1)
        assert await pair.effect_rows() == [(env.id, 7)]

    async def test_poison_message_is_parked_and_the_stream_keeps_flowing(self, pair: Pair) -> None:
        js = pair.runtime.js
        assert js is not None
        ns = pair.runtime.settings.events_namespace
        await js.publish(f"{ns}alliance.evtest.thing.happened", b"{not json", headers={"Nats-Msg-Id": "bad-1"})
        await emit(pair, ThingPoisoned(reason="always fails"))
        await emit(pair, ThingHappened(amount=3))
        await wait_effects(pair, 1)
        letters = await eventually(self._letters(pair), until=lambda rows: len(rows) >= 2, what="two dead letters")
        errors = sorted(r["error"] for r in letters)
        assert any("invalid envelope" in e for e in errors)
        assert any("handler always fails" in e for e in errors)
        poisoned = next(r for r in letters if "handler always fails" in r["error"])
        assert poisoned["deliveries"] == 3  # max_deliver of the test settings

    async def test_same_id_different_payload_is_parked_and_original_kept(self, pair: Pair) -> None:
        [env] = await emit(pair, ThingHappened(amount=10))
        await wait_effects(pair, 1)
        forged = env.model_copy(update={"data": {"amount": 999, "note": ""}})
        consumer = pair.runtime.consumers[0]
        assert await consumer.process(forged.to_bytes()) is Outcome.PARKED
        assert await pair.effect_rows() == [(env.id, 10)]
        letters = await self._letters(pair)()
        assert letters[0]["event_id"] == env.id and "different payload" in letters[0]["error"]

    async def test_dead_letter_can_be_retried_once_the_cause_is_fixed(self, pair: Pair) -> None:
        await emit(pair, ThingPoisoned(reason="x"))
        [letter] = await eventually(self._letters(pair), until=lambda rows: len(rows) == 1)
        consumer = pair.runtime.consumers[0]
        fixed = dataclasses.replace(consumer.spec, handlers={**consumer.spec.handlers,
                                                             "alliance.evtest.thing.poisoned": _noop})
        consumer.spec = fixed
        from libs.events.consumer import retry_dead_letter

        assert pair.runtime.sessions is not None
        assert await retry_dead_letter(consumer, pair.runtime.sessions, letter["id"]) is Outcome.APPLIED
        assert await self._letters(pair)() == []

    @staticmethod
    def _letters(pair: Pair):
        async def probe() -> list[dict]:
            async with pair.runtime.transaction() as s:
                rows = (await s.execute(tables.dead_letters.select().where(
                    tables.dead_letters.c.status == "parked"))).mappings().all()
            return [dict(r) for r in rows]
        return probe


class TestUpcasting:
    def test_v1_payload_is_upcast_to_the_current_schema(self) -> None:
        old = Envelope(id="e1", source="/x", type="alliance.evtest.thing.happened", dataversion=1,
                       time="2024-05-01T00:00:00Z", data={"qty": 4})
        event = decode(old)
        assert isinstance(event.data, ThingHappened)
        assert event.data.amount == 4 and event.data.note == "upcast from v1"


class TestFaults:
    async def test_nats_restart_mid_stream_loses_nothing_and_applies_once(self, env, private_nats) -> None:
        runtime = await _start_runtime(env, private_nats.url)
        pair = Pair(runtime)
        try:
            await emit(pair, *[ThingHappened(amount=i) for i in range(20)])
            private_nats.stop(kill=True)  # kill -9 by PID while the relay and consumer run
            await emit(pair, *[ThingHappened(amount=i) for i in range(20, 40)])  # writes still succeed
            private_nats.start()
            rows = await eventually(pair.effect_rows, until=lambda r: len(r) >= 40, timeout=60, what="40 effects")
            await asyncio.sleep(1.0)
            rows = await pair.effect_rows()
            assert sorted(a for _, a in rows) == list(range(40))  # every event exactly once in effect
        finally:
            await runtime.stop()

    async def test_relay_crash_after_publish_before_mark_republishes_with_one_effect(self, env, private_nats) -> None:
        runtime = await _start_runtime(env, private_nats.url)
        pair = Pair(runtime)
        try:
            runtime.faults.arm("after_publish_before_mark")
            await emit(pair, ThingHappened(amount=1), ThingHappened(amount=2))
            await eventually(pair.effect_rows, until=lambda r: len(r) == 2)
            runtime.faults.disarm("after_publish_before_mark")
            await eventually(TestOutboxAndRelay._all_published(pair), what="rows marked after restart")
            await asyncio.sleep(0.5)
            assert sorted(a for _, a in await pair.effect_rows()) == [1, 2]
        finally:
            await runtime.stop()

    async def test_service_killed_between_commit_and_publish_publishes_on_restart(self, env, private_nats) -> None:
        # Committed with no relay running (the process died right after COMMIT).
        first = await _start_runtime(env, private_nats.url, with_relay=False)
        await emit(Pair(first), ThingHappened(amount=42))
        await first.stop()
        second = await _start_runtime(env, private_nats.url)
        try:
            rows = await eventually(Pair(second).effect_rows, until=lambda r: len(r) == 1)
            assert rows[0][1] == 42
        finally:
            await second.stop()


async def _aval(value: int) -> int:
    return value


async def _noop(session, event) -> None:
    return None


async def _start_runtime(env, nats_url: str, *, with_relay: bool = True) -> ServiceRuntime:
    import asyncpg

    from libs.kit.db import create_engine
    from tests.libs.events.conftest import metadata

    conn = await asyncpg.connect(env.database_url)
    await conn.execute("CREATE SCHEMA IF NOT EXISTS evtest")
    await conn.close()
    runtime = ServiceRuntime(settings=evtest_settings(env, nats_url=nats_url), tables=tables,
                             consumer_specs=[ConsumerSpec(source="evtest",
                                                          handlers={"alliance.evtest.thing.happened": apply_thing})])
    engine = create_engine(runtime.settings)
    async with engine.begin() as c:
        await c.run_sync(metadata.create_all)
    await engine.dispose()
    if with_relay:
        await runtime.start()
    else:
        from libs.kit.db import make_sessionmaker

        runtime.engine = create_engine(runtime.settings)
        runtime.sessions = make_sessionmaker(runtime.engine)
    return runtime


del nats
