"""学会/专委会职务 held in societies set up by the lead unit (副主委 / 常委 / 委员), with start and end dates.

These feed points rule R03b (3 / 2 / 1 points per appointment) in the points service; here we only keep
who held what, when. One doctor holds at most one position per society at a time.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date
from enum import StrEnum

from libs.kit.errors import Conflict, InvalidInput
from services.registry.domain.dates import require_date
from services.registry.domain.values import parse_text


class PositionTitle(StrEnum):
    VICE_CHAIR = "vice_chair"
    STANDING = "standing"
    MEMBER = "member"

    @property
    def label(self) -> str:
        return {"vice_chair": "副主委", "standing": "常委", "member": "委员"}[self.value]


def parse_position_title(raw: object) -> PositionTitle:
    text = "".join(str(raw or "").split())
    aliases = {"副主委": "vice_chair", "副主任委员": "vice_chair", "常委": "standing", "常务委员": "standing",
               "委员": "member"}
    value = aliases.get(text, text)
    if value not in {t.value for t in PositionTitle}:
        raise InvalidInput(f"职务无效：{text[:20] or '（空）'}；可选：副主委、常委、委员", field="title")
    return PositionTitle(value)


@dataclass(frozen=True, slots=True)
class Position:
    doctor_id: str
    society: str  # e.g. 湖南省医院协会儿科管理专业委员会
    title: PositionTitle
    starts_on: date
    ends_on: date | None = None

    def overlaps(self, start: date, end: date | None) -> bool:
        return start < (self.ends_on or date.max) and self.starts_on < (end or date.max)


def appoint(existing: Iterable[Position], *, doctor_id: str, society: object, title: object,
            starts_on: date, ends_on: date | None = None) -> Position:
    """A new appointment; refused if it overlaps another position of the same doctor in the same society."""
    require_date(starts_on, field="starts_on", label="任职开始日期")
    if ends_on is not None:
        require_date(ends_on, field="ends_on", label="任职结束日期")
        if ends_on < starts_on:
            raise InvalidInput("任职结束日期不能早于开始日期", field="ends_on")
    name = parse_text(society, field="society", label="学会（专委会）名称", max_len=100)
    clean_title = parse_position_title(title)
    for other in existing:
        if other.doctor_id == doctor_id and other.society == name and other.overlaps(starts_on, ends_on):
            raise Conflict(f"该医师在{name}已有任职（{other.title.label}），期间不能重叠", field="starts_on")
    return Position(doctor_id, name, clean_title, starts_on, ends_on)  # type: ignore[arg-type]


def end_position(position: Position, *, ends_on: date) -> Position:
    require_date(ends_on, field="ends_on", label="任职结束日期")
    if position.ends_on is not None:
        raise Conflict("该任职已结束", field="ends_on")
    if ends_on < position.starts_on:
        raise InvalidInput("任职结束日期不能早于开始日期", field="ends_on")
    return replace(position, ends_on=ends_on)


def positions_on(positions: Iterable[Position], day: date) -> list[Position]:
    return [p for p in positions if p.starts_on <= day and (p.ends_on is None or day < p.ends_on)]
