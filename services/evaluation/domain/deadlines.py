"""Deadlines are Asia/Shanghai calendar days, due at the *end* of the due date.

"每月3日前填写" and "3月20日前…逾期不予受理" are read as: anything whose Shanghai date is on or before the
due date is on time (2024-02-03 23:59:59 +08:00 is on time; 2024-02-04 00:00 +08:00 = 2024-02-03 16:00Z is
late). Instants must be timezone-aware; a naive time is refused rather than guessed.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from libs.kit.clock import SHANGHAI, business_date
from libs.kit.errors import InvalidInput


def require_aware(at: object, field: str) -> datetime:
    if not isinstance(at, datetime) or at.tzinfo is None or at.utcoffset() is None:
        raise InvalidInput("时间须为带时区的时刻", field=field)
    return at


def closes_at(due: date) -> datetime:
    """The first instant *after* the due date in Asia/Shanghai (exclusive end)."""
    return datetime.combine(due + timedelta(days=1), time(0), tzinfo=SHANGHAI)


def is_on_time(at: datetime, due: date) -> bool:
    return business_date(at) <= due


def days_late(at: datetime, due: date) -> int:
    return max(0, (business_date(at) - due).days)
