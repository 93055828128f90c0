"""医师: identity and the unit he or she is registered at (注册在成员单位), one unit at a time.

Moves between units (调动) keep the history: periods are [starts_on, ends_on), contiguous or gapped, never
overlapping; only the last may be open. The resident ID is optional personal information: validated, and
shown masked.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date

from libs.kit.errors import Conflict, InvalidInput
from services.registry.domain.dates import require_date
from services.registry.domain.identifiers import mask_resident_id, parse_practice_certificate, parse_resident_id
from services.registry.domain.validation import ErrorCollector
from services.registry.domain.values import parse_text


@dataclass(frozen=True, slots=True)
class Doctor:
    doctor_id: str
    name: str
    practice_cert_no: str  # 医师执业证书编码
    resident_id: str | None = None  # 居民身份证号码

    @classmethod
    def create(cls, *, doctor_id: str, name: object, practice_cert_no: object,
               resident_id: object = None) -> Doctor:
        errors = ErrorCollector()
        clean_name = errors.check(parse_text, name, field="name", label="姓名", max_len=50)
        cert = errors.check(parse_practice_certificate, practice_cert_no)
        rid = None
        if resident_id not in (None, ""):
            rid = errors.check(parse_resident_id, resident_id)
        errors.raise_if_any()
        return cls(doctor_id, clean_name, cert, rid)  # type: ignore[arg-type]

    @property
    def masked_resident_id(self) -> str | None:
        return mask_resident_id(self.resident_id) if self.resident_id else None


@dataclass(frozen=True, slots=True)
class UnitPeriod:
    institution_id: str
    starts_on: date
    ends_on: date | None = None


@dataclass(frozen=True, slots=True)
class UnitHistory:
    """Where a doctor has been registered, oldest first."""

    doctor_id: str
    periods: tuple[UnitPeriod, ...] = ()

    @classmethod
    def from_periods(cls, doctor_id: str, periods: Iterable[UnitPeriod]) -> UnitHistory:
        """Rebuild from stored or imported periods, refusing overlaps and inverted dates."""
        ordered = tuple(sorted(periods, key=lambda p: p.starts_on))
        _ensure_consistent(ordered)
        return cls(doctor_id, ordered)

    @property
    def current(self) -> UnitPeriod | None:
        last = self.periods[-1] if self.periods else None
        return last if last is not None and last.ends_on is None else None

    def unit_on(self, day: date) -> str | None:
        for period in self.periods:
            if period.starts_on <= day and (period.ends_on is None or day < period.ends_on):
                return period.institution_id
        return None


def register(history: UnitHistory, *, institution_id: str, on: date) -> UnitHistory:
    """First registration, or registration again after leaving; refused while registered elsewhere."""
    require_date(on, field="on", label="注册日期")
    if history.current is not None:
        raise Conflict("该医师已注册在其他单位，请办理调动", field="institution_id")
    if history.periods and on < history.periods[-1].ends_on:  # type: ignore[operator]
        raise InvalidInput("注册日期不能早于上一段执业结束日期", field="on")
    return replace(history, periods=(*history.periods, UnitPeriod(institution_id, on)))


def move(history: UnitHistory, *, to_institution_id: str, on: date) -> UnitHistory:
    """调动: closes the current period on ``on`` and opens the new one from the same day."""
    require_date(on, field="on", label="调动日期")
    current = history.current
    if current is None:
        raise Conflict("该医师当前未注册在任何单位，无法调动", field="doctor_id")
    if current.institution_id == to_institution_id:
        raise Conflict("调入单位与当前单位相同", field="to_institution_id")
    if on <= current.starts_on:
        raise InvalidInput(f"调动日期须晚于在当前单位的起始日期{current.starts_on.isoformat()}", field="on")
    closed = replace(current, ends_on=on)
    return replace(history, periods=(*history.periods[:-1], closed, UnitPeriod(to_institution_id, on)))


def deregister(history: UnitHistory, *, on: date) -> UnitHistory:
    """注销 / leaves the alliance's units altogether."""
    require_date(on, field="on", label="注销日期")
    current = history.current
    if current is None:
        raise Conflict("该医师当前未注册在任何单位", field="doctor_id")
    if on <= current.starts_on:
        raise InvalidInput("注销日期须晚于在当前单位的起始日期", field="on")
    return replace(history, periods=(*history.periods[:-1], replace(current, ends_on=on)))


def _ensure_consistent(periods: tuple[UnitPeriod, ...]) -> None:
    for period in periods:
        if period.ends_on is not None and period.ends_on <= period.starts_on:
            raise InvalidInput("执业期间的结束日期须晚于开始日期", field="periods")
    for earlier, later in zip(periods, periods[1:], strict=False):
        if earlier.ends_on is None or later.starts_on < earlier.ends_on:
            raise InvalidInput("同一医师的执业期间不能重叠（同一时间只能注册在一个单位）", field="periods")
