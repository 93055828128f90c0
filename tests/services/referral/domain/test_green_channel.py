"""绿色通道 milestones and period statistics (Hunan indicator 5)."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from libs.kit.errors import Conflict, Forbidden, InvalidInput
from services.referral.domain.green_channel import (
    GreenChannelCase,
    PriorityService,
    is_eligible,
    median_seconds,
    open_case,
    open_case_for,
    p90_seconds,
    period_stats,
)
from services.referral.domain.terms import Direction, Urgency

from .builders import LEAD, LEAD_DOCTOR, MEMBER_DOCTOR, T0, minutes, new_patient_ref, uid, up_referral

R, E, A = PriorityService.RECEPTION, PriorityService.EXAMINATION, PriorityService.ADMISSION
UTC = timezone.utc


def case(arrived: datetime, **waits_seconds: int) -> GreenChannelCase:
    c = open_case(referral_id=uid("ref"), institution_id=LEAD, patient_ref=new_patient_ref(),
                  direction=Direction.UP, urgency=Urgency.CRITICAL, indication="emergency_critical",
                  arrived_at=arrived)
    for name, seconds in waits_seconds.items():
        c = c.record(PriorityService(name), by=LEAD_DOCTOR, at=arrived + timedelta(seconds=seconds))
    return c


def hand_example() -> list[GreenChannelCase]:
    return [
        case(datetime(2024, 6, 1, 8, 0, tzinfo=UTC), reception=300, examination=1200, admission=3600),
        case(datetime(2024, 6, 2, 9, 0, tzinfo=UTC), reception=600, examination=2010),
        # 2024-06-01 00:30 in Shanghai: inside June although May in UTC
        case(datetime(2024, 5, 31, 16, 30, tzinfo=UTC), reception=180),
        case(datetime(2024, 6, 4, 2, 0, tzinfo=UTC), reception=450, admission=5700),
        # 2024-07-01 00:30 in Shanghai: outside June although June in UTC
        case(datetime(2024, 6, 30, 16, 30, tzinfo=UTC), reception=60, examination=60, admission=60),
    ]


class TestStats:
    def test_hand_example(self) -> None:
        stats = period_stats(hand_example(), start=date(2024, 6, 1), end=date(2024, 6, 30))
        assert stats.cases == 4
        assert stats.served == {R: 4, E: 2, A: 2}
        assert stats.services_present == frozenset({R, E, A}) and stats.services_missing == ()
        # reception waits 180, 300, 450, 600 s: median 375 s = 6.25 min → 6.3; p90 nearest rank = 600 s
        assert (stats.waits[R].median_minutes, stats.waits[R].p90_minutes) == (Decimal("6.3"), Decimal("10.0"))
        assert (stats.waits[E].median_minutes, stats.waits[E].p90_minutes) == (Decimal("26.8"), Decimal("33.5"))
        assert (stats.waits[A].median_minutes, stats.waits[A].p90_minutes) == (Decimal("77.5"), Decimal("95.0"))

    def test_missing_services_are_named(self) -> None:
        only_reception = [hand_example()[2]]
        stats = period_stats(only_reception, start=date(2024, 6, 1), end=date(2024, 6, 1))
        assert stats.services_missing == (E, A)
        assert stats.waits[E].median_minutes is None and stats.waits[E].count == 0

    def test_empty_period(self) -> None:
        stats = period_stats([], start=date(2024, 1, 1), end=date(2024, 1, 31))
        assert stats.cases == 0 and stats.services_missing == (R, E, A)

    def test_end_before_start(self) -> None:
        with pytest.raises(InvalidInput):
            period_stats([], start=date(2024, 2, 1), end=date(2024, 1, 1))

    @pytest.mark.parametrize(("values", "median", "p90"), [
        ([5], 5, 5), ([1, 2], 1.5, 2), (list(range(1, 11)), 5.5, 9), (list(range(1, 12)), 6, 10),
    ])
    def test_median_and_nearest_rank_p90(self, values: list[int], median: float, p90: int) -> None:
        assert median_seconds(values) == median
        assert p90_seconds(values) == p90


class TestCase:
    def test_each_service_once(self) -> None:
        c = case(datetime(2024, 6, 1, tzinfo=UTC), reception=60)
        with pytest.raises(Conflict, match="优先接诊已登记"):
            c.record(R, by=LEAD_DOCTOR, at=datetime(2024, 6, 1, 1, tzinfo=UTC))

    def test_not_before_arrival(self) -> None:
        c = case(datetime(2024, 6, 1, 8, tzinfo=UTC))
        with pytest.raises(InvalidInput, match="不能早于到院时间"):
            c.record(E, by=LEAD_DOCTOR, at=datetime(2024, 6, 1, 7, 59, tzinfo=UTC))

    def test_only_receiving_unit_records(self) -> None:
        with pytest.raises(Forbidden):
            case(datetime(2024, 6, 1, tzinfo=UTC)).record(A, by=MEMBER_DOCTOR, at=datetime(2024, 6, 1, tzinfo=UTC))

    def test_timestamps_kept(self) -> None:
        arrived = datetime(2024, 6, 1, 8, tzinfo=UTC)
        c = case(arrived, admission=600)
        assert c.services[A].at == arrived + timedelta(minutes=10) and c.services[A].by == LEAD_DOCTOR.user_id
        assert c.wait_seconds(A) == 600 and c.wait_seconds(R) is None


class TestEligibility:
    @pytest.mark.parametrize(("direction", "urgency", "indication", "ok"), [
        (Direction.UP, Urgency.CRITICAL, "other", True),
        (Direction.UP, Urgency.ROUTINE, "difficult_complex", True),  # 疑难 counts too (indicator 5)
        (Direction.UP, Urgency.URGENT, "emergency_critical", True),
        (Direction.UP, Urgency.URGENT, "other", False),
        (Direction.DOWN, Urgency.CRITICAL, "emergency_critical", False),
    ])
    def test_table(self, direction: Direction, urgency: Urgency, indication: str, ok: bool) -> None:
        assert is_eligible(direction, urgency, indication) is ok

    def test_routine_case_refused(self) -> None:
        with pytest.raises(InvalidInput):
            open_case(referral_id="r", institution_id=LEAD, patient_ref=new_patient_ref(), direction=Direction.UP,
                      urgency=Urgency.ROUTINE, indication="other", arrived_at=datetime(2024, 6, 1, tzinfo=UTC))


class TestFromReferral:
    def test_clock_starts_at_arrival(self) -> None:
        ref = up_referral(urgency=Urgency.CRITICAL).accept(by=LEAD_DOCTOR, at=T0)
        with pytest.raises(Conflict, match="尚未到院"):
            open_case_for(ref)
        ref = ref.record_arrival(by=LEAD_DOCTOR, at=T0 + minutes(30))
        c = open_case_for(ref).record(R, by=LEAD_DOCTOR, at=T0 + minutes(32))
        assert c.arrived_at == T0 + minutes(30) and c.wait_seconds(R) == 120
        assert c.institution_id == LEAD and c.patient_ref == ref.patient_ref
