"""Scorecards (评分表): a framework + one subject's inputs for one year → lines, total and grade.

Inputs are a flat mapping metric → value (Decimal/int/bool/list of dates or keys); ``previous`` holds last
year's values for 同比; ``not_applicable`` names indicators that do not apply (非临床类、不开展手术等 →
不作扣分处理, full points). Unknown extra metrics are ignored; a missing one the rules need is refused.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from libs.kit.errors import InvalidInput, NotFound
from services.evaluation.domain.framework import ScoreFramework
from services.evaluation.domain.grading import Grade, grade
from services.evaluation.domain.scoring import ScoreLine, score_indicator

_EMPTY: Mapping[str, object] = {}


@dataclass(frozen=True)
class Scorecard:
    framework_id: str
    framework_version: int
    subject_id: str  # 被评价的联盟（或单位）
    year: int
    lines: tuple[ScoreLine, ...]
    total: Decimal
    max_total: Decimal
    grade: Grade

    def line(self, indicator_id: str) -> ScoreLine:
        found = next((line for line in self.lines if line.indicator_id == indicator_id), None)
        if found is None:
            raise NotFound(f"评分表中没有第{indicator_id}项", field="indicator_id")
        return found

    @property
    def vetoes(self) -> tuple[str, ...]:
        return tuple(line.indicator_id for line in self.lines if line.veto)


def compute_scorecard(framework: ScoreFramework, *, subject_id: str, year: int, inputs: Mapping[str, object],
                      previous: Mapping[str, object] | None = None,
                      not_applicable: Collection[str] = frozenset()) -> Scorecard:
    """Score every indicator, total the scores and grade the total (一票否决 fails whatever the total)."""
    _check_subject(subject_id, year)
    skipped = _check_not_applicable(framework, not_applicable)
    lines = tuple(
        score_indicator(ind, inputs, previous or _EMPTY, not_applicable=ind.id in skipped)
        for ind in framework.indicators
    )
    total = sum((line.score for line in lines), Decimal(0))
    vetoes = [f"第{line.indicator_id}项一票否决：{line.note}" for line in lines if line.veto]
    return Scorecard(framework.id, framework.version, subject_id, year, lines, total, framework.max_total,
                     grade(framework.grading, total, vetoes))


def _check_subject(subject_id: str, year: int) -> None:
    if not isinstance(subject_id, str) or not subject_id.strip():
        raise InvalidInput("缺少被评价对象", field="subject_id")
    if isinstance(year, bool) or not isinstance(year, int) or not 2000 <= year <= 2100:
        raise InvalidInput("评价年度无效", field="year")


def _check_not_applicable(framework: ScoreFramework, ids: Collection[str]) -> frozenset[str]:
    chosen = frozenset(ids)
    for indicator_id in sorted(chosen):
        if indicator_id not in framework.indicator_ids:
            raise InvalidInput(f"不存在的指标：{indicator_id}", field="not_applicable")
        if not framework.indicator(indicator_id).not_applicable_allowed:
            raise InvalidInput(f"第{indicator_id}项不能按不适用处理", field="not_applicable")
    return chosen


def consecutive_failures(history: Iterable[Scorecard], *, years: int = 2) -> bool:
    """True when the subject failed (不合格/较差) in ``years`` consecutive calendar years — 连续2年评价结果
    较差 → 按程序予以解散. A year without a scorecard breaks the run."""
    cards = list(history)
    if len({c.subject_id for c in cards}) > 1:
        raise InvalidInput("历年评分表应属于同一评价对象", field="history")
    by_year = {c.year: c for c in cards}
    if len(by_year) != len(cards):
        raise InvalidInput("同一年度有多份评分表", field="history")
    failing = sorted(y for y, c in by_year.items() if not c.grade.passed)
    run = 0
    for i, year in enumerate(failing):
        run = run + 1 if i and failing[i - 1] == year - 1 else 1
        if run >= years:
            return True
    return False
