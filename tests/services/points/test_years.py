"""年度封账: only after 31 Dec Asia/Shanghai; the snapshot pins unit and member totals to the ledger head; late
entries are refused (API) or booked as adjustments of the open year (events); a close racing an award leaves
the award either in the snapshot or refused."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from libs.events.consumer import Outcome
from libs.kit.clock import FixedClock
from services.points.persistence.tables import events
from tests.harness.services import RunningService

from .helpers import apply, award, award_due, doctor, office, post, seed

NEW_YEAR = datetime(2025, 1, 2, 2, 0, tzinfo=timezone.utc)


def clock(points: RunningService) -> FixedClock:
    value = points.runtime.clock
    assert isinstance(value, FixedClock)
    return value


async def close(points: RunningService, year: int = 2024, alliance: str = "hn-peds") -> dict[str, object]:
    response = await post(points.client, f"/years/{year}/close?alliance_id={alliance}", office(alliance))
    return {"status": response.status_code, **response.json()}


@pytest.fixture
async def year_with_points(points: RunningService) -> RunningService:
    await seed(points, units=("U1", "U2"), doctors={"D1": "U1", "D2": "U2"})
    await award(points.client, "D1")
    await award(points.client, "D2", variant="liaison")
    await award(points.client, "D2", rule="R03a", variant="article", facts={"char_count": 500, "first_author": True})
    return points


class TestClose:
    async def test_not_before_the_year_has_ended_in_shanghai(self, year_with_points: RunningService) -> None:
        clock(year_with_points).set(datetime(2024, 12, 31, 15, 59, tzinfo=timezone.utc))  # 23:59 in Shanghai
        refused = await close(year_with_points)
        assert refused["status"] == 409 and "尚未结束" in str(refused["detail"])
        clock(year_with_points).set(datetime(2024, 12, 31, 16, 0, tzinfo=timezone.utc))  # 00:00 on 1 Jan
        assert (await close(year_with_points))["status"] == 201

    async def test_snapshot_freezes_totals_and_pins_the_head(self, year_with_points: RunningService) -> None:
        clock(year_with_points).set(NEW_YEAR)
        snapshot = await close(year_with_points)
        assert snapshot["status"] == 201, snapshot
        assert snapshot["unit_totals"] == {"U1": "50.0", "U2": "11.0"}
        assert snapshot["member_totals"] == {"D1": "50.0", "D2": "11.0"}
        assert (snapshot["head_position"], snapshot["entry_count"]) == (3, 3)
        again = await year_with_points.client.get("/years/2024/snapshot", params={"alliance_id": "hn-peds"},
                                                  headers=office())
        assert {k: v for k, v in again.json().items()} == {k: v for k, v in snapshot.items() if k != "status"}
        assert (await close(year_with_points))["status"] == 409
        published = await _outbox_types(year_with_points)
        assert published.count("alliance.points.year.closed") == 1
        event = await _outbox_payload(year_with_points, "alliance.points.year.closed")
        assert event["data"]["unit_totals"] == {"U1": "50.0", "U2": "11.0"} and event["data"]["head_position"] == 3

    async def test_only_the_alliance_office_closes(self, year_with_points: RunningService) -> None:
        clock(year_with_points).set(NEW_YEAR)
        other = await post(year_with_points.client, "/years/2024/close?alliance_id=hn-peds", office("other"))
        assert other.status_code == 404
        as_doctor = await post(year_with_points.client, "/years/2024/close?alliance_id=hn-peds", doctor("D1"))
        assert as_doctor.status_code == 403


class TestAfterClose:
    async def test_a_late_award_is_refused_then_booked_as_adjustment(self, year_with_points: RunningService) -> None:
        clock(year_with_points).set(NEW_YEAR)
        await close(year_with_points)
        late = await award(year_with_points.client, "D1", occurred_at="2024-12-20T10:00:00+08:00", expect=409)
        assert "2024年度已封账" in late["detail"] and "调整分录" in late["detail"]
        adjusted = await post(year_with_points.client, "/adjustments", office(), {
            "doctor_id": "D1", "reason": "补记2024年12月新闻稿", "rule": "R03a", "variant": "article",
            "facts": {"char_count": 500, "first_author": True}})
        assert adjusted.status_code == 201 and adjusted.json()["business_date"] == "2025-01-02"
        snapshot = await year_with_points.client.get("/years/2024/snapshot", params={"alliance_id": "hn-peds"},
                                                     headers=office())
        assert snapshot.json()["member_totals"]["D1"] == "50.0"
        board = await year_with_points.client.get("/leaderboards/individual", headers=doctor("D1"),
                                                  params={"alliance_id": "hn-peds", "year": 2024})
        assert board.json()["frozen"] is True
        balance = await year_with_points.client.get("/members/D1/balance", headers=doctor("D1"))
        assert balance.json()["balance"] == "51.0"  # personal balances carry over

    async def test_a_late_platform_fact_becomes_an_adjustment_of_the_open_year(
            self, year_with_points: RunningService) -> None:
        clock(year_with_points).set(NEW_YEAR)
        await close(year_with_points)
        due = award_due(occurred_at=datetime(2024, 12, 30, 3, 0, tzinfo=timezone.utc))
        assert await apply(year_with_points, "referral", due) == [Outcome.APPLIED]
        lines = (await year_with_points.client.get("/members/D1/entries", headers=doctor("D1"))).json()["items"]
        assert (lines[0]["entry_type"], lines[0]["amount"], lines[0]["business_date"]) == \
            ("adjustment", "5.0", "2025-01-02")
        # Re-emitted under a new event id: the source is already in the ledger, nothing is appended.
        assert (await apply(year_with_points, "referral", due)) == [Outcome.APPLIED]
        again = (await year_with_points.client.get("/members/D1/entries", headers=doctor("D1"))).json()["items"]
        assert len(again) == len(lines)

    async def test_the_year_boundary_is_shanghai_midnight(self, year_with_points: RunningService) -> None:
        clock(year_with_points).set(NEW_YEAR)
        await close(year_with_points)
        fine = await award(year_with_points.client, "D1", occurred_at="2024-12-31T16:30:00Z")  # 00:30 on 1 Jan 2025
        assert fine["business_date"] == "2025-01-01"


class TestRace:
    async def test_an_award_racing_the_close_is_in_the_snapshot_or_refused(self, points: RunningService) -> None:
        clock(points).set(NEW_YEAR)
        outcomes = set()
        for i in range(8):
            alliance, doctor_id = f"race{i}", f"RD{i}"
            await seed(points, alliance=alliance, units=(f"RU{i}",), doctors={doctor_id: f"RU{i}"})
            closing, awarding = await asyncio.gather(
                close(points, alliance=alliance),
                post(points.client, "/awards/direct", office(alliance), {
                    "rule": "R16", "variant": "director", "doctor_id": doctor_id, "facts": {"year": "2024"},
                    "occurred_at": "2024-12-31T20:00:00+08:00"}))
            assert closing["status"] == 201
            in_snapshot = closing["member_totals"].get(doctor_id) == "50.0"  # type: ignore[union-attr]
            assert (awarding.status_code == 201) == in_snapshot, (awarding.text, closing)
            assert awarding.status_code in (201, 409)
            outcomes.add(awarding.status_code)
        assert outcomes  # both orders are legal; the invariant above is what matters


async def _outbox_types(points: RunningService) -> list[str]:
    async with points.runtime.transaction() as session:
        return list(await session.scalars(select(events.outbox.c.type).order_by(events.outbox.c.position)))


async def _outbox_payload(points: RunningService, event_type: str) -> dict[str, object]:
    async with points.runtime.transaction() as session:
        payload = await session.scalar(select(events.outbox.c.payload).where(events.outbox.c.type == event_type))
    return dict(json.loads(payload))
