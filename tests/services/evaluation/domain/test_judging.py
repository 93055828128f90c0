"""Judging: scores in range, averages, and the 25 % cap on excellent cases (floor, enforced)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from libs.kit.errors import Conflict, InvalidInput
from services.evaluation.domain.judging import (
    JudgeScore,
    average_scores,
    decide_awards,
    excellent_limit,
    ranking,
    record_score,
)
from services.evaluation.domain.prizes import Prize

from .competition_builders import call, entries

D = Decimal


def scored(n: int) -> tuple[list, tuple[JudgeScore, ...]]:  # type: ignore[type-arg]
    made = entries(n)
    scores: tuple[JudgeScore, ...] = ()
    for i, e in enumerate(made):
        scores = record_score(call(), made, scores, JudgeScore(e.entry_id, "judge-a", D(60 + i)))
    return made, scores


class TestScores:
    def test_average_of_judges_half_up(self) -> None:
        made = entries(1)
        scores: tuple[JudgeScore, ...] = ()
        for judge, mark in (("a", 90), ("b", 85), ("c", "86")):
            scores = record_score(call(), made, scores, JudgeScore(made[0].entry_id, judge, mark))  # type: ignore[arg-type]
        assert average_scores(scores) == {made[0].entry_id: D("87.00")}

    def test_thirds_round_half_up(self) -> None:
        made = entries(1)
        s = [JudgeScore(made[0].entry_id, j, D(m)) for j, m in (("a", 90), ("b", 90), ("c", 91))]
        assert average_scores(s)[made[0].entry_id] == D("90.33")

    @pytest.mark.parametrize("mark", [D("-1"), D("100.5"), 95.5])
    def test_out_of_range(self, mark: object) -> None:
        made = entries(1)
        with pytest.raises(InvalidInput) as err:
            record_score(call(), made, (), JudgeScore(made[0].entry_id, "a", mark))  # type: ignore[arg-type]
        assert err.value.field == "score"

    def test_one_score_per_judge(self) -> None:
        made = entries(1)
        first = record_score(call(), made, (), JudgeScore(made[0].entry_id, "a", D(80)))
        with pytest.raises(Conflict):
            record_score(call(), made, first, JudgeScore(made[0].entry_id, "a", D(81)))

    def test_unknown_entry(self) -> None:
        with pytest.raises(InvalidInput):
            record_score(call(), entries(1), (), JudgeScore("nope", "a", D(80)))

    def test_ranking(self) -> None:
        made, scores = scored(3)
        assert [rank for _, _, rank in ranking(made, scores)] == [1, 2, 3]
        assert ranking(made, scores)[0][0] == made[2].entry_id


class TestExcellentCap:
    @pytest.mark.parametrize(("n", "limit"), [(3, 0), (4, 1), (10, 2), (12, 3), (100, 25)])
    def test_floor_of_25_percent(self, n: int, limit: int) -> None:
        assert excellent_limit(call(), n) == limit

    def test_within_the_cap(self) -> None:
        made, scores = scored(8)
        awards = {made[7].entry_id: Prize.UNGRADED, made[6].entry_id: Prize.UNGRADED}
        assert decide_awards(call(), made, scores, awards) == awards

    def test_too_many_excellent_refused(self) -> None:
        made, scores = scored(10)
        awards = {e.entry_id: Prize.UNGRADED for e in made[:3]}
        with pytest.raises(InvalidInput) as err:
            decide_awards(call(), made, scores, awards)
        assert err.value.field == "awards" and "最多2个" in err.value.detail and "25%" in err.value.detail

    def test_unscored_entry_cannot_win(self) -> None:
        made, scores = scored(8)
        more = entries(1)
        with pytest.raises(InvalidInput, match="尚未评分"):
            decide_awards(call(), made + more, scores, {more[0].entry_id: Prize.FIRST})
