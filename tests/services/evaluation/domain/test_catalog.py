"""Frameworks are data: the shipped files load, and bad data is refused with the path of the mistake."""

from __future__ import annotations

import copy
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from libs.kit.errors import InvalidInput, NotFound
from services.evaluation.domain.catalog import framework_ids, load_framework, parse_framework
from services.evaluation.domain.club import ClubFramework
from services.evaluation.domain.framework import ScoreFramework
from services.evaluation.domain.methods import METHODS
from services.evaluation.domain.reporting import ReportingFramework


def tiny(**changes: Any) -> dict[str, Any]:
    raw: dict[str, Any] = {
        "id": "tiny", "version": 1, "kind": "scorecard", "title": "测试", "source": "测试",
        "effective_from": date(2025, 1, 1), "max_total": 5,
        "grading": {"method": "pass_fail", "pass_min": 3, "pass_label": "合格", "fail_label": "不合格"},
        "indicators": [{"id": "1", "name": "章程", "max": 5, "rules": [
            {"method": "deduct_if_none", "metric": {"metric": "has_charter", "label": "章程"}, "amount": 5}]}],
    }
    raw.update(changes)
    return raw


class TestShippedFrameworks:
    def test_all_four_are_there(self) -> None:
        assert framework_ids() == ["club-annual-2024", "haikou-2021", "hunan-alliance-2024", "jizhou-2019"]

    def test_hunan(self) -> None:
        hunan = load_framework("hunan-alliance-2024")
        assert isinstance(hunan, ScoreFramework)
        assert len(hunan.indicators) == 18 and hunan.max_total == Decimal(100)
        assert {i.id for i in hunan.indicators if i.has_veto} == {"3", "6", "8"}
        assert hunan.effective_from == date(2025, 1, 15)
        assert hunan.indicator("17").name == "成员单位相应科室年度门诊患者满意度"

    def test_haikou(self) -> None:
        haikou = load_framework("haikou-2021")
        assert isinstance(haikou, ScoreFramework)
        assert len(haikou.indicators) == 11
        assert [(b.label, b.above, b.funding_yuan) for b in haikou.grading.bands] == [
            ("优秀", Decimal(90), 1500000), ("良好", Decimal(80), 1000000), ("合格", Decimal(60), 500000)]

    def test_other_kinds(self) -> None:
        assert isinstance(load_framework("club-annual-2024"), ClubFramework)
        jizhou = load_framework("jizhou-2019")
        assert isinstance(jizhou, ReportingFramework)
        assert [d.name for d in jizhou.duties] == ["儿科医联体组建情况汇总表", "儿科医联体运转情况月统计表",
                                                  "季度书面工作总结"]

    def test_both_score_frameworks_use_only_the_generic_methods(self) -> None:
        used = {r.method.name for fid in ("hunan-alliance-2024", "haikou-2021")
                for i in load_framework(fid).indicators for r in i.rules}  # type: ignore[union-attr]
        assert used == set(METHODS)

    @pytest.mark.parametrize("framework_id", ["nope", "../secrets", "HUNAN"])
    def test_unknown_id(self, framework_id: str) -> None:
        with pytest.raises(NotFound):
            load_framework(framework_id)


class TestNewFrameworkAsData:
    def test_a_new_framework_needs_no_code(self) -> None:
        framework = parse_framework(tiny())
        assert isinstance(framework, ScoreFramework) and framework.indicator("1").max_points == 5

    @pytest.mark.parametrize(("change", "field"), [
        (lambda r: r["indicators"][0]["rules"][0].update(method="magic"), "indicators[0].rules[0].method"),
        (lambda r: r["indicators"][0]["rules"][0].update(amount=2.5), "indicators[0].rules[0].amount"),
        (lambda r: r["indicators"][0]["rules"][0].pop("amount"), "indicators[0].rules[0].amount"),
        (lambda r: r.update(max_total=10), "max_total"),
        (lambda r: r.update(kind="poem"), "kind"),
        (lambda r: r["indicators"].append(copy.deepcopy(r["indicators"][0])), "indicators"),
        (lambda r: r["indicators"][0]["rules"].append(
            {"method": "per_occurrence_capped", "metric": {"metric": "x", "label": "x"}, "per": 1, "cap": 5}),
         "indicators[0].rules"),
        (lambda r: r["grading"].update(method="bands", bands=[{"label": "合格", "above": 60},
                                                              {"label": "优秀", "above": 90}]), "grading.bands"),
    ])
    def test_bad_data_names_the_path(self, change: Any, field: str) -> None:
        raw = tiny()
        change(raw)
        with pytest.raises(InvalidInput) as err:
            parse_framework(raw)
        assert err.value.field == field
        assert err.value.detail.startswith("框架配置无效")
