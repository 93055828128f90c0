"""医联体活动: participants and prizes → R03c facts (winners' prize replaces participation), checked input."""

from __future__ import annotations

from typing import Any

import pytest

from tests.harness.services import RunningService

from .harness import directory, office, outbox_events, post, problem, unit_admin

A = "act-a"


def sports_meet(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = dict(
        kind="sports_meet", title="2024年医联体运动会", held_on="2024-10-12",
        participants=[{"doctor_id": "act-d1", "unit_id": "act-u1"}, {"doctor_id": "act-d2", "unit_id": "act-u2"},
                      {"doctor_id": "act-d3", "unit_id": "act-u2"}],
        wins=[{"doctor_id": "act-d1", "prize": "first", "item": "100米"},
              {"doctor_id": "act-d1", "prize": "second", "item": "跳远"},
              {"doctor_id": "act-d2", "prize": "ungraded"}])
    body.update(changes)
    return body


@pytest.fixture
async def alliance(svc: RunningService) -> None:
    await directory(svc, alliance_id=A, units={"act-u1": "lead", "act-u2": "member"},
                    doctors={"act-d1": "act-u1", "act-d2": "act-u2", "act-d3": "act-u2"})


async def test_prizes_published_once_each(svc: RunningService, alliance: None) -> None:
    r = await post(svc.client, f"/alliances/{A}/activities", sports_meet(), office(A))
    assert r.status_code == 201, r.text
    activity = r.json()
    facts = sorted((p["doctor_id"], p["variant"], p["ref"]) for p in activity["prizes"])
    assert facts == [("act-d1", "first", "100米"), ("act-d1", "second", "跳远"), ("act-d2", "ungraded", ""),
                     ("act-d3", "participation", "")]
    events = await outbox_events(svc, "alliance.evaluation.prize.awarded")
    assert sorted(e.data["award_id"] for e in events) == sorted(p["award_id"] for p in activity["prizes"])
    first = next(e.data for e in events if e.data["variant"] == "first")
    assert first == {"award_id": first["award_id"], "activity_id": activity["activity_id"],
                     "activity_kind": "sports_meet", "doctor_id": "act-d1", "unit_id": "act-u1", "alliance_id": A,
                     "rule": "R03c", "variant": "first", "ref": "100米",
                     "occurred_at": "2024-10-11T16:00:00Z", "business_date": "2024-10-12"}
    again = await svc.client.get(f"/activities/{activity['activity_id']}", headers=unit_admin("act-u2"))
    assert sorted(p["award_id"] for p in again.json()["prizes"]) == sorted(p["award_id"] for p in activity["prizes"])


@pytest.mark.parametrize(("changes", "field"), [
    ({"participants": [{"doctor_id": "act-d1", "unit_id": "elsewhere"}], "wins": []}, "participants[0].unit_id"),
    ({"participants": [{"doctor_id": "act-d2", "unit_id": "act-u1"}], "wins": []}, "participants[0].unit_id"),
    ({"wins": [{"doctor_id": "act-d9", "prize": "first"}]}, "wins[0]"),
    ({"held_on": "2999-01-01"}, "held_on"),
    ({"kind": "banquet"}, "body.kind"),
])
async def test_bad_activity_is_refused_and_nothing_published(svc: RunningService, alliance: None,
                                                             changes: dict[str, Any], field: str) -> None:
    r = await post(svc.client, f"/alliances/{A}/activities", sports_meet(**changes), office(A))
    assert r.status_code == 422, r.text
    assert problem(r)["errors"][0]["field"] == field
    assert await outbox_events(svc, "alliance.evaluation.prize.awarded") == []
    assert (await svc.client.get(f"/alliances/{A}/activities", headers=office(A))).json() == []


async def test_only_the_office_of_an_operating_alliance(svc: RunningService, alliance: None) -> None:
    assert (await post(svc.client, f"/alliances/{A}/activities", sports_meet(), unit_admin("act-u1"))
            ).status_code == 403
    await directory(svc, alliance_id="act-gone", units={"act-u9": "lead"}, operating=False)
    r = await post(svc.client, "/alliances/act-gone/activities",
                   sports_meet(participants=[{"doctor_id": "x", "unit_id": "act-u9"}], wins=[]), office("act-gone"))
    assert r.status_code == 409 and problem(r)["code"] == "alliance_not_operating"
