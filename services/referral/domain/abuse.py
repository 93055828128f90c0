"""Anti-farming flags (reliability row 30): scripted referral / booking churn to collect R02 points.

Points already follow the qualifying milestone and cancellations yield reversals (``awards``); this
module adds a per-doctor anomaly flag when, inside any sliding window, the doctor's cancellations or
total actions exceed a threshold. Pure: the caller passes the activity it has (e.g. from facts).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from services.referral.domain.awards import AwardFact


@dataclass(frozen=True)
class Activity:
    doctor_id: str
    at: datetime
    is_cancellation: bool


@dataclass(frozen=True)
class ChurnPolicy:
    """Defaults are a starting point to tune on real data, not a rule of the scheme."""

    window: timedelta = timedelta(days=1)
    max_cancellations: int = 3
    max_actions: int = 30


@dataclass(frozen=True)
class AnomalyFlag:
    doctor_id: str
    reason: str  # "cancellation_churn" | "action_burst"
    count: int
    window_start: datetime
    window_end: datetime

    @property
    def detail(self) -> str:
        what = "取消" if self.reason == "cancellation_churn" else "操作"
        return f"医生在 {self.window_end - self.window_start} 内{what} {self.count} 次，超过阈值，积分待人工复核"


def activity_from_facts(facts: Iterable[AwardFact]) -> list[Activity]:
    """Each fact is one action of its beneficiary; reversals are the cancellations."""
    return [Activity(f.beneficiary_doctor_id, f.occurred_at, f.is_reversal)
            for f in facts if f.beneficiary_doctor_id]


def churn_flags(activities: Iterable[Activity], policy: ChurnPolicy = ChurnPolicy()) -> list[AnomalyFlag]:
    """One flag per doctor and reason, for the busiest window that exceeds the threshold."""
    by_doctor: dict[str, list[Activity]] = defaultdict(list)
    for activity in activities:
        by_doctor[activity.doctor_id].append(activity)
    flags = []
    for doctor_id in sorted(by_doctor):
        items = by_doctor[doctor_id]
        cancels = sorted(a.at for a in items if a.is_cancellation)
        actions = sorted(a.at for a in items)
        for reason, times, limit in (("cancellation_churn", cancels, policy.max_cancellations),
                                     ("action_burst", actions, policy.max_actions)):
            flag = _busiest_window(doctor_id, reason, times, policy.window)
            if flag is not None and flag.count > limit:
                flags.append(flag)
    return flags


def _busiest_window(doctor_id: str, reason: str, times: list[datetime], window: timedelta) -> AnomalyFlag | None:
    """Two pointers over sorted times: the window [t_i, t_i + window) holding the most events."""
    best: AnomalyFlag | None = None
    start = 0
    for end, at in enumerate(times):
        while at - times[start] >= window:
            start += 1
        count = end - start + 1
        if best is None or count > best.count:
            best = AnomalyFlag(doctor_id, reason, count, times[start], times[start] + window)
    return best
