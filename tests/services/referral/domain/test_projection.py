"""Reliability row 13: events in any order converge; points are due exactly once."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from libs.kit.errors import Conflict, InvalidInput
from services.referral.domain.awards import QUALIFYING, FactKind, referral_award_changes, referral_points_due
from services.referral.domain.projection import (
    ReferralEvent,
    ReferralFacts,
    ReferralState,
    apply,
    events_from,
    facts_of,
    project,
)
from services.referral.domain.referral import Party
from services.referral.domain.terms import Channel, Direction, Setting, Status, Urgency

from .builders import LEAD, LEAD_DOCTOR, MEMBER, MEMBER_DOCTOR, T0, minutes, new_patient_ref, outcome, up_referral

RID = "ref-h"
ROUTES = [*QUALIFYING.keys(), (Direction.UP, Setting.OUTPATIENT, Channel.RESERVED_SLOT)]


def facts_for(route: tuple[Direction, Setting, Channel]) -> ReferralFacts:
    direction, setting, channel = route
    lead, member = Party(LEAD, "doc-lead"), Party(MEMBER, "doc-member")
    referring, receiving = (member, lead) if direction is Direction.UP else (lead, member)
    return ReferralFacts("alliance-peds", direction, setting, channel, referring, receiving,
                         "pr_" + "A" * 43, Urgency.URGENT, "difficult_complex")


def event(milestone: Status, minute: int, *, n: int = 0, facts: ReferralFacts | None = None,
          doctor: str | None = None) -> ReferralEvent:
    return ReferralEvent(f"evt-{milestone.value}-{n}", RID, milestone, T0 + minutes(minute),
                         by="hotline", doctor_id=doctor, facts=facts if milestone is Status.REQUESTED else None)


@st.composite
def event_histories(draw: st.DrawFn) -> list[ReferralEvent]:
    """Any subset of milestones (possibly conflicting), some reported twice with other ids and times,
    some redelivered verbatim (same id, same payload)."""
    facts = facts_for(draw(st.sampled_from(ROUTES)))
    milestones = draw(st.lists(st.sampled_from(list(Status)), min_size=1, max_size=12))
    events = []
    for n, milestone in enumerate(milestones):
        doctor = draw(st.sampled_from([None, "doc-a", "doc-b"])) if milestone is Status.ACCEPTED else None
        events.append(event(milestone, draw(st.integers(0, 240)), n=n, facts=facts, doctor=doctor))
    redelivered = draw(st.lists(st.sampled_from(events), max_size=3))
    return events + redelivered


def fold_with_awards(events: list[ReferralEvent]) -> tuple[ReferralState | None, list[int]]:
    state: ReferralState | None = None
    running, totals = 0, []
    for e in events:
        after = apply(state, e)
        for fact in referral_award_changes(state, after, e):
            running += -1 if fact.is_reversal else 1
        totals.append(running)
        state = after
    return state, totals


class TestConvergence:
    @settings(max_examples=400, deadline=None)
    @given(data=st.data(), events=event_histories())
    def test_any_permutation_gives_the_same_state(self, data: st.DataObject, events: list[ReferralEvent]) -> None:
        shuffled = data.draw(st.permutations(events))
        in_order, permuted = project(events), project(shuffled)
        assert permuted == in_order
        assert permuted is not None and in_order is not None
        assert permuted.status == in_order.status
        assert permuted.anomalies == in_order.anomalies

    @settings(max_examples=400, deadline=None)
    @given(data=st.data(), events=event_histories())
    def test_points_due_exactly_once(self, data: st.DataObject, events: list[ReferralEvent]) -> None:
        shuffled = data.draw(st.permutations(events))
        final, totals = fold_with_awards(shuffled)
        due = referral_points_due(final)
        assert due == referral_points_due(project(events))
        assert totals[-1] == (1 if due else 0)  # awards minus reversals = once, or none
        assert all(t in (0, 1) for t in totals)  # never negative, never twice

    @settings(max_examples=200, deadline=None)
    @given(events=event_histories())
    def test_replaying_everything_again_changes_nothing(self, events: list[ReferralEvent]) -> None:
        state = project(events)
        assert project(events + events) == state

    @pytest.mark.parametrize("seed", range(20))
    @pytest.mark.parametrize("setting", [Setting.OUTPATIENT, Setting.INPATIENT])
    def test_aggregate_history_projects_to_its_status(self, seed: int, setting: Setting) -> None:
        ref = up_referral(setting=setting).accept(by=LEAD_DOCTOR, at=T0 + minutes(1))
        ref = ref.record_arrival(by=LEAD_DOCTOR, at=T0 + minutes(2))
        ref = (ref.record_admission if setting is Setting.INPATIENT else ref.record_visit)(
            by=LEAD_DOCTOR, at=T0 + minutes(3))
        ref = ref.complete(by=LEAD_DOCTOR, at=T0 + minutes(4), outcome=outcome())
        events = events_from(ref)
        random.Random(seed).shuffle(events)
        state = project(events)
        assert state is not None and state.status is ref.status
        assert state.facts == facts_of(ref)
        assert state.receiving_doctor_id == LEAD_DOCTOR.user_id


class TestOutOfOrder:
    def test_arrival_before_request(self) -> None:
        facts = facts_for((Direction.UP, Setting.OUTPATIENT, Channel.HOTLINE))
        early = apply(None, event(Status.ARRIVED, 30))
        assert early.status is Status.ARRIVED
        assert early.anomalies == ("missing_request",)
        assert not referral_points_due(early)  # parked until the request is known
        full = apply(early, event(Status.REQUESTED, 0, facts=facts))
        assert referral_points_due(full)
        facts_out = referral_award_changes(early, full, event(Status.REQUESTED, 0, facts=facts))
        assert [f.kind for f in facts_out] == [FactKind.REFERRAL_COMPLETED]
        assert facts_out[0].occurred_at == T0 + minutes(30)

    def test_cancel_before_create(self) -> None:
        facts = facts_for((Direction.UP, Setting.INPATIENT, Channel.PLATFORM))
        state = project([event(Status.CANCELLED, 10), event(Status.REQUESTED, 0, facts=facts)])
        assert state is not None and state.status is Status.CANCELLED

    def test_cancel_after_arrival_is_ignored_and_reported(self) -> None:
        facts = facts_for((Direction.UP, Setting.OUTPATIENT, Channel.HOTLINE))
        state = project([event(Status.CANCELLED, 90), event(Status.ARRIVED, 60),
                         event(Status.REQUESTED, 0, facts=facts)])
        assert state is not None and state.status is Status.ARRIVED
        assert "late_cancelled" in state.anomalies
        assert referral_points_due(state)

    def test_cancel_before_arrival_wins_and_reverses(self) -> None:
        facts = facts_for((Direction.UP, Setting.OUTPATIENT, Channel.HOTLINE))
        before = project([event(Status.REQUESTED, 0, facts=facts), event(Status.ARRIVED, 60)])
        cancel = event(Status.CANCELLED, 30)
        after = apply(before, cancel)
        assert after.status is Status.CANCELLED
        changes = referral_award_changes(before, after, cancel)
        assert [f.kind for f in changes] == [FactKind.REFERRAL_REVERSED]
        assert changes[0].subject_id == RID

    def test_rejection_after_acceptance_does_not_count(self) -> None:
        facts = facts_for((Direction.UP, Setting.INPATIENT, Channel.PLATFORM))
        state = project([event(Status.REQUESTED, 0, facts=facts), event(Status.ACCEPTED, 5),
                         event(Status.REJECTED, 6)])
        assert state is not None and state.status is Status.ACCEPTED

    def test_earliest_duplicate_mark_is_kept(self) -> None:
        state = project([event(Status.ARRIVED, 50, n=1), event(Status.ARRIVED, 40, n=2)])
        assert state is not None and state.marks[Status.ARRIVED].at == T0 + minutes(40)

    def test_inpatient_needs_admission_for_points(self) -> None:
        facts = facts_for((Direction.UP, Setting.INPATIENT, Channel.HOTLINE))
        arrived = project([event(Status.REQUESTED, 0, facts=facts), event(Status.ARRIVED, 10)])
        assert not referral_points_due(arrived)
        assert referral_points_due(apply(arrived, event(Status.ADMITTED, 20)))

    def test_completed_implies_arrival(self) -> None:
        facts = facts_for((Direction.DOWN, Setting.INPATIENT, Channel.PLATFORM))
        assert referral_points_due(project([event(Status.REQUESTED, 0, facts=facts), event(Status.COMPLETED, 9)]))

    def test_reserved_slot_referrals_earn_through_the_booking(self) -> None:
        facts = facts_for((Direction.UP, Setting.OUTPATIENT, Channel.RESERVED_SLOT))
        assert not referral_points_due(project([event(Status.REQUESTED, 0, facts=facts), event(Status.SEEN, 9)]))


class TestRefusals:
    def test_request_without_facts(self) -> None:
        with pytest.raises(InvalidInput):
            apply(None, event(Status.REQUESTED, 0))

    def test_other_referral(self) -> None:
        state = apply(None, event(Status.ARRIVED, 0))
        with pytest.raises(InvalidInput):
            apply(state, ReferralEvent("e", "other", Status.ARRIVED, T0))

    def test_same_id_different_payload_is_loud(self) -> None:
        state = apply(None, event(Status.ARRIVED, 10))
        with pytest.raises(Conflict):
            apply(state, event(Status.ARRIVED, 5))


def test_beneficiary_of_down_referral_is_the_receiving_doctor() -> None:
    facts = facts_for((Direction.DOWN, Setting.OUTPATIENT, Channel.PLATFORM))
    facts = ReferralFacts(**{**facts.__dict__, "receiving": Party(MEMBER)})
    before = project([event(Status.REQUESTED, 0, facts=facts), event(Status.ACCEPTED, 1, doctor="doc-m")])
    arrive = event(Status.ARRIVED, 2)
    [fact] = referral_award_changes(before, apply(before, arrive), arrive)
    assert fact.beneficiary_doctor_id == "doc-m"
    assert fact.rule_hint == "R02c"
    assert fact.details["referring_doctor_id"] == "doc-lead"
    assert MEMBER_DOCTOR.user_id not in fact.to_payload().values()
    assert new_patient_ref() != fact.details["patient_ref"]
