"""Reporting periods (报告期): months, quarters and years, keyed ``2024-03``, ``2024-Q1``, ``2024``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from libs.kit.errors import InvalidInput


class PeriodKind(StrEnum):
    MONTH = "month"  # 月
    QUARTER = "quarter"  # 季度
    YEAR = "year"  # 年度


_MONTHS = {PeriodKind.MONTH: 1, PeriodKind.QUARTER: 3, PeriodKind.YEAR: 12}
_KEY = re.compile(r"^(\d{4})(?:-(\d{2})|-Q([1-4]))?$")


@dataclass(frozen=True)
class Period:
    kind: PeriodKind
    year: int
    index: int  # month 1–12, quarter 1–4, 1 for a year

    @property
    def first_month(self) -> int:
        return (self.index - 1) * _MONTHS[self.kind] + 1

    @property
    def last_month(self) -> int:
        return self.first_month + _MONTHS[self.kind] - 1

    @property
    def start(self) -> date:
        return date(self.year, self.first_month, 1)

    @property
    def end(self) -> date:
        """The last day of the period (inclusive)."""
        return self.next().start - timedelta(days=1)

    @property
    def key(self) -> str:
        if self.kind is PeriodKind.MONTH:
            return f"{self.year}-{self.index:02d}"
        return f"{self.year}-Q{self.index}" if self.kind is PeriodKind.QUARTER else str(self.year)

    @property
    def label(self) -> str:
        if self.kind is PeriodKind.MONTH:
            return f"{self.year}年{self.index}月"
        return f"{self.year}年第{self.index}季度" if self.kind is PeriodKind.QUARTER else f"{self.year}年度"

    def next(self) -> Period:
        count = 12 // _MONTHS[self.kind]
        return Period(self.kind, self.year + 1, 1) if self.index == count else Period(
            self.kind, self.year, self.index + 1)


def period_of(kind: PeriodKind, day: date) -> Period:
    return Period(kind, day.year, (day.month - 1) // _MONTHS[kind] + 1)


def parse_period(key: str, field: str = "period") -> Period:
    match = _KEY.match(key) if isinstance(key, str) else None
    if not match:
        raise InvalidInput("报告期格式无效，应为 2024-03、2024-Q1 或 2024", field=field)
    year, month, quarter = match.groups()
    if month is not None:
        if not 1 <= int(month) <= 12:
            raise InvalidInput("月份无效", field=field)
        return Period(PeriodKind.MONTH, int(year), int(month))
    if quarter is not None:
        return Period(PeriodKind.QUARTER, int(year), int(quarter))
    return Period(PeriodKind.YEAR, int(year), 1)


def periods_between(kind: PeriodKind, first: date, last: date) -> list[Period]:
    """Every period of ``kind`` that overlaps ``first``…``last`` (inclusive), in order."""
    if last < first:
        raise InvalidInput("结束日期早于开始日期", field="last")
    periods = [period_of(kind, first)]
    while periods[-1].end < last:
        periods.append(periods[-1].next())
    return periods
