"""Prize facts for points rule R03c (家文化：参加医联体活动), published for the points service.

R03c variants: participation 参加 (1 分/人次); first/second/third 一二三等奖 (5/3/2); ungraded 不区分等次奖项
(3). The points service owns the amounts; a fact only says who, which rule and which variant.
Reading: a winner's prize *replaces* the participation fact unless ``participation_also_for_winners``.
Activities (疾病筛查、优秀案例评选、科普大赛、医联体运动会) record participants and prizes the same way.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from libs.kit.errors import InvalidInput
from services.evaluation.domain.competition import CaseEntry

RULE_CODE = "R03c"


class Prize(StrEnum):
    FIRST = "一等奖"
    SECOND = "二等奖"
    THIRD = "三等奖"
    UNGRADED = "不区分等次奖项"  # e.g. 优秀案例


class Variant(StrEnum):
    PARTICIPATION = "participation"
    FIRST = "first"
    SECOND = "second"
    THIRD = "third"
    UNGRADED = "ungraded"


VARIANT_OF = {Prize.FIRST: Variant.FIRST, Prize.SECOND: Variant.SECOND, Prize.THIRD: Variant.THIRD,
              Prize.UNGRADED: Variant.UNGRADED}


class ActivityKind(StrEnum):
    SCREENING = "疾病筛查"
    CASE_SELECTION = "优秀案例评选"
    SCIENCE_CONTEST = "科普大赛"
    SPORTS_MEET = "医联体运动会"


@dataclass(frozen=True)
class Activity:
    activity_id: str
    kind: ActivityKind
    title: str
    held_on: date


@dataclass(frozen=True)
class Participant:
    doctor_id: str
    unit_id: str


@dataclass(frozen=True)
class Win:
    doctor_id: str
    prize: Prize
    item: str = ""  # 项目（运动会的比赛项目等）；同一人同一项目只能获奖一次


@dataclass(frozen=True)
class PrizeFact:
    activity_id: str
    doctor_id: str
    unit_id: str
    variant: Variant
    ref: str = ""  # 案例编号或比赛项目
    rule: str = RULE_CODE


def activity_facts(activity: Activity, participants: Sequence[Participant], wins: Sequence[Win], *,
                   participation_also_for_winners: bool = False) -> list[PrizeFact]:
    """One fact per participant (参加) and one per win; winners lose the participation fact by default."""
    units = _participants(participants)
    _check_wins(wins, units)
    winners = {w.doctor_id for w in wins}
    facts = [PrizeFact(activity.activity_id, p.doctor_id, p.unit_id, Variant.PARTICIPATION)
             for p in participants if participation_also_for_winners or p.doctor_id not in winners]
    facts += [PrizeFact(activity.activity_id, w.doctor_id, units[w.doctor_id], VARIANT_OF[w.prize], w.item)
              for w in wins]
    return facts


def _participants(participants: Sequence[Participant]) -> dict[str, str]:
    units: dict[str, str] = {}
    for i, p in enumerate(participants):
        if p.doctor_id in units:
            raise InvalidInput("同一人在同一活动中只计一次参加", field=f"participants[{i}]")
        units[p.doctor_id] = p.unit_id
    return units


def _check_wins(wins: Sequence[Win], units: Mapping[str, str]) -> None:
    seen: set[tuple[str, str]] = set()
    for i, w in enumerate(wins):
        if w.doctor_id not in units:
            raise InvalidInput("获奖者须为本次活动的参加者", field=f"wins[{i}]")
        if (w.doctor_id, w.item) in seen:
            raise InvalidInput("同一人同一项目只能获奖一次", field=f"wins[{i}]")
        seen.add((w.doctor_id, w.item))


def case_facts(activity_id: str, entries: Sequence[CaseEntry], awards: Mapping[str, Prize], *,
               participation_also_for_winners: bool = False) -> list[PrizeFact]:
    """Facts for a case competition: every author of every entry took part; authors of awarded entries
    (优秀案例, usually ``Prize.UNGRADED``) get the prize variant, per entry (人次)."""
    facts = []
    for entry in entries:
        prize = awards.get(entry.entry_id)
        for author in entry.authors:
            if prize is None or participation_also_for_winners:
                facts.append(PrizeFact(activity_id, author, entry.unit_id, Variant.PARTICIPATION, entry.entry_id))
            if prize is not None:
                facts.append(PrizeFact(activity_id, author, entry.unit_id, VARIANT_OF[prize], entry.entry_id))
    return facts
