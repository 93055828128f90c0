"""Hunan (湖南省专科联盟绩效评价指标) scorecards, checked line by line against a hand computation."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import ClassVar

import pytest

from libs.kit.errors import InvalidInput
from services.evaluation.domain.catalog import load_score_framework, parse_framework
from services.evaluation.domain.scorecard import Scorecard, compute_scorecard

from .builders import hunan_inputs, hunan_previous

D = Decimal


def score(*, inputs: dict[str, object] | None = None, previous: dict[str, object] | None = None,
          not_applicable: frozenset[str] = frozenset(), subject_id: str = "hn-peds") -> Scorecard:
    return compute_scorecard(load_score_framework("hunan-alliance-2024"), subject_id=subject_id, year=2025,
                             inputs=hunan_inputs() if inputs is None else inputs,
                             previous=hunan_previous() if previous is None else previous,
                             not_applicable=not_applicable)


class TestHandComputedAlliance:
    """Alliance A, hand computed (max → deduction → score):

    1  章程 ✓ 绩效考核办法 ✓                                 10 − 0        = 10
    2  工作计划 ✓ 理事会 ✓ 日常工作部门人员 ✗ (−2 each)        10 − 2        = 8
    3  自评 1 次, 评价成员单位 ✓                               veto no, 0 pts
    4  同质化管理制度 ✓                                        5 − 0         = 5
    5  优先接诊 ✓ 优先检查 ✓ 优先住院 ✗ (−5 each)              10 − 5        = 5
    6  协作 3 项 (≥ 3)                                          veto no, 0 pts
    7  下派人才 4 人                                            5 − 0         = 5
    8  新技术 2 项; 培训 ✓ 指导 ✓ 影像 ✗ 推广 ✓ (−2 each)       5 − 2         = 3
    9  进修制度 ✓ 执行 ✓                                       4 − 0         = 4
    10 互认 ✓ 远程 ✓; 远程例次 130 → 120 下降 (−2)              6 − 2         = 4
    11 门急诊 100000 → 96600: −3.4 % → 3 whole points (−3); 手术 4800 → 5000 up; 出院、病种 flat
                                                               5 − 3         = 2
    12 三四级手术 2000 → 2100 up                               5 − 0         = 5
    13 手术 1000 → 990: −1 % (−1); 病种 160 → 150: −6.25 % → 6 (−6); 门急诊 up; 出院 flat
       7 > 5 → 扣完为止                                         5 − 5         = 0
    14 DRG 590 → 600 up; CMI 1.10 → 1.05: −4.545 % → 4 (−4)    5 − 4         = 1
    15 DRG, CMI flat                                           10 − 0        = 10
    16 下转 35 人                                               5 − 0         = 5
    17 门诊满意度 89.9 % < 90 % → 不得分                        5 − 5         = 0
    18 住院满意度 95.0 → 93.5: 1.5 pp → 1 whole point (−1)      5 − 1         = 4
    total = 10+8+0+5+5+0+5+3+4+4+2+5+0+1+10+5+0+4 = 71 ≥ 60, no veto → 合格

    Why 3.4 % → −3 and not −3.4: the seed says "每下降1个百分点扣1分" — one point per (whole) percentage
    point of decline; 0.4 of a point has not reached "1个百分点". The framework says so (rounding = "floor").
    """

    @pytest.fixture
    def card(self) -> Scorecard:
        inputs = hunan_inputs(
            has_daily_office=False, priority_admission=False, has_image_records=False,
            remote_service_volume=120, lead_outpatient_visits=96600, lead_operations=5000,
            lead_grade34_operations=2100, member_outpatient_visits=50000, member_operations=990,
            member_disease_types=150, lead_drg_groups=600, lead_cmi=D("1.05"),
            member_outpatient_satisfaction=D("89.9"), member_inpatient_satisfaction=D("93.5"),
        )
        return score(inputs=inputs)

    EXPECTED: ClassVar[dict[str, tuple[int, int, int]]] = {  # indicator → (max, deduction, score)
        "1": (10, 0, 10), "2": (10, 2, 8), "3": (0, 0, 0), "4": (5, 0, 5), "5": (10, 5, 5), "6": (0, 0, 0),
        "7": (5, 0, 5), "8": (5, 2, 3), "9": (4, 0, 4), "10": (6, 2, 4), "11": (5, 3, 2), "12": (5, 0, 5),
        "13": (5, 5, 0), "14": (5, 4, 1), "15": (10, 0, 10), "16": (5, 0, 5), "17": (5, 5, 0), "18": (5, 1, 4),
    }

    @pytest.mark.parametrize("indicator_id", list(EXPECTED))
    def test_line(self, card: Scorecard, indicator_id: str) -> None:
        line = card.line(indicator_id)
        assert (line.max_points, line.deduction, line.score) == tuple(D(n) for n in self.EXPECTED[indicator_id])
        assert not line.veto

    def test_total_and_grade(self, card: Scorecard) -> None:
        assert card.total == D(71)
        assert card.max_total == D(100)
        assert (card.grade.label, card.grade.passed) == ("合格", True)
        assert card.grade.funding_yuan is None

    def test_lines_explain_themselves(self, card: Scorecard) -> None:
        line = card.line("11")
        assert line.inputs["lead_outpatient_visits"] == D(96600)
        assert line.inputs["previous.lead_outpatient_visits"] == D(100000)
        assert line.inputs["lead_outpatient_visits.change_pct"] == D("-3.40")
        assert "每下降1个百分点扣1分" in line.rule_text and "按整百分点计" in line.rule_text
        assert "下降3.4%，扣3分" in line.note
        assert "扣完为止" in card.line("13").note
        assert "不得分" in card.line("17").note
        assert card.line("2").note == "缺失：负责联盟日常工作的具体部门和人员"
        assert card.line("6").inputs["cooperation_kinds"] == ("专科人才培养", "业务技术合作", "双向转诊服务")


class TestVeto:
    def test_fewer_than_three_cooperation_kinds_fails_a_full_score(self) -> None:
        card = score(inputs=hunan_inputs(cooperation_kinds=["专科人才培养", "双向转诊服务", "双向转诊服务"]))
        assert card.total == D(100)
        assert card.line("6").veto and "少于3项" in card.line("6").note
        assert (card.grade.label, card.grade.passed) == ("不合格", False)
        assert card.vetoes == ("6",)
        assert card.grade.reasons[0].startswith("第6项一票否决")

    def test_no_self_evaluation_fails(self) -> None:
        card = score(inputs=hunan_inputs(self_evaluations=0))
        assert card.vetoes == ("3",) and not card.grade.passed

    def test_members_not_evaluated_fails(self) -> None:
        assert score(inputs=hunan_inputs(members_evaluated=False)).vetoes == ("3",)

    def test_no_new_technique_fails_but_still_scores_records(self) -> None:
        card = score(inputs=hunan_inputs(new_technique_projects=0, has_image_records=False))
        line = card.line("8")
        assert line.veto and line.score == D(3)
        assert card.total == D(98) and card.grade.label == "不合格"

    def test_unknown_cooperation_kind_is_refused(self) -> None:
        with pytest.raises(InvalidInput) as err:
            score(inputs=hunan_inputs(cooperation_kinds=["联谊活动"]))
        assert err.value.field == "inputs.cooperation_kinds[0]"


class TestPassMark:
    def test_below_sixty_fails_without_veto(self) -> None:
        # 1: −10, 2: −6 (3 × 2), 5: −10 (capped from 15), 7: −5, 16: −5, 4: −5 → 100 − 41 = 59
        inputs = hunan_inputs(has_charter=False, has_performance_method=False, has_work_plan=False,
                              has_council=False, has_daily_office=False, priority_reception=False,
                              priority_examination=False, priority_admission=False, staff_dispatched=0,
                              down_referrals=0, has_homogenisation_rules=False)
        card = score(inputs=inputs)
        assert card.line("2").score == D(4)  # 3 items × 2 cannot use up the 10 points
        assert card.line("5").score == D(0)
        assert card.total == D(59)
        assert card.grade.label == "不合格" and "低于60分" in card.grade.reasons[0]

    def test_sixty_passes(self) -> None:
        inputs = hunan_inputs(has_charter=False, has_performance_method=False, has_work_plan=False,
                              has_council=False, has_daily_office=False, priority_reception=False,
                              priority_examination=False, priority_admission=False, staff_dispatched=0,
                              down_referrals=0, has_homogenisation_rules=True, member_operations=960)
        card = score(inputs=inputs)  # 100 − 10 − 6 − 10 − 5 − 5 − 4 (手术 −4 %) = 60
        assert card.total == D(60) and card.grade.label == "合格"


class TestYearOnYear:
    @pytest.mark.parametrize(("now", "deduction"), [
        (100000, 0), (100500, 0), (99600, 0), (99000, 1), (96600, 3), (96000, 4), (50000, 5),
    ])
    def test_whole_percentage_points(self, now: int, deduction: int) -> None:
        card = score(inputs=hunan_inputs(lead_outpatient_visits=now))
        assert card.line("11").deduction == D(deduction)

    def test_exact_rounding_is_a_data_choice(self) -> None:
        raw = {
            "id": "hunan-exact", "version": 1, "kind": "scorecard", "title": "t", "source": "s",
            "effective_from": date(2025, 1, 1), "max_total": 5,
            "grading": {"method": "pass_fail", "pass_min": 3, "pass_label": "合格", "fail_label": "不合格"},
            "indicators": [{"id": "11", "name": "门急诊", "max": 5, "rules": [{
                "method": "yoy_decline", "per_point": 1, "rounding": "exact",
                "metrics": [{"metric": "lead_outpatient_visits", "label": "门急诊人次"}]}]}],
        }
        framework = parse_framework(raw)
        card = compute_scorecard(framework, subject_id="x", year=2025,  # type: ignore[arg-type]
                                 inputs={"lead_outpatient_visits": 96600},
                                 previous={"lead_outpatient_visits": 100000})
        assert card.line("11").deduction == D("3.40") and card.line("11").score == D("1.60")

    def test_no_base_last_year_is_not_deducted(self) -> None:
        card = score(previous=hunan_previous(lead_disease_types=0))
        assert card.line("11").deduction == 0 and "上年为0" in card.line("11").note

    def test_missing_previous_value_names_it(self) -> None:
        previous = hunan_previous()
        del previous["lead_cmi"]
        with pytest.raises(InvalidInput) as err:
            score(previous=previous)
        assert err.value.field == "previous.lead_cmi"


class TestSatisfaction:
    def test_89_9_scores_nothing_even_without_last_year(self) -> None:
        previous = hunan_previous()
        del previous["member_outpatient_satisfaction"]
        card = score(inputs=hunan_inputs(member_outpatient_satisfaction=D("89.9")), previous=previous)
        assert card.line("17").score == D(0) and card.line("17").deduction == D(5)

    def test_exactly_90_goes_to_year_on_year(self) -> None:
        card = score(inputs=hunan_inputs(member_outpatient_satisfaction=90),
                     previous=hunan_previous(member_outpatient_satisfaction=D("91.5")))
        assert card.line("17").score == D(4)  # 1.5 pp → 1 whole point

    def test_above_100_is_refused(self) -> None:
        with pytest.raises(InvalidInput) as err:
            score(inputs=hunan_inputs(member_inpatient_satisfaction=D("100.1")))
        assert err.value.field == "inputs.member_inpatient_satisfaction"


class TestNotApplicable:
    def test_non_surgical_alliance_is_not_deducted(self) -> None:
        card = score(inputs=hunan_inputs(lead_grade34_operations=0), not_applicable=frozenset({"12"}))
        line = card.line("12")
        assert line.not_applicable and line.score == D(5) and line.deduction == 0
        assert "不作扣分处理" in line.note

    def test_not_applicable_needs_no_inputs(self) -> None:
        inputs = hunan_inputs()
        del inputs["lead_grade34_operations"]
        assert score(inputs=inputs, not_applicable=frozenset({"12"})).total == D(100)

    @pytest.mark.parametrize("indicator_id", ["3", "6", "8"])
    def test_veto_items_cannot_be_waived(self, indicator_id: str) -> None:
        with pytest.raises(InvalidInput) as err:
            score(not_applicable=frozenset({indicator_id}))
        assert err.value.field == "not_applicable"

    def test_unknown_indicator(self) -> None:
        with pytest.raises(InvalidInput, match="不存在的指标"):
            score(not_applicable=frozenset({"19"}))


class TestInputs:
    def test_missing_input_names_the_metric(self) -> None:
        inputs = hunan_inputs()
        del inputs["has_charter"]
        with pytest.raises(InvalidInput) as err:
            score(inputs=inputs)
        assert err.value.field == "inputs.has_charter" and "has_charter" in err.value.detail

    @pytest.mark.parametrize(("metric", "value"), [
        ("staff_dispatched", -1), ("down_referrals", D("2.5")), ("lead_cmi", 1.05), ("has_charter", "yes"),
        ("lead_outpatient_visits", -100), ("self_evaluations", "一次"),
    ])
    def test_bad_values_name_the_field(self, metric: str, value: object) -> None:
        with pytest.raises(InvalidInput) as err:
            score(inputs=hunan_inputs(**{metric: value}))
        assert err.value.field == f"inputs.{metric}"

    def test_extra_metrics_are_ignored(self) -> None:
        assert score(inputs=hunan_inputs(unrelated_metric=3)).total == D(100)

    def test_subject_and_year_are_checked(self) -> None:
        with pytest.raises(InvalidInput) as err:
            score(subject_id=" ")
        assert err.value.field == "subject_id"
