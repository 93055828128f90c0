"""预留号源: booking rules."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from libs.kit.errors import Conflict, Forbidden, InvalidInput, NotFound
from services.referral.domain.alliance import Actor
from services.referral.domain.slots import BookingStatus, SlotPool, open_pool

from .builders import (
    LEAD_DOCTOR,
    MEMBER,
    MEMBER_DOCTOR,
    OTHER_MEMBER_DOCTOR,
    OUTSIDER_DOCTOR,
    alliance,
    new_patient_ref,
    uid,
)

DAY = date(2024, 6, 10)
BEFORE = datetime(2024, 6, 9, 2, 0, tzinfo=timezone.utc)
# 2024-06-10 16:30 UTC is already 2024-06-11 in Shanghai: the slot day is past.
PAST = datetime(2024, 6, 10, 16, 30, tzinfo=timezone.utc)


def pool(capacity: int = 2) -> SlotPool:
    return open_pool(pool_id=uid("pool"), alliance=alliance(), department="小儿神经内科", on_date=DAY,
                     capacity=capacity, at=BEFORE)


def book(p: SlotPool, *, by: Actor = MEMBER_DOCTOR, booking_id: str | None = None,
         patient_ref: str | None = None, at: datetime = BEFORE) -> SlotPool:
    return p.book(booking_id=booking_id or uid("bk"), patient_ref=patient_ref or new_patient_ref(), by=by,
                  alliance=alliance(), at=at)


class TestBook:
    def test_books_a_slot(self) -> None:
        p = book(pool())
        assert p.remaining == 1
        assert p.bookings[0].doctor_institution_id == MEMBER

    def test_overbooking_refused(self) -> None:
        p = book(book(pool(capacity=2)), by=OTHER_MEMBER_DOCTOR)
        with pytest.raises(Conflict, match="约满"):
            book(p)
        assert p.remaining == 0

    def test_zero_capacity_pool_is_full(self) -> None:
        with pytest.raises(Conflict):
            book(pool(capacity=0))

    @pytest.mark.parametrize("by", [LEAD_DOCTOR, OUTSIDER_DOCTOR])
    def test_only_member_doctors(self, by: Actor) -> None:
        with pytest.raises(Forbidden, match="成员单位"):
            book(pool(), by=by)

    def test_past_date_refused(self) -> None:
        with pytest.raises(InvalidInput, match="已过去"):
            book(pool(), at=PAST)

    def test_same_day_allowed(self) -> None:
        assert book(pool(), at=datetime(2024, 6, 10, 1, 0, tzinfo=timezone.utc)).remaining == 1

    def test_same_patient_twice_refused(self) -> None:
        ref = new_patient_ref()
        with pytest.raises(Conflict, match="已有有效预约"):
            book(book(pool(), patient_ref=ref), patient_ref=ref)

    def test_duplicate_booking_id_refused(self) -> None:
        with pytest.raises(Conflict):
            book(book(pool(), booking_id="bk-1"), booking_id="bk-1")

    def test_dissolved_alliance_refused(self) -> None:
        with pytest.raises(Conflict):
            pool().book(booking_id="b", patient_ref=new_patient_ref(), by=MEMBER_DOCTOR,
                        alliance=alliance(operating=False), at=BEFORE)

    def test_plain_identifier_refused(self) -> None:
        with pytest.raises(InvalidInput):
            book(pool(), patient_ref="430102199001011238")


class TestCancel:
    def test_cancel_returns_the_slot(self) -> None:
        full = book(book(pool(capacity=2), booking_id="bk-1"), by=OTHER_MEMBER_DOCTOR)
        freed = full.cancel(booking_id="bk-1", by=MEMBER_DOCTOR, at=BEFORE, reason="患者改期")
        assert freed.remaining == 1
        assert freed.booking("bk-1").status is BookingStatus.CANCELLED
        assert book(freed).remaining == 0

    def test_cancel_twice_refused(self) -> None:
        p = book(pool(), booking_id="bk-1").cancel(booking_id="bk-1", by=MEMBER_DOCTOR, at=BEFORE, reason="x")
        with pytest.raises(Conflict, match="当前状态为「已取消」，不能取消"):
            p.cancel(booking_id="bk-1", by=MEMBER_DOCTOR, at=BEFORE, reason="x")

    def test_cancel_after_the_day_refused(self) -> None:
        p = book(pool(), booking_id="bk-1")
        with pytest.raises(InvalidInput):
            p.cancel(booking_id="bk-1", by=MEMBER_DOCTOR, at=PAST, reason="x")

    def test_other_unit_cannot_cancel(self) -> None:
        with pytest.raises(Forbidden):
            book(pool(), booking_id="bk-1").cancel(booking_id="bk-1", by=OTHER_MEMBER_DOCTOR, at=BEFORE, reason="x")

    def test_lead_unit_may_cancel(self) -> None:
        p = book(pool(), booking_id="bk-1").cancel(booking_id="bk-1", by=LEAD_DOCTOR, at=BEFORE, reason="停诊")
        assert p.remaining == 2

    def test_unknown_booking(self) -> None:
        with pytest.raises(NotFound):
            pool().cancel(booking_id="nope", by=MEMBER_DOCTOR, at=BEFORE, reason="x")


class TestPool:
    def test_cannot_open_in_the_past(self) -> None:
        with pytest.raises(InvalidInput):
            open_pool(pool_id="p", alliance=alliance(), department="儿科", on_date=DAY, capacity=1, at=PAST)

    @pytest.mark.parametrize("capacity", [-1, 1001, True, 2.0])
    def test_bad_capacity(self, capacity: object) -> None:
        with pytest.raises(InvalidInput):
            open_pool(pool_id="p", alliance=alliance(), department="儿科", on_date=DAY, capacity=capacity,  # type: ignore[arg-type]
                      at=BEFORE)

    def test_resize_not_below_active(self) -> None:
        p = book(book(pool(capacity=3)), by=OTHER_MEMBER_DOCTOR)
        assert p.resize(2).remaining == 0
        with pytest.raises(Conflict):
            p.resize(1)
