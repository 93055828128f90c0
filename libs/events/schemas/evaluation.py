"""Events the evaluation service publishes (绩效评价): scorecards, dissolution recommendations, prizes (R03c).

Amounts and scores are decimal *strings* ("71", "5.67"), never floats. Dates are Asia/Shanghai business dates.
No patient data is ever carried; doctors and units are opaque ids.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from libs.events.registry import EventData, event_type

ScorecardKind = Literal["self", "commission", "member"]  # 牵头单位自评 / 卫生健康行政部门评价 / 对成员单位的评价
PrizeVariant = Literal["participation", "first", "second", "third", "ungraded"]  # 参加 / 一二三等奖 / 不区分等次
ActivityKind = Literal["screening", "case_selection", "science_contest", "sports_meet"]


class ScoreLineSummary(EventData):
    """One indicator (指标) of a published scorecard: max, 扣分, 得分, 一票否决, 不适用."""

    indicator_id: str
    name: str
    max_points: str
    deduction: str
    score: str
    veto: bool
    not_applicable: bool


@event_type("alliance.evaluation.scorecard.published")
class ScorecardPublished(EventData):
    """A scorecard was computed and recorded. ``subject_unit_id`` is set when a member unit was evaluated.

    ``version`` is the framework version the scorecard was computed with; ``passed`` is False for
    不合格/较差 (一票否决 or a total below the pass mark).
    """

    scorecard_id: str
    alliance_id: str
    subject_unit_id: str | None = None
    kind: ScorecardKind
    framework_id: str
    version: int
    year: int
    total: str
    max_total: str
    grade: str
    passed: bool
    funding_yuan: int | None = None
    vetoes: list[str]
    lines: list[ScoreLineSummary]


@event_type("alliance.evaluation.alliance.dissolution_recommended")
class AllianceDissolutionRecommended(EventData):
    """连续2年评价结果较差 → 按程序予以解散: the alliance failed its annual evaluation in ``years``
    (consecutive, ascending). Published once per (alliance, years); the registry records the flag."""

    alliance_id: str
    years: list[int]
    framework_id: str
    scorecard_ids: list[str]
    reason: str


@event_type("alliance.evaluation.prize.awarded")
class PrizeAwarded(EventData):
    """A person took part in, or won a prize at, an alliance activity — points rule R03c (家文化).

    ``award_id`` is stable and unique per person + activity + variant (+ ``ref``: the case entry or the
    sports item), so the points service can award idempotently on it. ``unit_id`` is the institution.
    """

    award_id: str
    activity_id: str
    activity_kind: ActivityKind
    doctor_id: str
    unit_id: str
    alliance_id: str
    rule: Literal["R03c"] = "R03c"
    variant: PrizeVariant
    ref: str = ""
    occurred_at: datetime
    business_date: date
