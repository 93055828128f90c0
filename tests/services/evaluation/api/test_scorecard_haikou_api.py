"""Haikou scorecards through the API, line by line; 转诊患者 (item 7) is counted from consumed referral events."""

from __future__ import annotations

from datetime import date
from typing import Any, ClassVar

import pytest

from libs.events.consumer import Outcome
from tests.harness.services import RunningService
from tests.harness.waiting import eventually

from . import referral_events as rf
from .harness import directory, office, outbox_events, post, publish, unit_admin
from .hunan_scenario import file, open_period

A, LEAD, M1, M2 = "hk-neuro", "hk-lead", "hk-m1", "hk-m2"
OFFICE_2022: dict[str, Any] = dict(
    has_charter=True, office_meetings=10, academic_conference_held=True, referral_standards_made=True,
    referral_standards_in_use=True, result_sharing_platform=True, result_sharing=True,
    research_projects=["approved", "approved", "declared"], party_activities=5)


async def referrals_2022(svc: RunningService) -> None:
    """11 referrals reach the patient in 2022 (10 up, 1 down); noise that must not count."""
    up = [rf.arrived(alliance_id=A, direction="up", referring=M1, receiving=LEAD, day=date(2022, 3, d))
          for d in range(1, 11)]
    down = rf.arrived(alliance_id=A, direction="down", referring=LEAD, receiving=M2, day=date(2022, 4, 1),
                      setting="emergency_transport")
    same_referral_completed = rf.completed(alliance_id=A, direction="up", referring=M1, receiving=LEAD,
                                           day=date(2022, 3, 5), referral_id=up[0].referral_id)
    not_on_site = rf.arrived(alliance_id=A, direction="up", referring=M2, receiving=LEAD, day=date(2022, 5, 1),
                             to_status="accepted")
    other_alliance = rf.arrived(alliance_id="other", direction="up", referring=M1, receiving=LEAD,
                                day=date(2022, 5, 1))
    [first, *_] = await publish(svc, *up, down, same_referral_completed, not_on_site, other_alliance)
    # The same event again under another Nats-Msg-Id (a producer retry JetStream cannot dedupe): the inbox does.
    js, ns = svc.runtime.js, svc.runtime.settings.events_namespace
    assert js is not None
    await js.publish(f"{ns}{first.type}", first.to_bytes(), headers={"Nats-Msg-Id": "retry-" + first.id})
    consumer = next(c for c in svc.runtime.consumers if c.name == "evaluation-from-referral")

    async def duplicates() -> int:
        return consumer.counts[Outcome.DUPLICATE]

    await eventually(duplicates, until=lambda n: n >= 1, what="redelivery absorbed")


class TestHandComputedAlliance:
    """Alliance hk-neuro, 2022, evaluated by its office (earned, capped at the max):

    1  章程 ✓                                                          5
    2  工作会议 10 次: 5 − (12 − 10) × 1                                 3
    3  学术研讨交流会 ✓                                                   5
    4  专家下派: no R04 points entries consumed → 0 days                  0
    5  接收进修: no R11/R01a points entries consumed → 0                  0
    6  转诊标准 制订并实施                                                5
    7  转诊患者 from referral events: 11 (10 up + 1 down; the completion of an already counted referral,
       a referral only accepted, another alliance's and a redelivered event do not count) → 最高 10   10
    8  有平台 2 + 建立共享 3                                               5
    9  立项 2 × 5 + 申报 1 × 3 = 13                                       13
    10 党建活动 5 × 2                                                    10
    11 members (m1 + m2): 门诊 100000 → 110000 +10 %, 住院 5000 → 5150 +3 %, 手术 1000 → 1040 +4 %;
       mean 5.67 % ≥ 5 → 5 + floor(0.67) = 5                                5
    total = 5+3+5+0+0+5+10+5+13+10+5 = 61 > 60, not > 80 → 合格, 学科建设经费 500000 元
    """

    EXPECTED: ClassVar[dict[str, tuple[str, str]]] = {  # indicator → (max, score)
        "1": ("5", "5"), "2": ("5", "3"), "3": ("5", "5"), "4": ("20", "0"), "5": ("10", "0"), "6": ("5", "5"),
        "7": ("10", "10"), "8": ("5", "5"), "9": ("15", "13"), "10": ("10", "10"), "11": ("10", "5"),
    }

    @pytest.fixture
    async def card(self, svc: RunningService) -> dict[str, Any]:
        await directory(svc, alliance_id=A, region_code="460100", name="海口市神经外科大专科联盟",
                        units={LEAD: "lead", M1: "member", M2: "member"})
        p21 = await open_period(svc, A, 2021, "haikou-2021")
        p22 = await open_period(svc, A, 2022, "haikou-2021")
        await file(svc, p22, OFFICE_2022, office(A))
        for period, m1, m2 in ((p21, (55000, 3000, 600), (45000, 2000, 400)),
                               (p22, (60000, 3000, 600), (50000, 2150, 440))):
            for unit, (visits, admissions, operations) in ((M1, m1), (M2, m2)):
                await file(svc, period, {"member_outpatient_visits": visits,
                                         "member_inpatient_admissions": admissions,
                                         "member_operations": operations}, unit_admin(unit))
        await referrals_2022(svc)
        r = await post(svc.client, f"/periods/{p22}/scorecards", {"kind": "self"}, office(A))
        assert r.status_code == 201, r.text
        body: dict[str, Any] = r.json()
        return body

    async def test_lines(self, card: dict[str, Any]) -> None:
        got = {x["indicator_id"]: (x["max_points"], x["score"]) for x in card["lines"]}
        assert got == self.EXPECTED
        for x in card["lines"]:
            assert x["deduction"] == str(int(x["max_points"]) - int(x["score"]))

    async def test_total_grade_and_funding(self, card: dict[str, Any]) -> None:
        assert (card["total"], card["grade"], card["passed"], card["funding_yuan"]) == ("61", "合格", True, 500000)

    async def test_referred_patients_come_from_events(self, card: dict[str, Any]) -> None:
        seven = next(x for x in card["lines"] if x["indicator_id"] == "7")
        assert seven["inputs"] == {"referred_patients": 11}
        assert seven["sources"] == {"referred_patients": "平台统计（事件）：联盟内转诊患者"}
        assert "已达上限" in seven["note"]
        eleven = next(x for x in card["lines"] if x["indicator_id"] == "11")
        assert eleven["inputs"]["overall_growth_pct"] == "5.67"
        assert eleven["sources"]["previous.member_operations"] == "成员单位合计（2/2家填报）"

    async def test_event_carries_the_funding(self, svc: RunningService, card: dict[str, Any]) -> None:
        [event] = await outbox_events(svc, "alliance.evaluation.scorecard.published")
        assert event.data["funding_yuan"] == 500000 and event.data["grade"] == "合格"
        assert [x["score"] for x in event.data["lines"]] == [s for _, s in self.EXPECTED.values()]
