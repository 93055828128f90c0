"""Reliability matrix rows 6–9 (and 14, at the library level): crashes at the seeded fault points of the relay and
the consumer, slow handlers, poison messages. Crashes are real: the evtest service runs as a child process
(tests/reliability/evproc.py) whose fault hook calls ``os._exit``; the test restarts it by PID until the history
check passes. Each restart gets ``seed + restarts`` so a run replays from the printed seed.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from typing import Any

import pytest
from sqlalchemy import select

from libs.events import new_envelope
from libs.events.consumer import ConsumerSpec, Outcome
from libs.events.envelope import Envelope
from libs.events.registry import Event
from libs.events.streams import stream_name
from libs.kit.migrations import REPO_ROOT
from libs.kit.runtime import ServiceRuntime
from tests.deploy.replicas import create_evtest_schema, started
from tests.harness.services import TestEnv
from tests.harness.waiting import eventually
from tests.libs.events.conftest import ThingHappened, effects, evtest_settings, tables
from tests.reliability.evpipe import History, check_history, database_only, effect_counts

EXITED_BY_FAULT = 17  # libs/events/faults.py: os._exit(17)


class Child:
    """The evtest service in a child process with seeded fault hooks; stopped and restarted by its PID."""

    def __init__(self, env: TestEnv, *, faults: str, seed: int, ack_wait: float = 1.0,
                 first_faults: str | None = None) -> None:
        self.env, self.faults, self.seed, self.ack_wait = env, faults, seed, ack_wait
        self.first_faults = first_faults  # the first process crashes for sure; its successors by the seeded dice
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0
        self.crashes = 0

    def start(self) -> None:
        clean = {k: v for k, v in os.environ.items() if not k.endswith(("DATABASE_URL", "NATS_URL"))}
        faults = self.first_faults if self.starts == 0 and self.first_faults else self.faults
        variables = {**clean, "PYTHONPATH": str(REPO_ROOT), "EVTEST_DATABASE_URL": self.env.database_url,
                     "EVTEST_NATS_URL": self.env.nats_url, "EVTEST_EVENTS_NAMESPACE": self.env.namespace,
                     "EVTEST_CONSUMER_ACK_WAIT_SECONDS": str(self.ack_wait), "EVENTS_FAULTS": faults,
                     "EVENTS_FAULTS_SEED": str(self.seed + self.starts), "EVTEST_LOG_LEVEL": "WARNING"}
        self.proc = subprocess.Popen([sys.executable, "-m", "tests.reliability.evproc"], env=variables,
                                     cwd=REPO_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.starts += 1

    def restart_if_crashed(self) -> None:
        assert self.proc is not None
        code = self.proc.poll()
        if code is None:
            return
        assert code == EXITED_BY_FAULT, f"child exited with {code}, not by the fault hook"
        self.crashes += 1
        self.start()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)


async def _run_until_applied(child: Child, runtime: ServiceRuntime, history: History, *, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    wanted = set(history.acknowledged)
    while True:
        child.restart_if_crashed()
        if wanted <= set(await effect_counts(runtime)):
            return
        assert time.monotonic() < deadline, f"not applied after {child.crashes} crashes"
        await asyncio.sleep(0.2)


async def _stream_ids(env: TestEnv) -> Counter[str]:
    import nats

    from libs.events.reconcile import read_stream

    nc = await nats.connect(env.nats_url)
    try:
        contents = await read_stream(nc.jetstream(), env.namespace, "evtest")
    finally:
        await nc.close()
    return Counter(m.event_id for m in contents.messages if m.event_id)


# ---- row 6 ---------------------------------------------------------------------------------------
async def test_row6_relay_crashes_after_publish_before_mark(env: TestEnv, seed: int) -> None:
    await _relay_crashes(env, seed, batches=6)


@pytest.mark.soak
@pytest.mark.timeout(1800)
@pytest.mark.parametrize("run", range(3))
async def test_row6_soak(env: TestEnv, seed: int, run: int) -> None:
    await _relay_crashes(env, seed + run, batches=200)


async def _relay_crashes(env: TestEnv, seed: int, *, batches: int) -> None:
    """The relay process dies right after JetStream acknowledged a batch and before the rows were marked. The
    restarted relay publishes the batch again: JetStream answers ``duplicate`` (same Nats-Msg-Id within the window)
    and stores each event once; the consumer applies each once."""
    await create_evtest_schema(env)
    runtime = database_only(env)
    child = Child(env, faults="after_publish_before_mark:exit:0.5", seed=seed,
                  first_faults="after_publish_before_mark:exit")
    history = History()
    try:
        for _ in range(batches):
            await history.emit(runtime, 5)
        child.start()
        await _run_until_applied(child, runtime, history, timeout=60 + 5 * batches)
        await eventually(lambda: _unpublished(runtime), until=lambda n: n == 0, timeout=60, what="rows marked")
        assert child.crashes >= 1
        stored = await _stream_ids(env)
        assert set(stored) == set(history.acknowledged) and max(stored.values()) == 1  # deduplicated by the server
        await check_history(runtime, history)
    finally:
        child.stop()
        assert runtime.engine is not None
        await runtime.engine.dispose()


# ---- row 7 ---------------------------------------------------------------------------------------
async def test_row7_consumer_crashes_after_commit_before_ack(env: TestEnv, seed: int) -> None:
    await _consumer_crashes(env, seed, batches=3)


@pytest.mark.soak
@pytest.mark.timeout(1800)
@pytest.mark.parametrize("run", range(3))
async def test_row7_soak(env: TestEnv, seed: int, run: int) -> None:
    await _consumer_crashes(env, seed + run, batches=50)


async def _consumer_crashes(env: TestEnv, seed: int, *, batches: int) -> None:
    """The consumer process dies after its transaction committed and before the ack. JetStream redelivers after
    AckWait (1 s here) to the restarted consumer, whose inbox recognises the event: acked, one effect."""
    await create_evtest_schema(env)
    runtime = database_only(env)
    child = Child(env, faults="after_commit_before_ack:exit:0.25", seed=seed, ack_wait=1.0,
                  first_faults="after_commit_before_ack:exit")
    history = History()
    try:
        for _ in range(batches):
            await history.emit(runtime, 4)
        child.start()
        await _run_until_applied(child, runtime, history, timeout=60 + 10 * batches)
        assert child.crashes >= 1
        stop_crashing = Child(env, faults="", seed=seed)  # the last commit may still wait for its ack
        child.stop()
        stop_crashing.start()
        try:
            await check_history(runtime, history)
            stored = await _stream_ids(env)
            assert set(stored) == set(history.acknowledged)
        finally:
            stop_crashing.stop()
    finally:
        child.stop()
        assert runtime.engine is not None
        await runtime.engine.dispose()


# ---- row 8 ---------------------------------------------------------------------------------------
def _slow_runtime(env: TestEnv, calls: Counter[str], *, seconds: float, heartbeat: bool) -> ServiceRuntime:
    async def slow_apply(session: Any, event: Event) -> None:
        calls[event.id] += 1
        await asyncio.sleep(seconds)  # longer than AckWait
        await session.execute(effects.insert().values(event_id=event.id, amount=event.data.amount))  # type: ignore

    runtime = ServiceRuntime(settings=evtest_settings(env, consumer_ack_wait_seconds=1.0), tables=tables,
                             consumer_specs=[ConsumerSpec(source="evtest",
                                                          handlers={"alliance.evtest.thing.happened": slow_apply})])
    if not heartbeat:
        original = runtime.start

        async def start_without_heartbeat() -> None:
            await original()
            for consumer in runtime.consumers:
                consumer._heartbeat = _no_heartbeat  # type: ignore[method-assign]

        runtime.start = start_without_heartbeat  # type: ignore[method-assign]
    return runtime


async def _no_heartbeat(msg: object) -> None:
    return None


@pytest.mark.parametrize("heartbeat", [True, False], ids=["in_progress", "no_heartbeat"])
async def test_row8_handler_slower_than_ack_wait_on_two_replicas(env: TestEnv, heartbeat: bool) -> None:
    """With ``in_progress()`` heartbeats the message is not redelivered while the slow handler runs (one call per
    event). Without them JetStream redelivers to the other replica mid-flight: the second attempt waits on the inbox
    key, loses, and is acked as a duplicate — still one effect."""
    await create_evtest_schema(env)
    calls: Counter[str] = Counter()
    a, b = (_slow_runtime(env, calls, seconds=2.5, heartbeat=heartbeat) for _ in range(2))
    history = History()
    async with started(a, b):
        for consumer in (*a.consumers, *b.consumers):
            consumer.batch = 1
        await history.emit(a, 4)
        await eventually(lambda: effect_counts(a), until=lambda c: set(history.acknowledged) <= set(c), timeout=60,
                         what="4 slow events applied")
        await asyncio.sleep(1.5)  # give any redelivery the chance to do harm
        await check_history(a, history)
        duplicates = sum(r.consumers[0].counts[Outcome.DUPLICATE] for r in (a, b))
        # The inbox row is inserted before the handler runs: a redelivered attempt blocks on that key until the
        # first commits, then finds it and never calls the handler.
        assert all(n == 1 for n in calls.values()), calls
        if heartbeat:
            assert duplicates == 0  # no redelivery at all on the normal path
        else:
            assert duplicates >= 1  # redelivered mid-flight, and the later attempt lost on the inbox key


# ---- row 9 (and 14) ------------------------------------------------------------------------------
async def test_row9_poison_messages_are_parked_terminated_and_the_stream_keeps_flowing(env: TestEnv) -> None:
    """Garbage bytes, a schema-invalid payload and an unknown type are parked at once with their reason and
    terminated (``MSG_TERMINATED`` advisory); a handler that keeps failing is parked after MaxDeliver. JetStream's
    own ``MAX_DELIVERIES`` advisory does not fire: the durable has ``max_deliver=-1`` and the library terminates
    the message itself once it is parked (so the server never drops a message nobody parked)."""
    await create_evtest_schema(env)
    history = History()
    from tests.deploy.replicas import replica

    async with started(replica(env)) as (runtime,):
        assert runtime.nc is not None and runtime.js is not None
        advisories: list[dict[str, Any]] = []

        async def on_advisory(msg: Any) -> None:
            advisories.append({"subject": msg.subject, **json.loads(msg.data)})

        await runtime.nc.subscribe("$JS.EVENT.ADVISORY.CONSUMER.MSG_TERMINATED.>", cb=on_advisory)
        await runtime.nc.subscribe("$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.>", cb=on_advisory)
        ns, js = env.namespace, runtime.js
        thing = f"{ns}alliance.evtest.thing.happened"
        await js.publish(thing, b"\xff\xfe not json", headers={"Nats-Msg-Id": "garbage-1"})
        invalid = Envelope(id="invalid-1", source="/alliance/evtest", type="alliance.evtest.thing.happened",
                           dataversion=2, time="2024-05-01T00:00:00Z", data={"amount": "not a number"})
        await js.publish(thing, invalid.to_bytes(), headers={"Nats-Msg-Id": invalid.id})
        unknown = Envelope(id="unknown-1", source="/alliance/evtest", type="alliance.evtest.thing.vanished",
                           dataversion=1, time="2024-05-01T00:00:00Z", data={})
        await js.publish(f"{ns}{unknown.type}", unknown.to_bytes(), headers={"Nats-Msg-Id": unknown.id})
        after = await history.emit(runtime, 5)  # the stream keeps flowing behind the poison
        await eventually(lambda: effect_counts(runtime), until=lambda c: set(after) <= set(c))

        async def parked() -> list[dict[str, Any]]:
            async with runtime.transaction() as s:
                rows = (await s.execute(select(tables.dead_letters))).mappings().all()
            return [dict(r) for r in rows]

        letters = await eventually(parked, until=lambda rows: len(rows) >= 3, what="three dead letters")
        reasons = {r["event_id"]: r["error"] for r in letters}
        assert "invalid envelope" in reasons[None]
        assert "invalid data" in reasons["invalid-1"] and "unknown event type" in reasons["unknown-1"]
        assert all(r["deliveries"] == 1 for r in letters)  # parked at once, no retries for a schema error
        terminated = await eventually(lambda: _value(advisories), until=lambda a: len(a) >= 3,
                                      what="MSG_TERMINATED advisories")
        assert {a["subject"].split(".")[4] for a in terminated} == {"MSG_TERMINATED"}
        assert {a["stream"] for a in terminated} == {stream_name(ns, "evtest")}
        await check_history(runtime, history)


async def _value(v: Any) -> Any:
    return v


async def _unpublished(runtime: ServiceRuntime) -> int:
    async with runtime.transaction() as session:
        return len((await session.execute(select(tables.outbox.c.position)
                                          .where(tables.outbox.c.published_at.is_(None)))).all())


del new_envelope, ThingHappened
