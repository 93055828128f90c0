"""远程会诊 / 心电 / 影像 and 结果互认."""

from __future__ import annotations

import pytest

from libs.kit.errors import Conflict, Forbidden, InvalidInput
from services.referral.domain.alliance import Actor
from services.referral.domain.consult import Answer, Consult, ConsultKind, ConsultStatus, request_consult

from .builders import (
    LEAD,
    LEAD_DOCTOR,
    MEMBER_DOCTOR,
    OTHER_MEMBER_DOCTOR,
    OUTSIDER,
    T0,
    alliance,
    minutes,
    new_patient_ref,
    uid,
)


def consult(kind: ConsultKind = ConsultKind.PHARMACIST) -> Consult:
    return request_consult(consult_id=uid("c"), alliance=alliance(), kind=kind, responder_institution_id=LEAD,
                           patient_ref=new_patient_ref(), question="抗癫痫药物剂量调整", by=MEMBER_DOCTOR, at=T0)


def answered(kind: ConsultKind = ConsultKind.ECG) -> Consult:
    return consult(kind).respond(by=LEAD_DOCTOR, at=T0 + minutes(30), answer=Answer("窦性心律，未见异常", "ecg-77"))


class TestLifecycle:
    @pytest.mark.parametrize("kind", list(ConsultKind))
    def test_requested_then_answered(self, kind: ConsultKind) -> None:
        c = answered(kind)
        assert c.status is ConsultStatus.ANSWERED
        assert [s.to_status for s in c.history] == [ConsultStatus.REQUESTED, ConsultStatus.ANSWERED]
        assert c.answer == Answer("窦性心律，未见异常", "ecg-77")

    def test_requested_then_cancelled(self) -> None:
        c = consult().cancel(by=MEMBER_DOCTOR, at=T0 + minutes(5), reason="患者已出院")
        assert c.status is ConsultStatus.CANCELLED and c.history[-1].reason == "患者已出院"

    def test_answered_cannot_be_cancelled(self) -> None:
        with pytest.raises(Conflict, match="当前状态为「已答复」，不能取消"):
            answered().cancel(by=MEMBER_DOCTOR, at=T0 + minutes(40), reason="x")

    def test_cancelled_cannot_be_answered(self) -> None:
        c = consult().cancel(by=MEMBER_DOCTOR, at=T0, reason="x")
        with pytest.raises(Conflict, match="当前状态为「已取消」，不能答复"):
            c.respond(by=LEAD_DOCTOR, at=T0, answer=Answer("x"))

    def test_answered_twice_refused(self) -> None:
        with pytest.raises(Conflict, match="当前状态为「已答复」，不能答复"):
            answered().respond(by=LEAD_DOCTOR, at=T0 + minutes(50), answer=Answer("y"))

    def test_cancelled_twice_refused(self) -> None:
        c = consult().cancel(by=MEMBER_DOCTOR, at=T0, reason="x")
        with pytest.raises(Conflict, match="当前状态为「已取消」，不能取消"):
            c.cancel(by=MEMBER_DOCTOR, at=T0, reason="x")

    def test_only_responder_answers(self) -> None:
        with pytest.raises(Forbidden):
            consult().respond(by=OTHER_MEMBER_DOCTOR, at=T0, answer=Answer("x"))

    def test_only_requester_cancels(self) -> None:
        with pytest.raises(Forbidden):
            consult().cancel(by=LEAD_DOCTOR, at=T0, reason="x")

    def test_empty_conclusion_refused(self) -> None:
        with pytest.raises(InvalidInput):
            consult().respond(by=LEAD_DOCTOR, at=T0, answer=Answer(" "))


class TestRequest:
    def test_outside_alliance_refused(self) -> None:
        with pytest.raises(Forbidden):
            request_consult(consult_id="c", alliance=alliance(), kind="consult", responder_institution_id=OUTSIDER,
                            patient_ref=new_patient_ref(), question="q", by=MEMBER_DOCTOR, at=T0)

    def test_self_consult_refused(self) -> None:
        with pytest.raises(InvalidInput):
            request_consult(consult_id="c", alliance=alliance(), kind="imaging", responder_institution_id=LEAD,
                            patient_ref=new_patient_ref(), question="q", by=LEAD_DOCTOR, at=T0)


class TestMutualRecognition:
    def test_recorded_once_per_institution(self) -> None:
        c = answered().recognize(by=MEMBER_DOCTOR, at=T0 + minutes(60), alliance=alliance())
        c = c.recognize(by=OTHER_MEMBER_DOCTOR, at=T0 + minutes(61), alliance=alliance())
        assert [r.institution_id for r in c.recognitions] == [MEMBER_DOCTOR.institution_id,
                                                              OTHER_MEMBER_DOCTOR.institution_id]
        with pytest.raises(Conflict, match="已互认"):
            c.recognize(by=MEMBER_DOCTOR, at=T0 + minutes(62), alliance=alliance())

    def test_only_answered_results(self) -> None:
        with pytest.raises(Conflict, match="不能互认"):
            consult().recognize(by=MEMBER_DOCTOR, at=T0, alliance=alliance())

    def test_issuer_does_not_recognise_itself(self) -> None:
        with pytest.raises(InvalidInput):
            answered().recognize(by=LEAD_DOCTOR, at=T0 + minutes(60), alliance=alliance())

    def test_outsider_cannot_recognise(self) -> None:
        with pytest.raises(Forbidden):
            answered().recognize(by=Actor("x", OUTSIDER), at=T0 + minutes(60), alliance=alliance())
