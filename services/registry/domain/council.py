"""理事会 (第十条): 每届任期4年; 主席1名, 副主席若干名; 秘书处或办公室 (a secretary / office contact).

The first term starts on the founding document date (联盟成立的文件日期); each 换届 starts a new term on its
own document date. A term covers [starts_on, ends_on): on ``ends_on`` it has expired (届满).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from libs.kit.errors import Conflict, InvalidInput
from services.registry.domain.contact import Contact
from services.registry.domain.dates import add_years, require_date

TERM_YEARS = 4


class CouncilRole(StrEnum):
    CHAIR = "chair"
    VICE_CHAIR = "vice_chair"
    SECRETARY = "secretary"

    @property
    def label(self) -> str:
        return {"chair": "主席", "vice_chair": "副主席", "secretary": "秘书"}[self.value]


@dataclass(frozen=True, slots=True)
class CouncilSeat:
    role: CouncilRole
    person: Contact  # 姓名 + 联系电话 (+ 电子邮箱 for the secretary)
    institution_id: str


@dataclass(frozen=True, slots=True)
class Council:
    chair: CouncilSeat
    vice_chairs: tuple[CouncilSeat, ...]
    secretary: CouncilSeat

    @classmethod
    def from_seats(cls, seats: Iterable[CouncilSeat]) -> Council:
        """Exactly one 主席, any number of 副主席, exactly one 秘书; nobody holds two seats."""
        items = tuple(seats)
        chairs = [s for s in items if s.role is CouncilRole.CHAIR]
        secretaries = [s for s in items if s.role is CouncilRole.SECRETARY]
        if len(chairs) != 1:
            raise InvalidInput(f"理事会须设主席1名，现为{len(chairs)}名", field="council.chair")
        if len(secretaries) != 1:
            raise InvalidInput(f"理事会须设秘书（秘书处或办公室）1名，现为{len(secretaries)}名",
                               field="council.secretary")
        _ensure_distinct_people(items)
        vice = tuple(s for s in items if s.role is CouncilRole.VICE_CHAIR)
        return cls(chairs[0], vice, secretaries[0])


def _ensure_distinct_people(seats: tuple[CouncilSeat, ...]) -> None:
    seen: set[tuple[str, str]] = set()
    for seat in seats:
        key = (seat.person.name, seat.person.phone)
        if key in seen:
            raise InvalidInput(f"{seat.person.name}在理事会中重复任职", field="council")
        seen.add(key)


@dataclass(frozen=True, slots=True)
class CouncilTerm:
    """第N届理事会."""

    alliance_id: str
    number: int
    starts_on: date
    council: Council

    @property
    def ends_on(self) -> date:
        return add_years(self.starts_on, TERM_YEARS)

    def is_current_on(self, day: date) -> bool:
        return self.starts_on <= day < self.ends_on


def first_term(*, alliance_id: str, founded_on: date, council: Council) -> CouncilTerm:
    require_date(founded_on, field="founded_on", label="成立文件日期")
    return CouncilTerm(alliance_id, 1, founded_on, council)


def renew_term(current: CouncilTerm, *, starts_on: date, council: Council,
               lead_institution_id: str | None = None) -> CouncilTerm:
    """换届: the next term, starting after the current one began; its 主席 comes from the lead unit if given."""
    require_date(starts_on, field="starts_on", label="换届日期")
    if starts_on <= current.starts_on:
        raise Conflict(f"换届日期须晚于第{current.number}届理事会的开始日期{current.starts_on.isoformat()}",
                       field="starts_on")
    if lead_institution_id and council.chair.institution_id != lead_institution_id:
        raise InvalidInput("理事会主席须由牵头（主席）单位担任", field="council.chair")
    return CouncilTerm(current.alliance_id, current.number + 1, starts_on, council)


@dataclass(frozen=True, slots=True)
class ExpiringTerm:
    term: CouncilTerm
    days_left: int  # negative: already expired without renewal (逾期未换届)

    @property
    def overdue(self) -> bool:
        return self.days_left < 0


def expiring_terms(terms: Iterable[CouncilTerm], *, today: date, horizon_days: int = 90) -> list[ExpiringTerm]:
    """Latest term of each alliance that ends within ``horizon_days`` of ``today`` (or already ended), soonest first."""
    if horizon_days < 0:
        raise InvalidInput("提前提醒天数不能为负数", field="horizon_days")
    latest: dict[str, CouncilTerm] = {}
    for term in terms:
        known = latest.get(term.alliance_id)
        if known is None or term.number > known.number:
            latest[term.alliance_id] = term
    due = [ExpiringTerm(t, (t.ends_on - today).days) for t in latest.values()]
    return sorted((d for d in due if d.days_left <= horizon_days), key=lambda d: d.term.ends_on)
