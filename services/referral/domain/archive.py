"""转诊档案 (第十四条: 建立转诊档案): one patient's referrals, in order, as a read-only view.

Built from platform referrals (aggregates) and from referrals known only through external events
(projection states), so hotline and emergency-network referrals appear too. Pseudonymous only.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from services.referral.domain.projection import ReferralState
from services.referral.domain.referral import Referral
from services.referral.domain.terms import Channel, Direction, Setting, Status, Urgency


@dataclass(frozen=True)
class ArchiveEntry:
    referral_id: str
    direction: Direction
    setting: Setting
    channel: Channel
    from_institution_id: str
    to_institution_id: str
    indication: str
    urgency: Urgency
    status: Status
    requested_at: datetime
    steps: tuple[tuple[Status, datetime], ...]
    outcome_summary: str | None = None


@dataclass(frozen=True)
class ReferralArchive:
    patient_ref: str
    entries: tuple[ArchiveEntry, ...]

    def count(self, direction: Direction) -> int:
        return sum(1 for e in self.entries if e.direction is direction)

    @property
    def completed(self) -> tuple[ArchiveEntry, ...]:
        return tuple(e for e in self.entries if e.status is Status.COMPLETED)


def entry_from_referral(referral: Referral) -> ArchiveEntry:
    return ArchiveEntry(
        referral_id=referral.referral_id, direction=referral.direction, setting=referral.setting,
        channel=referral.channel, from_institution_id=referral.referring.institution_id,
        to_institution_id=referral.receiving.institution_id, indication=referral.indication,
        urgency=referral.urgency, status=referral.status, requested_at=referral.requested_at,
        steps=tuple((t.to_status, t.at) for t in referral.history),
        outcome_summary=referral.outcome.summary if referral.outcome else None,
    )


def entry_from_state(state: ReferralState) -> ArchiveEntry | None:
    """None while the request itself is unknown (events that came too early)."""
    facts, status = state.facts, state.status
    if facts is None or status is None:
        return None
    steps = sorted(((m, mark.at) for m, mark in state.marks.items()), key=lambda s: (s[1], s[0].value))
    return ArchiveEntry(
        referral_id=state.referral_id, direction=facts.direction, setting=facts.setting, channel=facts.channel,
        from_institution_id=facts.referring.institution_id, to_institution_id=facts.receiving.institution_id,
        indication=facts.indication, urgency=facts.urgency, status=status,
        requested_at=state.marks[Status.REQUESTED].at, steps=tuple(steps),
    )


def build_archive(patient_ref: str, *, referrals: Iterable[Referral] = (),
                  states: Iterable[ReferralState] = ()) -> ReferralArchive:
    """The patient's archive; an aggregate wins over a projection of the same referral id."""
    entries = {r.referral_id: entry_from_referral(r) for r in referrals if r.patient_ref == patient_ref}
    for state in states:
        entry = entry_from_state(state)
        if entry is not None and state.facts is not None and state.facts.patient_ref == patient_ref:
            entries.setdefault(entry.referral_id, entry)
    ordered = sorted(entries.values(), key=lambda e: (e.requested_at, e.referral_id))
    return ReferralArchive(patient_ref, tuple(ordered))
