"""Normalised facts the points service consumes (R02a–d, R05 of the Hunan club scheme), and the
anti-farming rules of reliability row 30.

The referral service never computes points: it states *what happened* (a referral reached its
qualifying milestone, a reserved slot was booked, a consult was requested) with pseudonymous
patient references, and a reversal when that stops being true. ``rule_hint`` is our reading of the
scheme (see spec/points-rules.md); the points service maps facts to amounts under its versioned rules.

Referral points are due exactly once, when the qualifying milestone is reached and the referral was
not (effectively) cancelled or rejected. Because the projection can flip (an earlier cancel may
arrive late), ``referral_award_changes`` compares the state before and after one event and emits an
award or a reversal; across any order of events the awards minus reversals equal the final ``due``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum

from services.referral.domain.consult import Consult, ConsultKind, ConsultStatus
from services.referral.domain.projection import ReferralEvent, ReferralFacts, ReferralState
from services.referral.domain.slots import Booking, BookingStatus, SlotPool
from services.referral.domain.terms import Channel, Direction, Setting, Status

_UP, _DOWN = Direction.UP, Direction.DOWN
_OUT, _IN, _EMR = Setting.OUTPATIENT, Setting.INPATIENT, Setting.EMERGENCY_TRANSPORT

# Seed 000 附件1 第2项: up via platform/hotline counts patients who come (门诊 2 / 住院 5); emergency network
# counts inpatients (10); down counts stable patients received (2). Reserved-slot referrals earn through
# the booking (R02a), not here, so they have no qualifying milestone. Data, not code: pass another table.
QUALIFYING: Mapping[tuple[Direction, Setting, Channel], Status] = {
    (_UP, _OUT, Channel.PLATFORM): Status.ARRIVED,
    (_UP, _OUT, Channel.HOTLINE): Status.ARRIVED,
    (_UP, _IN, Channel.PLATFORM): Status.ADMITTED,
    (_UP, _IN, Channel.HOTLINE): Status.ADMITTED,
    (_UP, _EMR, Channel.EMERGENCY_NETWORK): Status.ADMITTED,
    (_DOWN, _OUT, Channel.PLATFORM): Status.ARRIVED,
    (_DOWN, _OUT, Channel.HOTLINE): Status.ARRIVED,
    (_DOWN, _IN, Channel.PLATFORM): Status.ARRIVED,
    (_DOWN, _IN, Channel.HOTLINE): Status.ARRIVED,
}


class FactKind(StrEnum):
    REFERRAL_COMPLETED = "referral_completed"
    REFERRAL_REVERSED = "referral_reversed"
    SLOT_BOOKED = "slot_booked"
    SLOT_BOOKING_CANCELLED = "slot_booking_cancelled"
    CONSULT_REQUESTED = "consult_requested"
    CONSULT_CANCELLED = "consult_cancelled"


REVERSAL_KINDS = frozenset({FactKind.REFERRAL_REVERSED, FactKind.SLOT_BOOKING_CANCELLED, FactKind.CONSULT_CANCELLED})


@dataclass(frozen=True)
class AwardFact:
    """One fact for the points service. ``fact_id`` is deterministic, so re-emitting is idempotent."""

    fact_id: str
    kind: FactKind
    subject_id: str  # referral, booking or consult id; a reversal negates the open award of its subject
    alliance_id: str
    occurred_at: datetime
    beneficiary_doctor_id: str | None
    rule_hint: str | None
    details: Mapping[str, str] = field(default_factory=dict)

    @property
    def is_reversal(self) -> bool:
        return self.kind in REVERSAL_KINDS

    def to_payload(self) -> dict[str, object]:
        """JSON-ready; identifiers are opaque ids and ``patient_ref`` pseudonyms only."""
        return {
            "fact_id": self.fact_id, "kind": self.kind.value, "subject_id": self.subject_id,
            "alliance_id": self.alliance_id, "occurred_at": self.occurred_at.isoformat(),
            "beneficiary_doctor_id": self.beneficiary_doctor_id, "rule_hint": self.rule_hint,
            **dict(self.details),
        }


def qualifying_milestone(facts: ReferralFacts,
                         table: Mapping[tuple[Direction, Setting, Channel], Status] = QUALIFYING) -> Status | None:
    return table.get((facts.direction, facts.setting, facts.channel))


def referral_points_due(state: ReferralState | None,
                        table: Mapping[tuple[Direction, Setting, Channel], Status] = QUALIFYING) -> bool:
    """Due iff the request is known, the qualifying milestone is reached, and no closure counts."""
    if state is None or state.facts is None or state.effective_closure is not None:
        return False
    milestone = qualifying_milestone(state.facts, table)
    return milestone is not None and state.reached(milestone)


def referral_award_changes(before: ReferralState | None, after: ReferralState, event: ReferralEvent,
                           table: Mapping[tuple[Direction, Setting, Channel], Status] = QUALIFYING
                           ) -> list[AwardFact]:
    """Award when ``event`` makes points due, reversal when it makes them no longer due."""
    was, now = referral_points_due(before, table), referral_points_due(after, table)
    if was == now:
        return []
    kind = FactKind.REFERRAL_COMPLETED if now else FactKind.REFERRAL_REVERSED
    facts = after.facts
    assert facts is not None  # due (before or after) implies the request is known
    return [AwardFact(
        fact_id=f"referral:{after.referral_id}:{kind.value}:{event.event_id}",
        kind=kind, subject_id=after.referral_id, alliance_id=facts.alliance_id,
        occurred_at=_qualifying_time(after, table) if now else event.occurred_at,
        beneficiary_doctor_id=_referral_beneficiary(after),
        rule_hint=_referral_rule(facts), details=_referral_details(after),
    )]


def _qualifying_time(state: ReferralState, table: Mapping[tuple[Direction, Setting, Channel], Status]) -> datetime:
    assert state.facts is not None
    milestone = qualifying_milestone(state.facts, table)
    at = state.reached_at(milestone) if milestone else None
    assert at is not None
    return at


def _referral_beneficiary(state: ReferralState) -> str | None:
    """Up and emergency: the referring doctor (R02b, R02d). Down: the receiving doctor (R02c)."""
    assert state.facts is not None
    if state.facts.direction is Direction.DOWN:
        return state.receiving_doctor_id
    return state.facts.referring.doctor_id


def _referral_rule(facts: ReferralFacts) -> str:
    if facts.channel is Channel.EMERGENCY_NETWORK:
        return "R02d"
    return "R02c" if facts.direction is Direction.DOWN else "R02b"


def _referral_details(state: ReferralState) -> dict[str, str]:
    facts = state.facts
    assert facts is not None
    return _without_none({
        "direction": facts.direction.value, "setting": facts.setting.value, "channel": facts.channel.value,
        "referring_doctor_id": facts.referring.doctor_id,
        "receiving_doctor_id": state.receiving_doctor_id,
        "referring_institution_id": facts.referring.institution_id,
        "receiving_institution_id": facts.receiving.institution_id,
        "patient_ref": facts.patient_ref,
    })


def _without_none(values: dict[str, str | None]) -> dict[str, str]:
    return {k: v for k, v in values.items() if v is not None}



def booking_facts(pool: SlotPool, booking: Booking) -> list[AwardFact]:
    """R02a: a reserved-slot booking (挂号) earns on booking; a cancelled one also yields its reversal."""
    booked = AwardFact(
        fact_id=f"booking:{booking.booking_id}:booked", kind=FactKind.SLOT_BOOKED,
        subject_id=booking.booking_id, alliance_id=pool.alliance_id, occurred_at=booking.booked_at,
        beneficiary_doctor_id=booking.doctor_id, rule_hint="R02a",
        details={"booking_doctor_id": booking.doctor_id, "booking_institution_id": booking.doctor_institution_id,
                 "receiving_institution_id": pool.institution_id, "department": pool.department,
                 "on_date": pool.on_date.isoformat(), "patient_ref": booking.patient_ref},
    )
    if booking.status is not BookingStatus.CANCELLED or booking.cancelled_at is None:
        return [booked]
    reversal = replace(booked, fact_id=f"booking:{booking.booking_id}:cancelled",
                       kind=FactKind.SLOT_BOOKING_CANCELLED, occurred_at=booking.cancelled_at)
    return [booked, reversal]


def consult_facts(consult: Consult) -> list[AwardFact]:
    """R05 counts requests (按申请次数核算): award on request, reversal if the request is cancelled."""
    requested = AwardFact(
        fact_id=f"consult:{consult.consult_id}:requested", kind=FactKind.CONSULT_REQUESTED,
        subject_id=consult.consult_id, alliance_id=consult.alliance_id, occurred_at=consult.history[0].at,
        beneficiary_doctor_id=consult.requester_doctor_id, rule_hint=_consult_rule(consult.kind),
        details={"consult_kind": consult.kind.value, "requester_doctor_id": consult.requester_doctor_id,
                 "requester_institution_id": consult.requester_institution_id,
                 "responder_institution_id": consult.responder_institution_id,
                 "patient_ref": consult.patient_ref},
    )
    if consult.status is not ConsultStatus.CANCELLED:
        return [requested]
    reversal = replace(requested, fact_id=f"consult:{consult.consult_id}:cancelled",
                       kind=FactKind.CONSULT_CANCELLED, occurred_at=consult.history[-1].at)
    return [requested, reversal]


def _consult_rule(kind: ConsultKind) -> str:
    """R05: 远程会诊 (incl. 临床药师) 2 per request; 远程心电 / 影像 1 per request."""
    return "R05-consult" if kind in (ConsultKind.CONSULT, ConsultKind.PHARMACIST) else "R05-diagnostics"
