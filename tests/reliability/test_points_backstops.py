"""Reliability matrix rows 14, 16 and 17 at the points service, where the unit tests stop at the library:

- row 14: the same CloudEvents id with another amount is parked as a dead letter, loudly, and the ledger keeps the
  original effect (tests/libs/events covers the library, this the real points consumer);
- rows 16/17: the database is the backstop below the API — as the service's own role (``points_app``) a negative
  balance or a zero/negative ledger amount written by hand hits the ``CHECK`` constraints.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import asyncpg
import pytest

from libs.events.consumer import Outcome
from libs.events.envelope import new_envelope
from libs.kit.clock import FixedClock
from tests.harness.services import RunningService, TestEnv, running_service
from tests.services.points.conftest import NOW
from tests.services.points.helpers import app_connection, award, award_due, consumer, doctor, office
from tests.services.points.helpers import seed as seed_directory


@pytest.fixture
async def points(env: TestEnv) -> AsyncIterator[RunningService]:
    async with running_service(env, "points", checkpoint_every=5, consumer_max_deliver=3) as svc:
        svc.runtime.clock = FixedClock(NOW)
        await seed_directory(svc, units=("U1",), doctors={"D1": "U1"})
        yield svc


async def test_row14_same_event_id_with_another_amount_is_parked_and_the_ledger_kept(points: RunningService) -> None:
    original = new_envelope(award_due(occurred_at=NOW - timedelta(hours=1)), source="/alliance/referral")
    the_consumer = consumer(points, "referral")
    assert await the_consumer.process(original.to_bytes()) is Outcome.APPLIED
    before = (await points.client.get("/members/D1/entries", headers=doctor("D1"))).json()["items"]
    forged_data = {**original.data, "quantity": 9, "variant": "outpatient"}
    forged = original.model_copy(update={"data": forged_data})
    assert await the_consumer.process(forged.to_bytes()) is Outcome.PARKED
    letters = (await points.client.get("/admin/dead-letters")).json()
    assert [(d["event_id"], "different payload" in d["error"]) for d in letters] == [(original.id, True)]
    after = (await points.client.get("/members/D1/entries", headers=doctor("D1"))).json()["items"]
    assert after == before and [e["amount"] for e in after] == ["5.0"]


FORGED_ENTRY = (
    "INSERT INTO ledger_entries SELECT (jsonb_populate_record(NULL::ledger_entries, to_jsonb(e) || jsonb_build_object("
    "'position', 9999, 'stream_version', 9999, 'entry_id', 'forged-1', 'source_event_id', NULL, 'once_key', NULL, "
    "'amount_tenths', $1::bigint))).* FROM ledger_entries e WHERE position = 1")


async def test_rows16_17_database_checks_refuse_what_the_api_would(points: RunningService, env: TestEnv) -> None:
    await award(points.client, "D1")
    conn: asyncpg.Connection = await app_connection(env)  # the service's own role, as a bug or injection would
    try:
        with pytest.raises(asyncpg.CheckViolationError) as refused:
            await conn.execute("UPDATE balances SET balance_tenths = -10 WHERE account = 'member:D1'")
        assert refused.value.constraint_name == "ck_balances_not_negative"
        for amount in (0, -500, 10**11):
            with pytest.raises(asyncpg.CheckViolationError) as refused:
                await conn.execute(FORGED_ENTRY, amount)
            assert refused.value.constraint_name == "ck_ledger_entries_amount"
    finally:
        await conn.close()
    balance = (await points.client.get("/members/D1/balance", headers=office())).json()
    assert balance["balance"] == "50.0"
