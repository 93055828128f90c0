"""Comparison rows (对比): one alliance across years, or the alliances of a jurisdiction in one year.

Pure: scorecards in, rows out. Scores per indicator are keyed by indicator id so a table can show them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from libs.kit.errors import InvalidInput
from services.evaluation.domain.ranking import competition_ranks
from services.evaluation.domain.scorecard import Scorecard


@dataclass(frozen=True)
class YearRow:
    year: int
    total: Decimal
    grade: str
    passed: bool
    change: Decimal | None  # 与上一评价年度相比的总分变化
    scores: Mapping[str, Decimal]


@dataclass(frozen=True)
class AllianceRow:
    rank: int
    subject_id: str
    total: Decimal
    grade: str
    passed: bool
    funding_yuan: int | None
    scores: Mapping[str, Decimal]


def _scores(card: Scorecard) -> dict[str, Decimal]:
    return {line.indicator_id: line.score for line in card.lines}


def _same(cards: Sequence[Scorecard], attribute: str, message: str) -> None:
    if len({getattr(c, attribute) for c in cards}) > 1:
        raise InvalidInput(message, field="scorecards")


def compare_years(cards: Sequence[Scorecard]) -> list[YearRow]:
    """One alliance, one framework, ordered by year; ``change`` against the previous row."""
    _same(cards, "subject_id", "历年对比须为同一评价对象")
    _same(cards, "framework_id", "历年对比须使用同一评价框架")
    ordered = sorted(cards, key=lambda c: c.year)
    if len({c.year for c in ordered}) != len(ordered):
        raise InvalidInput("同一年度有多份评分表", field="scorecards")
    rows = []
    for i, card in enumerate(ordered):
        change = card.total - ordered[i - 1].total if i else None
        rows.append(YearRow(card.year, card.total, card.grade.label, card.grade.passed, change, _scores(card)))
    return rows


def compare_alliances(cards: Sequence[Scorecard]) -> list[AllianceRow]:
    """Alliances of one jurisdiction, one framework, one year; ranked by total (ties share a rank)."""
    _same(cards, "framework_id", "横向对比须使用同一评价框架")
    _same(cards, "year", "横向对比须为同一年度")
    by_subject = {c.subject_id: c for c in cards}
    if len(by_subject) != len(cards):
        raise InvalidInput("同一联盟有多份评分表", field="scorecards")
    ranked = competition_ranks((c.subject_id, c.total) for c in cards)
    return [AllianceRow(rank, subject, total, by_subject[subject].grade.label, by_subject[subject].grade.passed,
                        by_subject[subject].grade.funding_yuan, _scores(by_subject[subject]))
            for subject, total, rank in ranked]


def grade_counts(cards: Sequence[Scorecard]) -> dict[str, int]:
    """How many alliances per grade (合格/不合格, 优秀/良好/合格/不合格)."""
    counts: dict[str, int] = {}
    for card in cards:
        counts[card.grade.label] = counts.get(card.grade.label, 0) + 1
    return counts
