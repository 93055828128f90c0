"""Points events: the year-close snapshot feeds the club annual evaluation (成员单位年度评价); R04 / R11 ledger
entries become expert visits and trainees (awards +1, reversals −1, other rules and entry types ignored)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from libs.events.schemas import points as pt
from libs.kit.clock import SHANGHAI
from tests.harness.services import RunningService

from .harness import at_shanghai, directory, office, post, problem, publish
from .hunan_scenario import open_period

UNITS = {"cl-u1": "lead", "cl-u2": "member", "cl-u3": "member", "cl-u4": "member", "cl-u5": "member",
         "cl-u6": "member"}


def closed(alliance_id: str, year: int, totals: dict[str, str]) -> pt.YearClosed:
    return pt.YearClosed(alliance_id=alliance_id, year=year, closed_at=datetime(year + 1, 1, 1, tzinfo=SHANGHAI),
                         entry_count=10, unit_totals=totals, member_totals={}, head_position=10, head_hash="ab" * 32)


def entry(alliance_id: str, unit_id: str, rule: str | None, day: date, entry_type: str = "award",
          reverses: str | None = None) -> pt.EntryRecorded:
    return pt.EntryRecorded(entry_id=f"e-{uuid.uuid4().hex[:8]}", position=1, alliance_id=alliance_id,
                            doctor_id="doc-1", unit_id=unit_id, entry_type=entry_type,  # type: ignore[arg-type]
                            rule_code=rule, variant=None, amount="1.0", delta="-1.0" if reverses else "1.0",
                            occurred_at=at_shanghai(day), business_date=day, source_event_id=None, reverses=reverses)


async def test_club_evaluation_from_the_closed_year(svc: RunningService) -> None:
    await directory(svc, alliance_id="cl-a", units=UNITS)
    early = await post(svc.client, "/alliances/cl-a/club-evaluations", {"year": 2024}, office("cl-a"))
    assert early.status_code == 409 and "尚未封存" in problem(early)["detail"]
    await publish(svc, closed("cl-a", 2024, {"cl-u1": "120.0", "cl-u2": "80.5", "cl-u3": "80.5", "cl-u4": "10.0",
                                             "cl-u5": "0.0"}),
                  closed("cl-other", 2024, {"cl-u6": "999.0"}))  # another alliance's snapshot: not ours
    r = await post(svc.client, "/alliances/cl-a/club-evaluations", {"year": 2024}, office("cl-a"))
    assert r.status_code == 201, r.text
    results = [(x["unit_id"], x["points"], x["rank"], x["band"]) for x in r.json()["results"]]
    # 6 units: 优秀 = top floor(6 × 20 %) = 1, 良好 = top 3 (ties share a rank), 合格 = points > 0, else 待提升
    assert results == [("cl-u1", "120.0", 1, "优秀"), ("cl-u2", "80.5", 2, "良好"), ("cl-u3", "80.5", 2, "良好"),
                       ("cl-u4", "10.0", 4, "合格"), ("cl-u5", "0.0", 5, "待提升"), ("cl-u6", "0.0", 5, "待提升")]
    listed = await svc.client.get("/alliances/cl-a/club-evaluations", params={"year": 2024}, headers=office("cl-a"))
    assert [e["evaluation_id"] for e in listed.json()] == [r.json()["evaluation_id"]]


async def test_expert_visits_and_trainees_from_ledger_entries(svc: RunningService) -> None:
    a = "pe-a"
    await directory(svc, alliance_id=a, region_code="460100", units={"pe-lead": "lead", "pe-m1": "member",
                                                                     "pe-m2": "member"})
    period = await open_period(svc, a, 2022, "haikou-2021")
    reversed_one = entry(a, "pe-m1", "R04", date(2022, 3, 8))
    await publish(svc,
                  entry(a, "pe-m1", "R04", date(2022, 3, 1)), entry(a, "pe-m2", "R04", date(2022, 3, 1)),
                  reversed_one, entry(a, "pe-m1", "R04", date(2022, 3, 8), "reversal", reverses=reversed_one.entry_id),
                  entry(a, "pe-m1", "R04", date(2021, 12, 31)),  # last year
                  entry(a, "pe-m2", "R11", date(2022, 6, 1)), entry(a, "pe-m2", "R02b", date(2022, 6, 1)),
                  entry(a, "pe-m2", None, date(2022, 6, 2), "redemption_hold"))
    r = await svc.client.get(f"/periods/{period}/inputs", headers=office(a))
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    assert body["inputs"]["expert_guidance_dates"] == ["2022-03-01"]  # one occasion per day; 8 March reversed
    assert body["inputs"]["trainees_received"] == 1
    assert body["sources"]["trainees_received"] == "平台统计（事件）：接收进修、跟班学习人员"
