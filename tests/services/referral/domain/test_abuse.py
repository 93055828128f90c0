"""Row 30: per-doctor churn flags."""

from __future__ import annotations

from datetime import timedelta

from services.referral.domain.abuse import Activity, ChurnPolicy, activity_from_facts, churn_flags
from services.referral.domain.awards import booking_facts

from .builders import MEMBER_DOCTOR, T0, minutes
from .test_slots import BEFORE, book, pool


def churn(doctor: str, cancels: int, *, every: timedelta) -> list[Activity]:
    out = []
    for i in range(cancels):
        out.append(Activity(doctor, T0 + i * every, False))
        out.append(Activity(doctor, T0 + i * every + minutes(1), True))
    return out


class TestChurn:
    def test_flags_cancellations_over_threshold_in_window(self) -> None:
        [flag] = churn_flags(churn("doc-farm", 4, every=minutes(10)), ChurnPolicy(max_cancellations=3))
        assert (flag.doctor_id, flag.reason, flag.count) == ("doc-farm", "cancellation_churn", 4)
        assert flag.window_end - flag.window_start == timedelta(days=1)
        assert "取消 4 次" in flag.detail

    def test_at_threshold_is_not_flagged(self) -> None:
        assert churn_flags(churn("doc-ok", 3, every=minutes(10)), ChurnPolicy(max_cancellations=3)) == []

    def test_spread_out_is_not_flagged(self) -> None:
        assert churn_flags(churn("doc-ok", 10, every=timedelta(hours=9)), ChurnPolicy(max_cancellations=3)) == []

    def test_burst_of_actions(self) -> None:
        bursts = [Activity("doc-burst", T0 + minutes(i), False) for i in range(6)]
        [flag] = churn_flags(bursts, ChurnPolicy(max_actions=5))
        assert flag.reason == "action_burst" and flag.count == 6

    def test_per_doctor(self) -> None:
        mixed = churn("doc-a", 4, every=minutes(5)) + churn("doc-b", 1, every=minutes(5))
        assert [f.doctor_id for f in churn_flags(mixed, ChurnPolicy(max_cancellations=3))] == ["doc-a"]

    def test_from_booking_facts(self) -> None:
        p = pool(capacity=10)
        facts = []
        for i in range(4):
            p = book(p, booking_id=f"bk-{i}")
            p = p.cancel(booking_id=f"bk-{i}", by=MEMBER_DOCTOR, at=BEFORE, reason="改期")
            facts += booking_facts(p, p.booking(f"bk-{i}"))
        [flag] = churn_flags(activity_from_facts(facts), ChurnPolicy(max_cancellations=3))
        assert flag.doctor_id == MEMBER_DOCTOR.user_id
