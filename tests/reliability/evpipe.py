"""The ``evtest`` producer/consumer pair (tests/libs/events/conftest.py) as a subject for fault tests, plus the
history check every fault test ends with (reliability matrix, "Verification").

History check (``check_history``): every acknowledged operation (its outbox transaction committed) is present
exactly once in the effects; every unacknowledged one (the commit raised or timed out) at most once; nothing else
is present; the reconciliation job finds no event lost between outbox, JetStream and inbox.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

import asyncpg
from sqlalchemy import select

from libs.events import new_envelope
from libs.events.reconcile import Reconciliation, reconcile_runtime, reconcile_service
from libs.kit.runtime import ServiceRuntime
from tests.harness.waiting import eventually
from tests.libs.events.conftest import ThingHappened, effects, tables


@dataclass
class History:
    """What the test did: ids whose commit returned (acknowledged) and ids whose commit failed (unknown)."""

    acknowledged: list[str] = field(default_factory=list)
    unacknowledged: list[str] = field(default_factory=list)
    next_amount: int = 0

    async def emit(self, runtime: ServiceRuntime, n: int) -> list[str]:
        envelopes = [new_envelope(ThingHappened(amount=self.next_amount + i), source="/alliance/evtest")
                     for i in range(n)]
        self.next_amount += n
        ids = [e.id for e in envelopes]
        try:
            async with runtime.transaction() as session:
                await runtime.outbox.add(session, *envelopes)
        except Exception:
            self.unacknowledged.extend(ids)
            raise
        self.acknowledged.extend(ids)
        return ids


async def effect_counts(runtime: ServiceRuntime) -> Counter[str]:
    async with runtime.transaction() as session:
        return Counter((await session.scalars(select(effects.c.event_id))).all())


async def wait_applied(runtime: ServiceRuntime, ids: Iterable[str], *, timeout: float = 60.0) -> None:
    wanted = set(ids)

    async def missing() -> int:
        return len(wanted - set(await effect_counts(runtime)))

    try:
        await eventually(missing, until=lambda n: n == 0, timeout=timeout, interval=0.2,
                         what=f"{len(wanted)} events applied")
    except AssertionError as exc:  # say where they are stuck: never published, or published and not applied
        async with runtime.transaction() as session:
            rows = (await session.execute(select(tables.outbox.c.attempts, tables.outbox.c.last_error)
                                          .where(tables.outbox.c.published_at.is_(None)))).all()
        raise AssertionError(f"{exc}; unpublished outbox rows: {len(rows)}, max attempts "
                        f"{max((r.attempts for r in rows), default=0)}, errors {[r.last_error for r in rows][:2]}; "
                             f"consumer counts {runtime.consumers[0].counts if runtime.consumers else None}") from exc


async def wait_drained(runtime: ServiceRuntime, *, timeout: float = 60.0) -> None:
    async def unpublished() -> int:
        async with runtime.transaction() as session:
            rows = (await session.execute(select(tables.outbox.c.position)
                                          .where(tables.outbox.c.published_at.is_(None)))).all()
        return len(rows)

    await eventually(unpublished, until=lambda n: n == 0, timeout=timeout, interval=0.2, what="outbox drained")


async def check_history(runtime: ServiceRuntime, history: History, *, reconcile: bool = True) -> Reconciliation | None:
    counts = await effect_counts(runtime)
    twice = {i: n for i, n in counts.items() if n > 1}
    assert not twice, f"applied more than once: {list(twice.items())[:5]}"
    acked = set(history.acknowledged)
    missing = acked - set(counts)
    assert not missing, f"{len(missing)} acknowledged events never applied, e.g. {sorted(missing)[:5]}"
    unknown = set(counts) - acked - set(history.unacknowledged)
    assert not unknown, f"effects nobody asked for: {sorted(unknown)[:5]}"
    async with runtime.transaction() as session:
        inbox = Counter((await session.scalars(select(tables.inbox.c.event_id))).all())
    assert set(inbox) == set(counts), "inbox and effects disagree"
    if not reconcile:
        return None
    if runtime.js is not None:
        result = await reconcile_runtime(runtime)
    else:  # the service runs in a child process: reconcile from outside, as the command line does
        result = await reconcile_service(runtime.settings, repair=False, types=["alliance.evtest.thing.happened"])
    assert result.gaps == 0, result.to_json()
    return result


async def outbox_positions(runtime: ServiceRuntime) -> int:
    conn = await asyncpg.connect(runtime.settings.asyncpg_dsn, server_settings={"search_path": "evtest"})
    try:
        return int(await conn.fetchval("SELECT count(*) FROM outbox"))
    finally:
        await conn.close()


def database_only(settings_env: object, **overrides: object) -> ServiceRuntime:
    """An evtest runtime with a database and no relay or consumer: the test writes, a child process relays."""
    from libs.kit.db import create_engine, make_sessionmaker
    from tests.libs.events.conftest import evtest_settings

    runtime = ServiceRuntime(settings=evtest_settings(settings_env, **overrides), tables=tables)  # type: ignore[arg-type]
    runtime.engine = create_engine(runtime.settings)
    runtime.sessions = make_sessionmaker(runtime.engine)
    return runtime
