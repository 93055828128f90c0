"""绿色通道: priority reception (优先接诊), examination (优先检查) and admission (优先住院) for referred
疑难危重症 patients, each with its timestamp, so the evaluation can show it happened
(湖南省专科联盟绩效评价指标 5: 未对转诊患者提供优先服务的，缺失一项扣 5 分).

Waiting times run from the patient's arrival to each priority service, in whole seconds (integers);
statistics are exact: the median is a ``Fraction`` of seconds, p90 uses the nearest-rank method (an
observed value), and minutes are shown as ``Decimal`` rounded half-up to 0.1.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction

from libs.kit.clock import business_date
from libs.kit.errors import Conflict, Forbidden, InvalidInput
from services.referral.domain import _checks
from services.referral.domain.alliance import Actor
from services.referral.domain.referral import Referral
from services.referral.domain.terms import Direction, Status, Urgency

# 第十四条 / 指标 5: 急危重症 and 疑难复杂 patients go up through the green channel.
GREEN_CHANNEL_INDICATIONS = frozenset({"emergency_critical", "difficult_complex"})


class PriorityService(StrEnum):
    RECEPTION = "reception"
    EXAMINATION = "examination"
    ADMISSION = "admission"

    @property
    def label(self) -> str:
        return {"reception": "优先接诊", "examination": "优先检查", "admission": "优先住院"}[self.value]


@dataclass(frozen=True)
class ServiceMark:
    at: datetime
    by: str


@dataclass(frozen=True)
class GreenChannelCase:
    referral_id: str
    institution_id: str  # the receiving (lead) unit
    patient_ref: str
    arrived_at: datetime
    services: dict[PriorityService, ServiceMark] = field(default_factory=dict)

    def record(self, service: PriorityService, *, by: Actor, at: datetime) -> GreenChannelCase:
        """Record one priority service, once, not before arrival, by the receiving unit."""
        service = PriorityService(service)
        if by.institution_id != self.institution_id:
            raise Forbidden("只有接收单位可以登记绿色通道服务", field="institution_id")
        if service in self.services:
            raise Conflict(f"{service.label}已登记", field="service")
        when = _checks.instant(at)
        if when < self.arrived_at:
            raise InvalidInput(f"{service.label}时间不能早于到院时间", field="at")
        return replace(self, services={**self.services, service: ServiceMark(when, by.user_id)})

    def wait_seconds(self, service: PriorityService) -> int | None:
        mark = self.services.get(service)
        return None if mark is None else int((mark.at - self.arrived_at).total_seconds())


def is_eligible(direction: Direction, urgency: Urgency, indication: str) -> bool:
    """Referred up, and critical (危重) or indicated as 急危重症 / 疑难复杂."""
    return direction is Direction.UP and (urgency is Urgency.CRITICAL or indication in GREEN_CHANNEL_INDICATIONS)


def open_case(*, referral_id: str, institution_id: str, patient_ref: str, direction: Direction,
              urgency: Urgency, indication: str, arrived_at: datetime) -> GreenChannelCase:
    if not is_eligible(Direction(direction), Urgency(urgency), indication):
        raise InvalidInput("绿色通道只用于上转的疑难危重症患者", field="urgency")
    return GreenChannelCase(referral_id, institution_id, patient_ref, _checks.instant(arrived_at, "arrived_at"))


def open_case_for(referral: Referral) -> GreenChannelCase:
    """Open the case of a referral whose patient has arrived (the clock starts at arrival)."""
    arrival = next((t.at for t in referral.history if t.to_status is Status.ARRIVED), None)
    if arrival is None:
        raise Conflict(f"当前状态为「{referral.status.label}」，患者尚未到院", field="status")
    return open_case(referral_id=referral.referral_id, institution_id=referral.receiving.institution_id,
                     patient_ref=referral.patient_ref, direction=referral.direction, urgency=referral.urgency,
                     indication=referral.indication, arrived_at=arrival)


@dataclass(frozen=True)
class WaitStats:
    count: int
    median_minutes: Decimal | None
    p90_minutes: Decimal | None


@dataclass(frozen=True)
class GreenChannelStats:
    start: date
    end: date  # inclusive, Asia/Shanghai business dates
    cases: int
    served: dict[PriorityService, int]
    waits: dict[PriorityService, WaitStats]

    @property
    def services_present(self) -> frozenset[PriorityService]:
        return frozenset(s for s, n in self.served.items() if n > 0)

    @property
    def services_missing(self) -> tuple[PriorityService, ...]:
        """For indicator 5: each missing priority service costs 5 of 10 points."""
        return tuple(s for s in PriorityService if self.served[s] == 0)


def period_stats(cases: Iterable[GreenChannelCase], *, start: date, end: date) -> GreenChannelStats:
    """Stats for cases whose arrival falls in [start, end] (Asia/Shanghai dates)."""
    if end < start:
        raise InvalidInput("统计结束日期不能早于开始日期", field="end")
    chosen = [c for c in cases if start <= business_date(c.arrived_at) <= end]
    waits = {s: sorted(w for c in chosen if (w := c.wait_seconds(s)) is not None) for s in PriorityService}
    return GreenChannelStats(
        start=start, end=end, cases=len(chosen),
        served={s: len(waits[s]) for s in PriorityService},
        waits={s: _wait_stats(waits[s]) for s in PriorityService},
    )


def _wait_stats(seconds: list[int]) -> WaitStats:
    if not seconds:
        return WaitStats(0, None, None)
    return WaitStats(len(seconds), _minutes(median_seconds(seconds)), _minutes(Fraction(p90_seconds(seconds))))


def median_seconds(sorted_seconds: list[int]) -> Fraction:
    n = len(sorted_seconds)
    mid = n // 2
    if n % 2:
        return Fraction(sorted_seconds[mid])
    return Fraction(sorted_seconds[mid - 1] + sorted_seconds[mid], 2)


def p90_seconds(sorted_seconds: list[int]) -> int:
    """Nearest rank: the ⌈0.9·n⌉-th smallest value, computed in integers."""
    rank = (9 * len(sorted_seconds) + 9) // 10
    return sorted_seconds[rank - 1]


def _minutes(seconds: Fraction) -> Decimal:
    """Exact: tenths of a minute rounded half-up in integer arithmetic (waits are never negative)."""
    tenths = seconds * 10 / 60
    whole, rest = divmod(tenths.numerator, tenths.denominator)
    if 2 * rest >= tenths.denominator:
        whole += 1
    return Decimal(whole).scaleb(-1)
