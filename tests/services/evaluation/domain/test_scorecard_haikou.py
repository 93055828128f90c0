"""Haikou (海口市大专科联盟建设综合绩效考核细则) scorecards, checked line by line against a hand computation."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import ClassVar

import pytest

from libs.kit.errors import InvalidInput
from services.evaluation.domain.catalog import load_score_framework
from services.evaluation.domain.scorecard import Scorecard, compute_scorecard

from .builders import guidance_days, haikou_inputs, haikou_previous

D = Decimal


def score(*, inputs: dict[str, object] | None = None, previous: dict[str, object] | None = None,
          not_applicable: frozenset[str] = frozenset()) -> Scorecard:
    return compute_scorecard(load_score_framework("haikou-2021"), subject_id="hk-neurosurgery", year=2022,
                             inputs=haikou_inputs() if inputs is None else inputs,
                             previous=haikou_previous() if previous is None else previous,
                             not_applicable=not_applicable)


class TestHandComputedAlliance:
    """Alliance H, hand computed (earned, capped at the max):

    1  章程 ✓                                                     5
    2  工作会议 10 次: 5 − (12 − 10) × 1                           3
    3  学术研讨交流会 ✓                                            5
    4  下派指导 14 次, 其中 2 次与已计日期同一天 → 12 天 × 1         12
    5  接收进修 7 人 × 1                                           7
    6  转诊标准 制订未实施                                         2
    7  转诊 15 人 × 1 = 15 → 最高 10                               10
    8  有平台 2, 未建立共享 0                                      2
    9  项目: 立项 1 × 5 + 申报 2 × 3 = 11                          11
    10 党建活动 3 × 2                                              6
    11 增长: 门诊 +10 %, 住院 5000 → 5150 +3 %, 手术 1000 → 1040 +4 %; mean 5.67 % ≥ 5 → 5 + floor(0.67) = 5
    total = 5+3+5+12+7+2+10+2+11+6+5 = 68 > 60, not > 80 → 合格, 500000 元
    """

    @pytest.fixture
    def card(self) -> Scorecard:
        inputs = haikou_inputs(
            office_meetings=10, expert_guidance_dates=guidance_days(12, duplicates=2), trainees_received=7,
            referral_standards_in_use=False, referred_patients=15, result_sharing=False,
            research_projects=["approved", "declared", "declared"], party_activities=3,
            member_inpatient_admissions=5150, member_operations=1040,
        )
        return score(inputs=inputs)

    EXPECTED: ClassVar[dict[str, int]] = {
        "1": 5, "2": 3, "3": 5, "4": 12, "5": 7, "6": 2, "7": 10, "8": 2, "9": 11, "10": 6, "11": 5}
    MAXIMA: ClassVar[dict[str, int]] = {
        "1": 5, "2": 5, "3": 5, "4": 20, "5": 10, "6": 5, "7": 10, "8": 5, "9": 15, "10": 10, "11": 10}

    @pytest.mark.parametrize("indicator_id", list(EXPECTED))
    def test_line(self, card: Scorecard, indicator_id: str) -> None:
        line = card.line(indicator_id)
        assert line.score == D(self.EXPECTED[indicator_id])
        assert line.max_points == D(self.MAXIMA[indicator_id])
        assert line.deduction == line.max_points - line.score

    def test_total_grade_and_funding(self, card: Scorecard) -> None:
        assert card.total == D(68)
        assert (card.grade.label, card.grade.passed, card.grade.funding_yuan) == ("合格", True, 500000)
        assert isinstance(card.grade.funding_yuan, int)

    def test_lines_explain_themselves(self, card: Scorecard) -> None:
        assert card.line("4").inputs["expert_guidance_dates.distinct_days"] == 12
        assert "每天只算1次" in card.line("4").rule_text
        assert card.line("11").inputs["overall_growth_pct"] == D("5.67")
        assert "已达上限" in card.line("7").note
        assert "申报并立项1项" in card.line("9").note


class TestGradeBands:
    @pytest.mark.parametrize(("overrides", "total", "label", "funding"), [
        ({}, 100, "优秀", 1500000),
        ({"academic_conference_held": False, "office_meetings": 8}, 91, "优秀", 1500000),
        ({"academic_conference_held": False, "office_meetings": 2}, 90, "良好", 1000000),  # strictly > 90
        ({"party_activities": 0, "trainees_received": 0}, 80, "合格", 500000),
        ({"party_activities": 0, "trainees_received": 0, "expert_guidance_dates": guidance_days(1)}, 61,
         "合格", 500000),
        ({"party_activities": 0, "trainees_received": 0, "expert_guidance_dates": []}, 60, "不合格", 0),
    ])
    def test_bands_are_strictly_greater(self, overrides: dict[str, object], total: int, label: str,
                                        funding: int) -> None:
        card = score(inputs=haikou_inputs(**overrides))
        assert card.total == D(total)
        assert (card.grade.label, card.grade.funding_yuan) == (label, funding)
        assert card.grade.passed is (label != "不合格")


class TestGrowth:
    def test_mean_of_rates(self) -> None:
        # 门诊 +0 %, 住院 +10 %, 手术 +10 % → (0 + 10 + 10) / 3 = 6.67 % → 5 + floor(1.67) = 6
        card = score(inputs=haikou_inputs(member_outpatient_visits=100000))
        assert card.line("11").score == D(6)

    @pytest.mark.parametrize(("growth_pct", "expected"), [(4, 0), (5, 5), (7, 7), (15, 10), (30, 10)])
    def test_threshold_and_cap(self, growth_pct: int, expected: int) -> None:
        now = {m: 1000 + 10 * growth_pct for m in ("member_outpatient_visits", "member_inpatient_admissions",
                                                      "member_operations")}
        before: dict[str, object] = {m: 1000 for m in now}
        card = score(inputs=haikou_inputs(**now), previous=before)
        assert card.line("11").score == D(expected)

    def test_decline_scores_nothing(self) -> None:
        card = score(inputs=haikou_inputs(member_outpatient_visits=90000, member_inpatient_admissions=5000,
                                          member_operations=1000))
        assert card.line("11").score == 0 and "未达5%" in card.line("11").note

    def test_zero_base_is_refused(self) -> None:
        with pytest.raises(InvalidInput) as err:
            score(previous=haikou_previous(member_operations=0))
        assert err.value.field == "previous.member_operations"


class TestInputs:
    def test_unknown_project_status(self) -> None:
        with pytest.raises(InvalidInput) as err:
            score(inputs=haikou_inputs(research_projects=["approved", "pending"]))
        assert err.value.field == "inputs.research_projects[1]"

    def test_naive_guidance_time_is_refused(self) -> None:
        with pytest.raises(InvalidInput) as err:
            score(inputs=haikou_inputs(expert_guidance_dates=[datetime(2024, 3, 1, 9)]))
        assert err.value.field == "inputs.expert_guidance_dates[0]"

    def test_aware_times_count_by_shanghai_day(self) -> None:
        # 2024-03-01 15:30Z and 16:30Z are 23:30 on 1 March and 00:30 on 2 March in Shanghai: two days
        times = [datetime(2024, 3, 1, 15, 30, tzinfo=UTC),
                 datetime(2024, 3, 1, 16, 30, tzinfo=UTC)]
        assert score(inputs=haikou_inputs(expert_guidance_dates=times)).line("4").score == D(2)

    def test_not_applicable_is_not_a_haikou_notion(self) -> None:
        with pytest.raises(InvalidInput) as err:
            score(not_applicable=frozenset({"9"}))
        assert err.value.field == "not_applicable"

    def test_negative_count(self) -> None:
        with pytest.raises(InvalidInput) as err:
            score(inputs=haikou_inputs(office_meetings=-1))
        assert err.value.field == "inputs.office_meetings"
