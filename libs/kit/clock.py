"""Clock port and business dates.

Business dates are Asia/Shanghai: a year closes on 31 Dec *there*. We store UTC timestamps plus the
business date. Code asks a ``Clock`` for "now" so tests can freeze or offset time.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Protocol
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


class Clock(Protocol):
    def now(self) -> datetime:
        """An aware UTC datetime."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(timezone.utc)


class FixedClock:
    """A clock for tests: frozen at ``at``, moved explicitly with ``advance``."""

    def __init__(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("FixedClock needs an aware datetime")
        self._at = at.astimezone(timezone.utc)

    def now(self) -> datetime:
        return self._at

    def advance(self, delta: timedelta) -> None:
        self._at += delta

    def set(self, at: datetime) -> None:
        self._at = at.astimezone(timezone.utc)


def business_date(at: datetime) -> date:
    """The Asia/Shanghai calendar date of an aware instant (``2024-12-31T16:30Z`` is 2025-01-01)."""
    if at.tzinfo is None:
        raise ValueError("business_date needs an aware datetime")
    return at.astimezone(SHANGHAI).date()


def business_year(at: datetime) -> int:
    return business_date(at).year


def year_end_utc(year: int) -> datetime:
    """The first instant after 31 Dec ``year`` in Asia/Shanghai, as UTC."""
    return datetime(year + 1, 1, 1, tzinfo=SHANGHAI).astimezone(timezone.utc)
