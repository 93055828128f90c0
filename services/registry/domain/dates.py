"""Date helpers for terms (任期) and validity (有效期)."""

from __future__ import annotations

from datetime import date, datetime

from libs.kit.errors import InvalidInput


def add_years(day: date, years: int) -> date:
    """Same calendar day ``years`` later; 29 Feb falls back to 28 Feb in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def require_aware(at: datetime, *, field: str = "at") -> datetime:
    """Instants in transition records must carry a time zone (stored as UTC)."""
    if not isinstance(at, datetime) or at.tzinfo is None:
        raise InvalidInput("时间必须带时区", field=field)
    return at


def require_date(value: object, *, field: str, label: str) -> date:
    """A calendar date (a datetime is refused: business dates are dates)."""
    if isinstance(value, datetime) or not isinstance(value, date):
        raise InvalidInput(f"{label}必须是日期", field=field)
    return value


def format_cn(day: date) -> str:
    """2024年12月16日."""
    return f"{day.year}年{day.month}月{day.day}日"
