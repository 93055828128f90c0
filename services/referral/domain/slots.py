"""预留号源: outpatient slots the lead unit reserves for alliance members, per department and date.

Rules: booking only by doctors of member units; never more active bookings than capacity; a date in
the past is refused (Asia/Shanghai business date); cancelling returns the slot; one active booking per
patient per pool (a cheap brake on booking churn, reliability row 30).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from enum import StrEnum

from libs.kit.clock import business_date
from libs.kit.errors import Conflict, Forbidden, InvalidInput, NotFound
from services.referral.domain import _checks
from services.referral.domain.alliance import Actor, AllianceView
from services.referral.domain.patient import ensure_pseudonym

MAX_CAPACITY = 1000


class BookingStatus(StrEnum):
    ACTIVE = "active"
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        return {"active": "已预约", "cancelled": "已取消"}[self.value]


@dataclass(frozen=True)
class Booking:
    booking_id: str
    doctor_id: str
    doctor_institution_id: str
    patient_ref: str
    booked_at: datetime
    status: BookingStatus = BookingStatus.ACTIVE
    cancelled_at: datetime | None = None
    cancelled_by: str | None = None
    cancel_reason: str | None = None


@dataclass(frozen=True)
class SlotPool:
    pool_id: str
    alliance_id: str
    institution_id: str  # the lead unit offering the slots
    department: str
    on_date: date
    capacity: int
    bookings: tuple[Booking, ...] = ()

    @property
    def active(self) -> tuple[Booking, ...]:
        return tuple(b for b in self.bookings if b.status is BookingStatus.ACTIVE)

    @property
    def remaining(self) -> int:
        return self.capacity - len(self.active)

    def booking(self, booking_id: str) -> Booking:
        for booking in self.bookings:
            if booking.booking_id == booking_id:
                return booking
        raise NotFound("预约不存在", field="booking_id")

    def book(self, *, booking_id: str, patient_ref: str, by: Actor, alliance: AllianceView,
             at: datetime) -> SlotPool:
        """预约 one slot for a patient, by a doctor of a member unit."""
        when = _checks.instant(at)
        self._check_alliance(alliance)
        if not alliance.is_member(by.institution_id):
            raise Forbidden("只有联盟成员单位的医生可以预约预留号源", field="doctor_id")
        self._check_not_past(when, "不能预约已过去日期的号源")
        self._check_new(booking_id, ensure_pseudonym(patient_ref))
        if self.remaining <= 0:
            raise Conflict(f"{self.on_date.isoformat()} {self.department} 的预留号源已约满", field="pool_id")
        booking = Booking(booking_id, by.user_id, by.institution_id, patient_ref, when)
        return replace(self, bookings=(*self.bookings, booking))

    def cancel(self, *, booking_id: str, by: Actor, at: datetime, reason: str) -> SlotPool:
        """取消预约: the slot returns to the pool."""
        when = _checks.instant(at)
        booking = self.booking(booking_id)
        if by.institution_id not in (booking.doctor_institution_id, self.institution_id):
            raise Forbidden("只有预约单位或号源提供单位可以取消预约", field="booking_id")
        if booking.status is not BookingStatus.ACTIVE:
            raise Conflict(f"当前状态为「{booking.status.label}」，不能取消", field="booking_id")
        self._check_not_past(when, "就诊日期已过，不能取消预约")
        cancelled = replace(booking, status=BookingStatus.CANCELLED, cancelled_at=when, cancelled_by=by.user_id,
                            cancel_reason=_checks.text(reason, "reason", label="取消原因"))
        return replace(self, bookings=tuple(cancelled if b is booking else b for b in self.bookings))

    def resize(self, capacity: int) -> SlotPool:
        """Change the number of reserved slots; never below the active bookings."""
        checked = _capacity(capacity)
        if checked < len(self.active):
            raise Conflict(f"已有 {len(self.active)} 个有效预约，号源数量不能少于此数", field="capacity")
        return replace(self, capacity=checked)

    def _check_alliance(self, alliance: AllianceView) -> None:
        alliance.ensure_operating()
        if alliance.alliance_id != self.alliance_id:
            raise InvalidInput("号源不属于该联盟", field="alliance_id")

    def _check_not_past(self, when: datetime, message: str) -> None:
        if self.on_date < business_date(when):
            raise InvalidInput(message, field="on_date")

    def _check_new(self, booking_id: str, patient_ref: str) -> None:
        if any(b.booking_id == booking_id for b in self.bookings):
            raise Conflict("预约编号已存在", field="booking_id")
        if any(b.patient_ref == patient_ref for b in self.active):
            raise Conflict("该患者在此号源已有有效预约", field="patient_ref")


def open_pool(*, pool_id: str, alliance: AllianceView, department: str, on_date: date, capacity: int,
              at: datetime) -> SlotPool:
    """开放预留号源 at the lead unit for one department and date."""
    alliance.ensure_operating()
    if on_date < business_date(_checks.instant(at)):
        raise InvalidInput("不能为已过去的日期开放号源", field="on_date")
    return SlotPool(
        pool_id=_checks.text(pool_id, "pool_id", label="号源编号", max_len=64),
        alliance_id=alliance.alliance_id,
        institution_id=alliance.lead_institution_id,
        department=_checks.text(department, "department", label="科室", max_len=100),
        on_date=on_date,
        capacity=_capacity(capacity),
    )


def _capacity(value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_CAPACITY:
        raise InvalidInput(f"号源数量须为 0–{MAX_CAPACITY} 的整数", field="capacity")
    return value
