"""Reporting periods: months, quarters, years."""

from __future__ import annotations

from datetime import date

import pytest

from libs.kit.errors import InvalidInput
from services.evaluation.domain.periods import Period, PeriodKind, parse_period, period_of, periods_between


class TestPeriod:
    @pytest.mark.parametrize(("period", "start", "end", "key", "label"), [
        (Period(PeriodKind.MONTH, 2024, 2), date(2024, 2, 1), date(2024, 2, 29), "2024-02", "2024年2月"),
        (Period(PeriodKind.MONTH, 2024, 12), date(2024, 12, 1), date(2024, 12, 31), "2024-12", "2024年12月"),
        (Period(PeriodKind.QUARTER, 2024, 4), date(2024, 10, 1), date(2024, 12, 31), "2024-Q4", "2024年第4季度"),
        (Period(PeriodKind.YEAR, 2024, 1), date(2024, 1, 1), date(2024, 12, 31), "2024", "2024年度"),
    ])
    def test_bounds_and_names(self, period: Period, start: date, end: date, key: str, label: str) -> None:
        assert (period.start, period.end, period.key, period.label) == (start, end, key, label)
        assert parse_period(key) == period

    def test_period_of(self) -> None:
        assert period_of(PeriodKind.QUARTER, date(2024, 6, 30)) == Period(PeriodKind.QUARTER, 2024, 2)

    @pytest.mark.parametrize("key", ["2024-13", "2024-Q5", "24-01", "", "2024-1"])
    def test_bad_keys(self, key: str) -> None:
        with pytest.raises(InvalidInput):
            parse_period(key)


class TestPeriodsBetween:
    def test_an_alliance_joining_mid_quarter(self) -> None:
        got = periods_between(PeriodKind.QUARTER, date(2024, 5, 10), date(2025, 1, 2))
        assert [p.key for p in got] == ["2024-Q2", "2024-Q3", "2024-Q4", "2025-Q1"]

    def test_months_across_a_year(self) -> None:
        got = periods_between(PeriodKind.MONTH, date(2024, 11, 30), date(2025, 1, 1))
        assert [p.key for p in got] == ["2024-11", "2024-12", "2025-01"]

    def test_reversed(self) -> None:
        with pytest.raises(InvalidInput):
            periods_between(PeriodKind.YEAR, date(2025, 1, 1), date(2024, 1, 1))
