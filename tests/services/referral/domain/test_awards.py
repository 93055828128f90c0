"""Facts for the points service (R02a–d, R05) and row 28: only pseudonyms leave the service."""

from __future__ import annotations

import json
import re

from services.referral.domain.awards import FactKind, booking_facts, consult_facts, referral_award_changes
from services.referral.domain.consult import Answer, ConsultKind, request_consult
from services.referral.domain.patient import pseudonym
from services.referral.domain.projection import apply, events_from
from services.referral.domain.terms import Channel, Setting

from .builders import (
    LEAD,
    LEAD_DOCTOR,
    MEMBER,
    MEMBER_DOCTOR,
    PSEUDONYM_KEY,
    T0,
    alliance,
    down_referral,
    minutes,
    uid,
    up_referral,
)
from .test_slots import BEFORE, book, pool

ID_NUMBER = "430102199001011238"
PII = re.compile(r"\d{17}[\dXx]|1[3-9]\d{9}|张三")


def award_facts_of(ref):  # type: ignore[no-untyped-def]
    state, facts = None, []
    for e in events_from(ref):
        after = apply(state, e)
        facts += referral_award_changes(state, after, e)
        state = after
    return facts


class TestReferralFacts:
    def test_emergency_up_awards_the_referring_doctor_on_admission(self) -> None:
        ref = up_referral(setting=Setting.EMERGENCY_TRANSPORT, patient_ref=pseudonym(PSEUDONYM_KEY, ID_NUMBER))
        ref = ref.accept(by=LEAD_DOCTOR, at=T0 + minutes(1)).record_arrival(by=LEAD_DOCTOR, at=T0 + minutes(30))
        assert award_facts_of(ref) == []  # arrival alone is not the qualifying milestone for 住院
        ref = ref.record_admission(by=LEAD_DOCTOR, at=T0 + minutes(45))
        [fact] = award_facts_of(ref)
        assert fact.kind is FactKind.REFERRAL_COMPLETED and fact.rule_hint == "R02d"
        assert fact.beneficiary_doctor_id == MEMBER_DOCTOR.user_id
        assert fact.occurred_at == T0 + minutes(45)
        assert fact.details == {
            "direction": "up", "setting": "emergency_transport", "channel": "emergency_network",
            "referring_doctor_id": MEMBER_DOCTOR.user_id, "receiving_doctor_id": LEAD_DOCTOR.user_id,
            "referring_institution_id": MEMBER, "receiving_institution_id": LEAD,
            "patient_ref": pseudonym(PSEUDONYM_KEY, ID_NUMBER),
        }
        assert not PII.search(json.dumps(fact.to_payload(), ensure_ascii=False))

    def test_outpatient_up_awards_on_arrival(self) -> None:
        ref = up_referral(channel=Channel.HOTLINE).accept(by=LEAD_DOCTOR, at=T0)
        [fact] = award_facts_of(ref.record_arrival(by=LEAD_DOCTOR, at=T0 + minutes(9)))
        assert fact.rule_hint == "R02b" and fact.occurred_at == T0 + minutes(9)

    def test_down_awards_the_receiving_member_doctor(self) -> None:
        doctor = MEMBER_DOCTOR
        ref = down_referral().accept(by=doctor, at=T0).record_arrival(by=doctor, at=T0 + minutes(60))
        [fact] = award_facts_of(ref)
        assert fact.rule_hint == "R02c" and fact.beneficiary_doctor_id == doctor.user_id

    def test_cancelled_before_arrival_never_awards(self) -> None:
        ref = up_referral().accept(by=LEAD_DOCTOR, at=T0).cancel(by=MEMBER_DOCTOR, at=T0, reason="x")
        assert award_facts_of(ref) == []


class TestBookingFacts:
    def test_booking_awards_and_cancellation_reverses(self) -> None:
        p = book(pool(), booking_id="bk-9")
        [booked] = booking_facts(p, p.booking("bk-9"))
        assert (booked.kind, booked.rule_hint, booked.beneficiary_doctor_id) == (
            FactKind.SLOT_BOOKED, "R02a", MEMBER_DOCTOR.user_id)
        p = p.cancel(booking_id="bk-9", by=MEMBER_DOCTOR, at=BEFORE, reason="改期")
        facts = booking_facts(p, p.booking("bk-9"))
        assert [f.kind for f in facts] == [FactKind.SLOT_BOOKED, FactKind.SLOT_BOOKING_CANCELLED]
        assert facts[1].is_reversal and facts[1].subject_id == "bk-9"
        assert facts[0].fact_id != facts[1].fact_id
        assert booking_facts(p, p.booking("bk-9")) == facts  # deterministic ids: re-emitting is idempotent


class TestConsultFacts:
    def _consult(self, kind: ConsultKind):  # type: ignore[no-untyped-def]
        return request_consult(consult_id=uid("c"), alliance=alliance(), kind=kind, responder_institution_id=LEAD,
                               patient_ref=pseudonym(PSEUDONYM_KEY, "x"), question="q", by=MEMBER_DOCTOR, at=T0)

    def test_counted_per_request(self) -> None:
        c = self._consult(ConsultKind.PHARMACIST)
        [fact] = consult_facts(c)
        assert fact.kind is FactKind.CONSULT_REQUESTED and fact.rule_hint == "R05-consult"
        assert consult_facts(c.respond(by=LEAD_DOCTOR, at=T0, answer=Answer("ok"))) == [fact]

    def test_diagnostics_and_cancellation(self) -> None:
        c = self._consult(ConsultKind.IMAGING).cancel(by=MEMBER_DOCTOR, at=T0 + minutes(1), reason="x")
        facts = consult_facts(c)
        assert facts[0].rule_hint == "R05-diagnostics"
        assert [f.kind for f in facts] == [FactKind.CONSULT_REQUESTED, FactKind.CONSULT_CANCELLED]
