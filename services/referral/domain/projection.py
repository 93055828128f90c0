"""Order-independent referral projection (reliability row 13).

External systems (客服专线 85356855, 急救网络 85600965, the hospital HIS) send milestones that may arrive
in any order: ``arrived`` before ``requested``, ``cancelled`` before ``requested``, duplicates. So the
state is not a moving pointer but the *set of milestones*, each kept as its earliest mark (smallest
``(occurred_at, event_id)``). ``apply`` is therefore commutative, associative and idempotent: any
permutation (with or without redelivered duplicates) folds to the same state.

Status is *derived* from that set, with the same rule the aggregate enforces:
- a rejection counts only if nothing progressed (accepted / arrived / …) before it;
- a cancellation counts only if the patient had not arrived before it (a later cancel is ignored
  and reported in ``anomalies``, as the aggregate would refuse it: "当前状态为「已到院」，不能取消");
- otherwise the furthest milestone wins: completed > admitted > seen > arrived > accepted > requested.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from libs.kit.errors import Conflict, InvalidInput
from services.referral.domain import _checks
from services.referral.domain.referral import Party, Referral
from services.referral.domain.terms import Channel, Direction, Setting, Status, Urgency

_PROGRESS = (Status.ACCEPTED, Status.ARRIVED, Status.SEEN, Status.ADMITTED, Status.COMPLETED)  # low → high
_ON_SITE = frozenset({Status.ARRIVED, Status.SEEN, Status.ADMITTED, Status.COMPLETED})
# A milestone is "reached" when it, or one that implies it, is present.
_IMPLIED_BY = {
    Status.ACCEPTED: frozenset(_PROGRESS),
    Status.ARRIVED: _ON_SITE,
    Status.SEEN: frozenset({Status.SEEN, Status.COMPLETED}),
    Status.ADMITTED: frozenset({Status.ADMITTED, Status.COMPLETED}),
    Status.COMPLETED: frozenset({Status.COMPLETED}),
}


@dataclass(frozen=True)
class ReferralFacts:
    """The request itself (ServiceRequest), carried by the ``requested`` event."""

    alliance_id: str
    direction: Direction
    setting: Setting
    channel: Channel
    referring: Party
    receiving: Party
    patient_ref: str
    urgency: Urgency
    indication: str


@dataclass(frozen=True)
class ReferralEvent:
    """One milestone reported by anyone (our aggregate or an external system)."""

    event_id: str
    referral_id: str
    milestone: Status
    occurred_at: datetime
    by: str | None = None
    doctor_id: str | None = None  # for ``accepted``: the receiving doctor
    reason: str | None = None
    facts: ReferralFacts | None = None  # required for ``requested``


@dataclass(frozen=True)
class Mark:
    at: datetime
    event_id: str
    by: str | None = None
    doctor_id: str | None = None
    reason: str | None = None
    facts: ReferralFacts | None = None

    @property
    def key(self) -> tuple[datetime, str]:
        return (self.at, self.event_id)


@dataclass(frozen=True)
class ReferralState:
    referral_id: str
    marks: dict[Status, Mark] = field(default_factory=dict)

    @property
    def facts(self) -> ReferralFacts | None:
        mark = self.marks.get(Status.REQUESTED)
        return mark.facts if mark else None

    @property
    def status(self) -> Status | None:
        """The derived status; ``None`` while nothing is known."""
        closure = self.effective_closure
        if closure is not None:
            return closure
        for milestone in reversed(_PROGRESS):
            if milestone in self.marks:
                return milestone
        return Status.REQUESTED if Status.REQUESTED in self.marks else None

    @property
    def effective_closure(self) -> Status | None:
        """Rejected / cancelled, if it happened before the patient progressed past it."""
        candidates = [m for m in (Status.REJECTED, Status.CANCELLED) if self._closure_counts(m)]
        return min(candidates, key=lambda m: (self.marks[m].key, m.value), default=None)

    @property
    def receiving_doctor_id(self) -> str | None:
        accepted = self.marks.get(Status.ACCEPTED)
        if accepted is not None and accepted.doctor_id:
            return accepted.doctor_id
        return self.facts.receiving.doctor_id if self.facts else None

    def reached(self, milestone: Status) -> bool:
        return any(m in self.marks for m in _IMPLIED_BY.get(milestone, frozenset({milestone})))

    def reached_at(self, milestone: Status) -> datetime | None:
        times = [self.marks[m].at for m in _IMPLIED_BY.get(milestone, {milestone}) if m in self.marks]
        return min(times, default=None)

    @property
    def anomalies(self) -> tuple[str, ...]:
        """Things an operator should look at; derived from the set, so order-independent too."""
        found = []
        if Status.REQUESTED not in self.marks:
            found.append("missing_request")  # consumers park points until the request arrives
        for closure in (Status.REJECTED, Status.CANCELLED):
            if closure in self.marks and not self._closure_counts(closure):
                found.append(f"late_{closure.value}")
        if Status.SEEN in self.marks and Status.ADMITTED in self.marks:
            found.append("both_seen_and_admitted")
        return tuple(found)

    def _closure_counts(self, closure: Status) -> bool:
        mark = self.marks.get(closure)
        if mark is None:
            return False
        blockers = frozenset(_PROGRESS) if closure is Status.REJECTED else _ON_SITE
        return not any(m in self.marks and self.marks[m].at < mark.at for m in blockers)


def apply(state: ReferralState | None, event: ReferralEvent) -> ReferralState:
    """Fold one event into the state. Pure; commutative, associative and idempotent."""
    state = state or ReferralState(event.referral_id)
    if event.referral_id != state.referral_id:
        raise InvalidInput("事件不属于该转诊", field="referral_id")
    mark = _mark(event)
    current = state.marks.get(event.milestone)
    if current is not None and current.event_id == mark.event_id:
        if current != mark:  # reliability row 14: same id, different payload → refuse loudly
            raise Conflict("同一事件编号的内容不一致，已拒绝", field="event_id", event_id=mark.event_id)
        return state
    if current is not None and current.key <= mark.key:
        return state
    return replace(state, marks={**state.marks, event.milestone: mark})


def project(events: list[ReferralEvent]) -> ReferralState | None:
    state: ReferralState | None = None
    for event in events:
        state = apply(state, event)
    return state


def _mark(event: ReferralEvent) -> Mark:
    if event.milestone is Status.REQUESTED and event.facts is None:
        raise InvalidInput("转诊申请事件缺少转诊信息", field="facts")
    return Mark(
        at=_checks.instant(event.occurred_at, "occurred_at"),
        event_id=_checks.text(event.event_id, "event_id", label="事件编号", max_len=128),
        by=event.by, doctor_id=event.doctor_id, reason=event.reason,
        facts=event.facts if event.milestone is Status.REQUESTED else None,
    )


def facts_of(referral: Referral) -> ReferralFacts:
    return ReferralFacts(
        alliance_id=referral.alliance_id, direction=referral.direction, setting=referral.setting,
        channel=referral.channel, referring=referral.referring, receiving=referral.receiving,
        patient_ref=referral.patient_ref, urgency=referral.urgency, indication=referral.indication,
    )


def events_from(referral: Referral) -> list[ReferralEvent]:
    """The aggregate's history as projection events; ids are deterministic (``<id>:<milestone>``)."""
    events = []
    for step in referral.history:
        is_request = step.to_status is Status.REQUESTED
        events.append(ReferralEvent(
            event_id=f"{referral.referral_id}:{step.to_status.value}",
            referral_id=referral.referral_id, milestone=step.to_status, occurred_at=step.at,
            by=step.by, reason=step.reason,
            doctor_id=referral.receiving_doctor_id if step.to_status is Status.ACCEPTED else None,
            facts=facts_of(referral) if is_request else None,
        ))
    return events
