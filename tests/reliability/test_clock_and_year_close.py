"""Reliability matrix rows 23 (clock skew, year boundary) and 24 (year already closed, close racing awards) on the
points service with an injected clock (``libs.kit.clock.FixedClock``) and real PostgreSQL.

Row 23: the ledger's ``recorded_at`` comes from its own clock, ``occurred_at`` from the event, whatever the
producer's clock said; the points year is the Asia/Shanghai calendar year of ``occurred_at``; a fact delivered
again (same event, or re-emitted under a new event id) is booked once, on whichever side of the boundary it falls.
Webhook skew (±4 min accepted, ±6 min refused) is tests/services/referral/test_webhooks.py and
tests/libs/webhooks/test_standard.py.

Row 24: seeded rounds of ``year close`` racing a direct award and a platform fact dated in that year: the award is
in the snapshot or refused (409), the fact is in the snapshot or booked as an adjustment of the open year — never
both, never neither; afterwards the snapshot, its pinned head and the signed chain are unchanged and verify.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from libs.events.consumer import Outcome
from libs.events.envelope import new_envelope
from libs.kit.clock import FixedClock
from tests.harness.services import RunningService, TestEnv, running_service
from tests.services.points.conftest import NOW
from tests.services.points.helpers import apply, auditor, award_due, consumer, doctor, office, post
from tests.services.points.helpers import seed as seed_directory

NEW_YEAR = datetime(2025, 1, 2, 2, 0, tzinfo=timezone.utc)


@pytest.fixture
async def points(env: TestEnv) -> AsyncIterator[RunningService]:
    async with running_service(env, "points", checkpoint_every=5, consumer_max_deliver=3) as svc:
        svc.runtime.clock = FixedClock(NOW)
        yield svc


async def entries(points: RunningService, doctor_id: str) -> list[dict[str, Any]]:
    response = await points.client.get(f"/members/{doctor_id}/entries", headers=doctor(doctor_id),
                                       params={"limit": 200})
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


async def board(points: RunningService, year: int) -> dict[str, str]:
    response = await points.client.get("/leaderboards/individual", headers=office(),
                                       params={"alliance_id": "hn-peds", "year": year})
    assert response.status_code == 200, response.text
    return {row["id"]: row["points"] for row in response.json()["items"]}


async def chain_and_projections_hold(points: RunningService) -> None:
    verify = (await points.client.post("/audit/verify", headers=auditor())).json()
    assert verify["ok"], verify
    diff = (await points.client.get("/audit/projections/diff", headers=auditor())).json()
    assert diff["ok"], diff


# ---- row 23 ---------------------------------------------------------------------------------------
async def test_row23_producer_clock_hours_off_recorded_at_is_the_ledgers_own(points: RunningService) -> None:
    await seed_directory(points, units=("U1",), doctors={"D1": "U1"})
    ahead, behind = NOW + timedelta(hours=5), NOW - timedelta(hours=7)  # the referral host's clock is off
    assert await apply(points, "referral", award_due(occurred_at=ahead), award_due(occurred_at=behind)) == \
        [Outcome.APPLIED, Outcome.APPLIED]
    booked = sorted(await entries(points, "D1"), key=lambda e: e["occurred_at"])
    assert [datetime.fromisoformat(e["occurred_at"]) for e in booked] == [behind, ahead]
    assert {datetime.fromisoformat(e["recorded_at"]) for e in booked} == {NOW}  # the ledger's clock, not theirs
    assert [e["business_date"] for e in booked] == [behind.astimezone(timezone(timedelta(hours=8))).date()
                                                    .isoformat(), ahead.astimezone(timezone(timedelta(hours=8)))
                                                    .date().isoformat()]
    await chain_and_projections_hold(points)


BOUNDARY = [  # (occurred_at as the producer wrote it, the points year it belongs to)
    ("2024-12-31T23:59:59+08:00", 2024),
    ("2024-12-31T15:59:59.999999+00:00", 2024),
    ("2024-12-31T16:00:00+00:00", 2025),
    ("2025-01-01T00:00:00+08:00", 2025),
    ("2024-12-31T11:00:00-05:00", 2025),  # 16:00 UTC: already 1 January in Shanghai
    ("2024-12-31T10:59:59-05:00", 2024),
]


async def test_row23_year_boundary_is_shanghai_midnight_and_nothing_is_lost_or_doubled(
        points: RunningService) -> None:
    await seed_directory(points, units=("U1",), doctors={f"D{i}": "U1" for i in range(len(BOUNDARY))})
    points.runtime.clock.set(NEW_YEAR)  # type: ignore[attr-defined]
    dues = [award_due(doctor_id=f"D{i}", occurred_at=datetime.fromisoformat(at)) for i, (at, _) in enumerate(BOUNDARY)]
    for due in dues:
        envelope = new_envelope(due, source="/alliance/referral")
        assert await apply(points, "referral", envelope, envelope) == [Outcome.APPLIED, Outcome.DUPLICATE]
        again = await consumer(points, "referral").process(new_envelope(due, source="/alliance/referral").to_bytes())
        assert again is Outcome.APPLIED  # re-emitted under a new event id: applied, and the source books nothing
    by_year = {2024: await board(points, 2024), 2025: await board(points, 2025)}
    for i, (_, year) in enumerate(BOUNDARY):
        assert by_year[year].get(f"D{i}") == "5.0", (BOUNDARY[i], by_year)
        assert f"D{i}" not in by_year[2024 if year == 2025 else 2025]
        assert len(await entries(points, f"D{i}")) == 1
    await chain_and_projections_hold(points)


# ---- row 24 ---------------------------------------------------------------------------------------
async def close(points: RunningService, alliance: str) -> dict[str, Any]:
    response = await post(points.client, f"/years/2024/close?alliance_id={alliance}", office(alliance))
    return {"status": response.status_code, **response.json()}


async def snapshot(points: RunningService, alliance: str) -> dict[str, Any]:
    response = await points.client.get("/years/2024/snapshot", params={"alliance_id": alliance},
                                       headers=office(alliance))
    assert response.status_code == 200, response.text
    return dict(response.json())


async def _race_rounds(points: RunningService, seed_value: int, rounds: int) -> None:
    rng = random.Random(seed_value)
    points.runtime.clock.set(NEW_YEAR)  # type: ignore[attr-defined]
    closed: dict[str, dict[str, Any]] = {}
    for i in range(rounds):
        alliance, award_doc, fact_doc, unit = f"race{i}", f"RA{i}", f"RF{i}", f"RU{i}"
        await seed_directory(points, alliance=alliance, units=(unit,), doctors={award_doc: unit, fact_doc: unit})
        due = award_due(doctor_id=fact_doc, unit=unit, alliance=alliance,
                        occurred_at=datetime(2024, 12, 31, 12, 0, tzinfo=timezone.utc))

        async def later(coro: Any) -> Any:
            await asyncio.sleep(rng.uniform(0, 0.02))
            return await coro

        closing, awarding, fact = await asyncio.gather(
            later(close(points, alliance)),
            later(post(points.client, "/awards/direct", office(alliance), {
                "rule": "R16", "variant": "director", "doctor_id": award_doc, "facts": {"year": "2024"},
                "occurred_at": "2024-12-31T20:00:00+08:00"})),
            later(apply(points, "referral", due)))
        assert closing["status"] == 201, closing
        totals = closing["member_totals"]
        assert awarding.status_code in (201, 409), awarding.text
        assert (awarding.status_code == 201) == (totals.get(award_doc) == "50.0"), (awarding.text, totals)
        assert fact == [Outcome.APPLIED]
        booked = await entries(points, fact_doc)
        assert len(booked) == 1  # never both, never neither
        in_snapshot = totals.get(fact_doc) == "5.0"
        assert in_snapshot == (booked[0]["entry_type"] == "award" and booked[0]["business_date"] == "2024-12-31")
        if not in_snapshot:
            assert (booked[0]["entry_type"], booked[0]["business_date"]) == ("adjustment", "2025-01-02")
        closed[alliance] = closing
    for alliance, at_close in closed.items():  # nothing written later moved a closed year
        now = await snapshot(points, alliance)
        for key in ("member_totals", "unit_totals", "head_position", "head_hash"):
            assert now[key] == at_close[key], (alliance, key)
    await chain_and_projections_hold(points)


async def test_row24_close_racing_awards_and_facts(points: RunningService, seed: int) -> None:
    await _race_rounds(points, seed, rounds=6)


@pytest.mark.soak
async def test_row24_soak_many_rounds(points: RunningService, seed: int) -> None:
    await _race_rounds(points, seed, rounds=60)
