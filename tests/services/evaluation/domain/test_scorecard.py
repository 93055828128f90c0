"""consecutive_failures: 连续2年评价结果较差 → flag for dissolution (按程序予以解散)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from libs.kit.errors import InvalidInput
from services.evaluation.domain.grading import Grade
from services.evaluation.domain.scorecard import Scorecard, consecutive_failures


def card(*, year: int, passed: bool, subject_id: str = "hn-peds") -> Scorecard:
    grade = Grade("合格" if passed else "不合格", passed, ())
    return Scorecard("hunan-alliance-2024", 1, subject_id, year, (), Decimal(70 if passed else 50),
                     Decimal(100), grade)


class TestConsecutiveFailures:
    def test_two_failing_years_in_a_row(self) -> None:
        history = [card(year=2025, passed=True), card(year=2026, passed=False), card(year=2027, passed=False)]
        assert consecutive_failures(history)

    def test_order_does_not_matter(self) -> None:
        assert consecutive_failures([card(year=2027, passed=False), card(year=2026, passed=False)])

    def test_a_pass_between_failures(self) -> None:
        history = [card(year=2025, passed=False), card(year=2026, passed=True), card(year=2027, passed=False)]
        assert not consecutive_failures(history)

    def test_a_missing_year_breaks_the_run(self) -> None:
        assert not consecutive_failures([card(year=2025, passed=False), card(year=2027, passed=False)])

    def test_one_failure(self) -> None:
        assert not consecutive_failures([card(year=2025, passed=False)])
        assert not consecutive_failures([])

    def test_three_years_when_asked(self) -> None:
        history = [card(year=y, passed=False) for y in (2025, 2026)]
        assert not consecutive_failures(history, years=3)

    def test_mixed_subjects_are_refused(self) -> None:
        with pytest.raises(InvalidInput):
            consecutive_failures([card(year=2025, passed=False), card(year=2026, passed=False, subject_id="x")])

    def test_duplicate_year_is_refused(self) -> None:
        with pytest.raises(InvalidInput):
            consecutive_failures([card(year=2025, passed=False), card(year=2025, passed=True)])
