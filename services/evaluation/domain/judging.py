"""Judging case entries (评审): judges' scores, averages, and awards within the 25 % cap.

Scores are within the call's range (0–100 by default), one per judge per entry, averaged to two decimals
(half up). 优秀案例评选比例不超过总数的25%: the number of awarded entries may not exceed
floor(entries × 25 %) — 10 entries → at most 2; 3 entries → none. Too many awards are refused.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal

from libs.kit.errors import Conflict, InvalidInput
from services.evaluation.domain import values
from services.evaluation.domain.competition import CaseCall, CaseEntry
from services.evaluation.domain.methods.base import fmt
from services.evaluation.domain.prizes import Prize
from services.evaluation.domain.ranking import competition_ranks

CENT = Decimal("0.01")


@dataclass(frozen=True)
class JudgeScore:
    entry_id: str
    judge_id: str
    score: Decimal


def record_score(call: CaseCall, entries: Sequence[CaseEntry], scores: Sequence[JudgeScore],
                 new: JudgeScore) -> tuple[JudgeScore, ...]:
    """All scores with ``new`` added: a known entry, a score in range, one score per judge per entry."""
    if all(e.entry_id != new.entry_id for e in entries):
        raise InvalidInput("不存在的参赛案例", field="entry_id")
    score = values.as_decimal(new.score, "score")
    if not call.score_min <= score <= call.score_max:
        raise InvalidInput(f"评分应在{call.score_min}至{call.score_max}之间", field="score")
    if any((s.entry_id, s.judge_id) == (new.entry_id, new.judge_id) for s in scores):
        raise Conflict("该评委已为此案例评分", field="judge_id")
    return (*scores, JudgeScore(new.entry_id, new.judge_id, score))


def average_scores(scores: Sequence[JudgeScore]) -> dict[str, Decimal]:
    by_entry: dict[str, list[Decimal]] = {}
    for s in scores:
        by_entry.setdefault(s.entry_id, []).append(s.score)
    return {entry: (sum(marks, Decimal(0)) / len(marks)).quantize(CENT, rounding=ROUND_HALF_UP)
            for entry, marks in by_entry.items()}


def ranking(entries: Sequence[CaseEntry], scores: Sequence[JudgeScore]) -> list[tuple[str, Decimal, int]]:
    """Scored entries by average, best first, ties sharing a rank: ``(entry_id, average, rank)``."""
    averages = average_scores(scores)
    return competition_ranks((e.entry_id, averages[e.entry_id]) for e in entries if e.entry_id in averages)


def excellent_limit(call: CaseCall, entries: int) -> int:
    return int((entries * call.excellent_share).to_integral_value(rounding=ROUND_FLOOR))


def decide_awards(call: CaseCall, entries: Sequence[CaseEntry], scores: Sequence[JudgeScore],
                  awards: Mapping[str, Prize]) -> Mapping[str, Prize]:
    """The awards, checked: known, scored entries, and no more than the 25 % cap."""
    known = {e.entry_id for e in entries}
    scored = set(average_scores(scores))
    for entry_id, prize in awards.items():
        if entry_id not in known:
            raise InvalidInput(f"不存在的参赛案例：{entry_id}", field="awards")
        if entry_id not in scored:
            raise InvalidInput(f"案例{entry_id}尚未评分，不能获奖", field="awards")
        if not isinstance(prize, Prize):
            raise InvalidInput("奖项无效", field="awards")
    limit = excellent_limit(call, len(entries))
    if len(awards) > limit:
        share = fmt(call.excellent_share * 100)
        raise InvalidInput(f"优秀案例不得超过参赛案例总数的{share}%：共{len(entries)}个案例，最多{limit}个，"
                           f"拟评{len(awards)}个", field="awards")
    return dict(awards)
