"""Comparison rows across years for one alliance and across alliances in one year."""

from __future__ import annotations

from decimal import Decimal

import pytest

from libs.kit.errors import InvalidInput
from services.evaluation.domain.catalog import load_score_framework
from services.evaluation.domain.comparison import compare_alliances, compare_years, grade_counts
from services.evaluation.domain.scorecard import Scorecard, compute_scorecard

from .builders import haikou_inputs, haikou_previous

D = Decimal


def haikou(*, subject_id: str = "hk-ortho", year: int = 2022, **overrides: object) -> Scorecard:
    return compute_scorecard(load_score_framework("haikou-2021"), subject_id=subject_id, year=year,
                             inputs=haikou_inputs(**overrides), previous=haikou_previous())


class TestCompareYears:
    def test_rows_by_year_with_change(self) -> None:
        rows = compare_years([haikou(year=2023, party_activities=0), haikou(year=2022)])
        assert [(r.year, r.total, r.grade, r.change) for r in rows] == [
            (2022, D(100), "优秀", None), (2023, D(90), "良好", D(-10))]
        assert rows[1].scores["10"] == D(0)

    def test_one_alliance_only(self) -> None:
        with pytest.raises(InvalidInput):
            compare_years([haikou(), haikou(subject_id="other", year=2023)])

    def test_one_card_per_year(self) -> None:
        with pytest.raises(InvalidInput):
            compare_years([haikou(), haikou()])


class TestCompareAlliances:
    def test_ranked_with_ties(self) -> None:
        cards = [haikou(subject_id="b", party_activities=0), haikou(subject_id="a"),
                 haikou(subject_id="c", party_activities=0), haikou(subject_id="d", expert_guidance_dates=[],
                                                                   party_activities=0, trainees_received=0)]
        rows = compare_alliances(cards)
        assert [(r.rank, r.subject_id, r.total, r.grade, r.funding_yuan) for r in rows] == [
            (1, "a", D(100), "优秀", 1500000), (2, "b", D(90), "良好", 1000000),
            (2, "c", D(90), "良好", 1000000), (4, "d", D(60), "不合格", 0)]
        assert grade_counts(cards) == {"良好": 2, "优秀": 1, "不合格": 1}

    def test_same_year_only(self) -> None:
        with pytest.raises(InvalidInput):
            compare_alliances([haikou(subject_id="a"), haikou(subject_id="b", year=2023)])
