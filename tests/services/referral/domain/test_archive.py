from __future__ import annotations

from services.referral.domain.archive import build_archive
from services.referral.domain.projection import ReferralEvent, apply, events_from, facts_of
from services.referral.domain.terms import Channel, Direction, Setting, Status

from .builders import LEAD_DOCTOR, MEMBER_DOCTOR, T0, down_referral, minutes, new_patient_ref, outcome, up_referral


def test_archive_of_one_patient_in_order() -> None:
    patient = new_patient_ref()
    up = up_referral(setting=Setting.INPATIENT, patient_ref=patient, at=T0)
    up = up.accept(by=LEAD_DOCTOR, at=T0 + minutes(5)).record_arrival(by=LEAD_DOCTOR, at=T0 + minutes(60))
    up = up.record_admission(by=LEAD_DOCTOR, at=T0 + minutes(70)).complete(
        by=LEAD_DOCTOR, at=T0 + minutes(600), outcome=outcome())
    down = down_referral(patient_ref=patient, at=T0 + minutes(700)).accept(by=MEMBER_DOCTOR, at=T0 + minutes(710))
    other = up_referral()  # another patient

    # A hotline referral known only from external events, arriving out of order.
    hotline = up_referral(channel=Channel.HOTLINE, patient_ref=patient, at=T0 - minutes(60 * 24))
    state = None
    for e in reversed(events_from(hotline)):
        state = apply(state, e)
    state = apply(state, ReferralEvent("hl-arr", hotline.referral_id, Status.ARRIVED, T0 - minutes(60 * 20)))

    archive = build_archive(patient, referrals=[down, other, up], states=[state])
    assert [e.referral_id for e in archive.entries] == [hotline.referral_id, up.referral_id, down.referral_id]
    assert [e.status for e in archive.entries] == [Status.ARRIVED, Status.COMPLETED, Status.ACCEPTED]
    assert archive.count(Direction.UP) == 2 and archive.count(Direction.DOWN) == 1
    assert archive.completed[0].outcome_summary == "住院 7 天，好转出院"
    assert archive.entries[0].steps[-1][0] is Status.ARRIVED


def test_aggregate_wins_over_projection_of_same_referral() -> None:
    ref = up_referral().accept(by=LEAD_DOCTOR, at=T0)
    state = apply(None, events_from(ref)[0])
    archive = build_archive(ref.patient_ref, referrals=[ref], states=[state])
    assert len(archive.entries) == 1 and archive.entries[0].status is Status.ACCEPTED
    assert facts_of(ref).patient_ref == archive.patient_ref


def test_projection_without_request_is_left_out() -> None:
    state = apply(None, ReferralEvent("e1", "ref-x", Status.ARRIVED, T0))
    assert build_archive(new_patient_ref(), states=[state]).entries == ()
