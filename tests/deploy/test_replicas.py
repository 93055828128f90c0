"""Services run as several replicas: shared durable consumers, one active outbox relay, singleton jobs.

Every test starts two (or more) ``ServiceRuntime`` replicas of one service on the same database schema and the same
JetStream namespace, as two pods of a Deployment would be.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import asyncpg

from libs.events.consumer import Outcome
from libs.events.streams import stream_name
from libs.kit.errors import Conflict
from libs.kit.runtime import ServiceRuntime
from libs.kit.singleton import singleton
from tests.deploy.replicas import count, create_evtest_schema, effect_amounts, emit, replica, started, unpublished
from tests.harness.services import running_service
from tests.harness.waiting import eventually
from tests.libs.events.conftest import tables

if TYPE_CHECKING:
    from tests.harness.services import TestEnv


async def stream_messages(runtime: ServiceRuntime) -> int:
    assert runtime.js is not None
    info = await runtime.js.stream_info(stream_name(runtime.settings.events_namespace, "evtest"))
    return int(info.state.messages)


async def leaders(*runtimes: ServiceRuntime) -> list[bool]:
    return [bool(r.relay and r.relay.is_leader) for r in runtimes]


class TestSharedDurableConsumer:
    async def test_each_event_is_handled_once_across_two_replicas(self, env: TestEnv) -> None:
        await create_evtest_schema(env)
        async with started(replica(env), replica(env)) as (a, b):
            for consumer in (*a.consumers, *b.consumers):
                consumer.batch = 5  # small pulls, so both replicas get messages
            for batch in range(20):
                await emit(a if batch % 2 else b, *range(batch * 10, batch * 10 + 10))
            await eventually(lambda: effect_amounts(a), until=lambda rows: len(rows) >= 200, timeout=60,
                             what="200 effects")
            await eventually(lambda: unpublished(a), until=lambda n: n == 0, what="outbox drained")
            assert await effect_amounts(a) == list(range(200))  # each event exactly once in effect
            assert await count(a, tables.inbox) == 200
            applied = [r.consumers[0].counts[Outcome.APPLIED] for r in (a, b)]
            assert sum(applied) == 200 and all(n > 0 for n in applied), applied  # one durable, shared
            assert a.consumers[0].name == b.consumers[0].name == "evtest-from-evtest"


class TestOutboxRelayReplicas:
    async def test_one_relay_leads_and_publishes_each_row_once(self, env: TestEnv) -> None:
        await create_evtest_schema(env)
        async with started(replica(env), replica(env)) as (a, b):
            await eventually(lambda: leaders(a, b), until=lambda ls: sum(ls) == 1, what="one leader")
            await emit(a, *range(30))
            await emit(b, *range(30, 60))
            await eventually(lambda: effect_amounts(a), until=lambda rows: len(rows) >= 60, what="60 effects")
            assert await stream_messages(a) == 60  # no double publish, even from two relays
            assert await effect_amounts(a) == list(range(60))
            assert sum(await leaders(a, b)) == 1

    async def test_killed_leader_connection_hands_over_without_gap_or_double_effect(self, env: TestEnv) -> None:
        await create_evtest_schema(env)
        async with started(replica(env)) as (a,):
            await eventually(lambda: leaders(a), until=lambda ls: ls == [True], what="a leads")
            # The standby polls faster than the old leader's reconnect backoff (0.5 s): it must win the lock.
            async with started(replica(env, relay_poll_seconds=0.05)) as (b,):
                await emit(a, *range(40))
                await eventually(lambda: effect_amounts(a), until=lambda rows: len(rows) >= 40, what="40 effects")
                assert a.relay is not None and a.relay._conn is not None
                await _terminate_backend(env, a.relay._conn.get_server_pid())
                await emit(b, *range(40, 80))  # written while the lock changes hands
                await eventually(lambda: leaders(a, b), until=lambda ls: ls == [False, True], what="b took over")
                await eventually(lambda: effect_amounts(a), until=lambda rows: len(rows) >= 80, what="80 effects")
                await eventually(lambda: unpublished(a), until=lambda n: n == 0, what="outbox drained")
                assert await effect_amounts(a) == list(range(80))  # no gap, nothing twice
                assert await stream_messages(a) == 80
                await asyncio.sleep(0.5)  # a reconnected relay must stay a standby
                assert await leaders(a, b) == [False, True]

    async def test_standby_takes_over_when_the_leading_replica_dies(self, env: TestEnv) -> None:
        await create_evtest_schema(env)
        a, b = replica(env), replica(env)
        async with started(a):
            await eventually(lambda: leaders(a), until=lambda ls: ls == [True], what="a leads")
            async with started(b):
                await emit(a, *range(10))
                await eventually(lambda: effect_amounts(b), until=lambda rows: len(rows) >= 10, what="10 effects")
                assert await leaders(a, b) == [True, False]
                await a.stop()  # the leading pod dies: its connection closes and PostgreSQL drops its lock
                await emit(b, *range(10, 25))
                await eventually(lambda: leaders(b), until=lambda ls: ls == [True], what="b leads")
                await eventually(lambda: effect_amounts(b), until=lambda rows: len(rows) >= 25, what="25 effects")
                assert await effect_amounts(b) == list(range(25))
                assert await stream_messages(b) == 25


class TestSingletonJobs:
    async def test_only_one_replica_runs_a_singleton_job(self, env: TestEnv) -> None:
        await create_evtest_schema(env)
        async with started(replica(env), replica(env)) as (a, b):
            inside, release = asyncio.Event(), asyncio.Event()

            async def year_close(runtime: ServiceRuntime) -> str:
                assert runtime.engine is not None
                try:
                    async with singleton(runtime.engine, "evtest:year-close:2025"):
                        inside.set()
                        await release.wait()
                        return "ran"
                except Conflict as exc:
                    assert "另一个实例正在执行" in exc.detail
                    return "refused"

            attempts = [asyncio.create_task(year_close(r)) for r in (a, b) * 4]
            await asyncio.wait_for(inside.wait(), timeout=20)
            await eventually(lambda: _done(attempts), until=lambda n: n == 7, what="the other attempts refused")
            release.set()
            results = await asyncio.gather(*attempts)
            assert sorted(results) == ["ran"] + ["refused"] * 7
            async with singleton(b.engine, "evtest:year-close:2025"):  # type: ignore[arg-type]
                pass  # released: the next run may start


class TestServiceReplicas:
    async def test_two_registry_replicas_are_ready_with_one_relay_leader(self, env: TestEnv) -> None:
        async with running_service(env, "registry") as one, running_service(env, "registry") as two:
            for replica_ in (one, two):
                assert (await replica_.client.get("/ready")).status_code == 200
                assert (await replica_.client.get("/metrics")).status_code == 200
            await eventually(lambda: leaders(one.runtime, two.runtime), until=lambda ls: sum(ls) == 1,
                             what="exactly one relay leader")


async def _terminate_backend(env: TestEnv, pid: int) -> None:
    conn = await asyncpg.connect(env.database_url)
    try:
        assert await conn.fetchval("SELECT pg_terminate_backend($1)", pid)
    finally:
        await conn.close()


async def _done(tasks: list[asyncio.Task[str]]) -> int:
    return sum(t.done() for t in tasks)
