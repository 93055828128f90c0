"""Versioned submissions (报送) of a report: a newer version supersedes the older one.

Timeliness is judged on the *first* version — the duty was met when something was filed; a correction
after the deadline does not make an on-time report late. The content that counts is the latest version.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from libs.kit.clock import business_date
from libs.kit.errors import Conflict, InvalidInput
from services.evaluation.domain.deadlines import require_aware
from services.evaluation.domain.periods import parse_period


@dataclass(frozen=True)
class Submission:
    duty_id: str
    unit_id: str
    period_key: str
    version: int  # 1, 2, … — version n+1 supersedes version n
    submitted_at: datetime
    document_ref: str = ""


def same_report(a: Submission, b: Submission) -> bool:
    return (a.duty_id, a.unit_id, a.period_key) == (b.duty_id, b.unit_id, b.period_key)


def add_submission(existing: Sequence[Submission], new: Submission) -> tuple[Submission, ...]:
    """The versions of one report with ``new`` appended; it must be the next version, filed no earlier."""
    require_aware(new.submitted_at, "submitted_at")
    period = parse_period(new.period_key, "period_key")
    if business_date(new.submitted_at) < period.start:
        raise InvalidInput("报送时间早于报告期开始", field="submitted_at")
    if any(not same_report(s, new) for s in existing):
        raise InvalidInput("版本不属于同一份报表", field="existing")
    latest = current_version(existing)
    expected = latest.version + 1 if latest else 1
    if new.version != expected:
        raise Conflict(f"版本号应为{expected}，收到{new.version}", field="version")
    if latest and new.submitted_at < latest.submitted_at:
        raise Conflict("新版本的报送时间早于上一版本", field="submitted_at")
    return (*existing, new)


def current_version(submissions: Sequence[Submission]) -> Submission | None:
    """The version in force (highest number), or None when nothing was filed."""
    return max(submissions, key=lambda s: s.version, default=None)


def first_version(submissions: Sequence[Submission]) -> Submission | None:
    return min(submissions, key=lambda s: s.version, default=None)
