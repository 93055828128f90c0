"""Hunan scorecards through the API, checked line by line against a hand computation (the domain tests' one,
with the platform metrics counted from consumed events instead of typed in)."""

from __future__ import annotations

import json
from typing import Any, ClassVar

import pytest

from tests.harness.services import RunningService

from .harness import commission, office, outbox_events, post, unit_admin
from .hunan_scenario import OFFICE_2025, Hunan, file, hunan_alliance, hunan_events

MEMBER_FRAMEWORK = {
    "id": "hn-member-unit", "version": 1, "kind": "scorecard", "title": "成员单位年度评价（示例）",
    "source": "联盟绩效考核管理办法（示例）", "effective_from": "2025-01-01", "max_total": 10,
    "grading": {"method": "pass_fail", "pass_min": 6, "pass_label": "合格", "fail_label": "不合格"},
    "indicators": [
        {"id": "1", "name": "接收下转患者", "max": 5, "rules": [
            {"method": "deduct_if_none", "amount": 5,
             "metric": {"metric": "referrals_down", "label": "接收下转患者"}}]},
        {"id": "2", "name": "本单位联盟工作制度", "max": 5, "rules": [
            {"method": "deduct_per_missing", "per_missing": 5,
             "items": [{"metric": "has_unit_rules", "label": "本单位联盟工作制度"}]}]},
    ],
}


async def evaluate_member(svc: RunningService, h: Hunan) -> dict[str, Any]:
    """对成员单位的评价: an uploaded framework; the unit files its own figure, the rest comes from events."""
    upload = await post(svc.client, "/frameworks", {"format": "json", "content": json.dumps(MEMBER_FRAMEWORK)},
                        office(h.alliance_id))
    assert upload.status_code == 201, upload.text
    await file(svc, h.period_2025, {"has_unit_rules": True}, unit_admin(h.m1), framework_id="hn-member-unit")
    r = await post(svc.client, f"/periods/{h.period_2025}/scorecards",
                   {"kind": "member", "subject_unit_id": h.m1, "framework_id": "hn-member-unit"},
                   office(h.alliance_id))
    assert r.status_code == 201, r.text
    card: dict[str, Any] = r.json()
    return card


async def self_evaluate(svc: RunningService, h: Hunan, **body: Any) -> dict[str, Any]:
    r = await post(svc.client, f"/periods/{h.period_2025}/scorecards", {"kind": "self", **body},
                   office(h.alliance_id))
    assert r.status_code == 201, r.text
    card: dict[str, Any] = r.json()
    return card


def line(card: dict[str, Any], indicator_id: str) -> dict[str, Any]:
    found: dict[str, Any] = next(x for x in card["lines"] if x["indicator_id"] == indicator_id)
    return found


class TestHandComputedSelfEvaluation:
    """Alliance hn-a, 2025 self-evaluation (牵头单位自评), hand computed (max → deduction → score):

    1  章程 ✓ 绩效考核办法 ✓ (office)                               10 − 0 = 10
    2  日常工作部门人员 ✗ (office)                                  10 − 2 = 8
    3  自评: this run = 1; 成员单位评价: hn-a-m1 evaluated ✓         veto no
    4  同质化制度 ✓                                                   5 − 0 = 5
    5  绿色通道 events at the lead: 优先接诊 ✓ 优先检查 ✓ 优先住院 ✗    10 − 5 = 5
    6  协作 3 项                                                       veto no
    7  下派人才: no R04 points entries consumed → 0                    5 − 5 = 0
    8  新技术 2; 影像资料 ✗                                             5 − 2 = 3
    9  进修制度 ✓ 执行 ✓                                               4 − 0 = 4
    10 结果互认 event ✓, 远程服务 ✓ (office); 远程例次 events 3 → 2 下降  6 − 2 = 4
    11 lead 门急诊 100000 → 96600 −3.4 % → −3                          5 − 3 = 2
    12 lead 三四级手术 2000 → 2100                                     5 − 0 = 5
    13 members summed: 手术 1000 → 990 −1; 病种 160 → 150 −6 → 扣完为止  5 − 5 = 0
    14 lead CMI 1.10 → 1.05 −4.5 % → −4                               5 − 4 = 1
    15 members DRG, CMI (mean) flat                                    10 − 0 = 10
    16 下转 events from the lead in 2025: 2 (the 2024-12-31 one is last year's)   5 − 0 = 5
    17 members' 门诊满意度 mean (89.8 + 90.0) / 2 = 89.90 < 90 → 不得分   5 − 5 = 0
    18 住院满意度 mean 95 → 93.5: 1.5 pp → −1                           5 − 1 = 4
    total = 10+8+0+5+5+0+0+3+4+4+2+5+0+1+10+5+0+4 = 66 → 合格
    """

    EXPECTED: ClassVar[dict[str, tuple[str, str, str]]] = {
        "1": ("10", "0", "10"), "2": ("10", "2", "8"), "3": ("0", "0", "0"), "4": ("5", "0", "5"),
        "5": ("10", "5", "5"), "6": ("0", "0", "0"), "7": ("5", "5", "0"), "8": ("5", "2", "3"),
        "9": ("4", "0", "4"), "10": ("6", "2", "4"), "11": ("5", "3", "2"), "12": ("5", "0", "5"),
        "13": ("5", "5", "0"), "14": ("5", "4", "1"), "15": ("10", "0", "10"), "16": ("5", "0", "5"),
        "17": ("5", "5", "0"), "18": ("5", "1", "4"),
    }

    @pytest.fixture
    async def card(self, svc: RunningService) -> dict[str, Any]:
        h = await hunan_alliance(svc, "hn-a")
        await hunan_events(svc, h)
        member_card = await evaluate_member(svc, h)
        assert (member_card["total"], member_card["grade"]) == ("10", "合格")
        assert line(member_card, "1")["inputs"] == {"referrals_down": 2}  # the unit's own down-referrals received
        return await self_evaluate(svc, h)

    async def test_lines_total_and_grade(self, card: dict[str, Any]) -> None:
        got = {x["indicator_id"]: (x["max_points"], x["deduction"], x["score"]) for x in card["lines"]}
        assert got == self.EXPECTED
        assert not any(x["veto"] for x in card["lines"])
        assert (card["total"], card["max_total"], card["grade"], card["passed"]) == ("66", "100", "合格", True)
        assert card["kind"] == "self" and card["year"] == 2025 and card["framework_id"] == "hunan-alliance-2024"

    async def test_platform_metrics_come_from_events(self, card: dict[str, Any]) -> None:
        assert line(card, "16")["inputs"] == {"down_referrals": 2}
        assert line(card, "16")["sources"]["down_referrals"] == "平台统计（事件）：牵头单位下转患者"
        five = line(card, "5")
        assert five["inputs"] == {"priority_reception": True, "priority_examination": True,
                                  "priority_admission": False}
        assert five["note"] == "缺失：优先住院"
        ten = line(card, "10")
        assert ten["inputs"]["remote_service_volume"] == "2" and ten["inputs"]["previous.remote_service_volume"] == "3"
        assert ten["inputs"]["mutual_recognition"] is True
        assert "同比下降" in ten["note"]
        three = line(card, "3")
        assert three["inputs"] == {"self_evaluations": 1, "members_evaluated": True}

    async def test_lines_explain_themselves(self, card: dict[str, Any]) -> None:
        eleven = line(card, "11")
        assert eleven["inputs"]["lead_outpatient_visits"] == "96600"
        assert eleven["inputs"]["previous.lead_outpatient_visits"] == "100000"
        assert eleven["inputs"]["lead_outpatient_visits.change_pct"] == "-3.4"
        assert eleven["sources"]["lead_outpatient_visits"] == "牵头单位填报 第1版"
        assert "每下降1个百分点扣1分" in eleven["rules"][0]["rule"] and "下降3.4%，扣3分" in eleven["note"]
        thirteen = line(card, "13")
        assert thirteen["inputs"]["member_operations"] == "990"
        assert thirteen["sources"]["member_operations"] == "成员单位合计（2/2家填报）"
        assert "扣完为止" in thirteen["note"]
        seventeen = line(card, "17")
        assert seventeen["inputs"]["member_outpatient_satisfaction"] == "89.9"
        assert seventeen["sources"]["member_outpatient_satisfaction"] == "成员单位平均（2/2家填报）"
        assert "不得分" in seventeen["note"]
        assert line(card, "2")["sources"]["has_daily_office"] == "联盟办公室填报 第1版"

    async def test_published_as_an_event(self, svc: RunningService, card: dict[str, Any]) -> None:
        [event] = [e for e in await outbox_events(svc, "alliance.evaluation.scorecard.published")
                   if e.data["scorecard_id"] == card["scorecard_id"]]
        assert event.subject == "hn-a" and event.source == "/alliance/evaluation"
        data = event.data
        assert {k: data[k] for k in ("alliance_id", "kind", "framework_id", "version", "year", "total",
                                     "max_total", "grade", "passed", "funding_yuan", "vetoes", "subject_unit_id")} \
            == {"alliance_id": "hn-a", "kind": "self", "framework_id": "hunan-alliance-2024", "version": 1,
                "year": 2025, "total": "66", "max_total": "100", "grade": "合格", "passed": True,
                "funding_yuan": None, "vetoes": [], "subject_unit_id": None}
        assert data["lines"][10] == {"indicator_id": "11", "name": line(card, "11")["name"], "max_points": "5",
                                     "deduction": "3", "score": "2", "veto": False, "not_applicable": False}

    async def test_readable_line_by_line_by_the_commission(self, svc: RunningService, card: dict[str, Any]) -> None:
        r = await svc.client.get(f"/scorecards/{card['scorecard_id']}", headers=commission("430000"))
        assert r.status_code == 200 and r.json()["lines"] == card["lines"]


class TestVetoAndDissolution:
    """协作项目少于3项 → 第6项一票否决 → 不合格 whatever the total; two such years → dissolution recommended."""

    YOY = ["10", "11", "12", "13", "14", "15", "17", "18"]  # 不适用 here: this test is about the veto

    async def test_veto_fails_and_two_years_recommend_dissolution(self, svc: RunningService) -> None:
        few = dict(OFFICE_2025, cooperation_kinds=["专科人才培养", "双向转诊服务", "双向转诊服务"])
        h = await hunan_alliance(svc, "hn-b", office_2025=few)
        await file(svc, h.period_2024, few, office(h.alliance_id))
        hc = commission("430000")
        cards = []
        for period in (h.period_2024, h.period_2025):
            r = await post(svc.client, f"/periods/{period}/scorecards",
                           {"kind": "commission", "not_applicable": self.YOY}, hc)
            assert r.status_code == 201, r.text
            cards.append(r.json())
        for card in cards:
            six = line(card, "6")
            assert six["veto"] and "少于3项" in six["note"]
            assert six["inputs"]["cooperation_kinds"] == ["专科人才培养", "双向转诊服务", "双向转诊服务"]
            assert (card["grade"], card["passed"]) == ("不合格", False)
            assert any(reason.startswith("第6项一票否决") for reason in card["reasons"])
            assert line(card, "12")["not_applicable"] and line(card, "12")["score"] == "5"
        [flag] = await outbox_events(svc, "alliance.evaluation.alliance.dissolution_recommended")
        assert flag.data["alliance_id"] == "hn-b" and flag.data["years"] == [2024, 2025]
        assert flag.data["scorecard_ids"] == [c["scorecard_id"] for c in cards]
        again = await post(svc.client, f"/periods/{h.period_2025}/scorecards",
                           {"kind": "commission", "not_applicable": self.YOY}, hc)
        assert again.status_code == 201
        assert len(await outbox_events(svc, "alliance.evaluation.alliance.dissolution_recommended")) == 1

    async def test_one_failing_year_is_not_enough(self, svc: RunningService) -> None:
        few = dict(OFFICE_2025, cooperation_kinds=["专科人才培养"])
        h = await hunan_alliance(svc, "hn-c", office_2025=few)
        r = await post(svc.client, f"/periods/{h.period_2025}/scorecards",
                       {"kind": "commission", "not_applicable": self.YOY}, commission("430000"))
        assert r.status_code == 201 and r.json()["passed"] is False
        assert await outbox_events(svc, "alliance.evaluation.alliance.dissolution_recommended") == []
