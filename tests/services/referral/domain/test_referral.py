from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import pytest

from libs.kit.errors import Conflict, Forbidden, InvalidInput
from services.referral.domain.alliance import Actor
from services.referral.domain.referral import Outcome, Party, Referral, request_referral
from services.referral.domain.standards import new_standard
from services.referral.domain.terms import Channel, Direction, Setting, Status, Urgency

from .builders import (
    LEAD,
    LEAD_DOCTOR,
    MEMBER,
    MEMBER_DOCTOR,
    OTHER_MEMBER_DOCTOR,
    OUTSIDER,
    T0,
    alliance,
    down_referral,
    minutes,
    new_patient_ref,
    outcome,
    uid,
    up_referral,
)

Action = Callable[[Referral], Referral]

ACTIONS: dict[str, Action] = {
    "accept": lambda r: r.accept(by=LEAD_DOCTOR, at=T0 + minutes(50)),
    "reject": lambda r: r.reject(by=LEAD_DOCTOR, at=T0 + minutes(50), reason="床位已满"),
    "arrive": lambda r: r.record_arrival(by=LEAD_DOCTOR, at=T0 + minutes(50)),
    "admit": lambda r: r.record_admission(by=LEAD_DOCTOR, at=T0 + minutes(50)),
    "visit": lambda r: r.record_visit(by=LEAD_DOCTOR, at=T0 + minutes(50)),
    "complete": lambda r: r.complete(by=LEAD_DOCTOR, at=T0 + minutes(50), outcome=outcome()),
    "cancel": lambda r: r.cancel(by=MEMBER_DOCTOR, at=T0 + minutes(50), reason="家属改变主意"),
}
VERBS = {"accept": "接收", "reject": "拒绝", "arrive": "登记到院", "admit": "登记入院", "visit": "登记就诊",
         "complete": "完成", "cancel": "取消"}
RESULT = {"accept": Status.ACCEPTED, "reject": Status.REJECTED, "arrive": Status.ARRIVED,
          "admit": Status.ADMITTED, "visit": Status.SEEN, "complete": Status.COMPLETED, "cancel": Status.CANCELLED}


def at_status(status: Status, setting: Setting) -> Referral:
    """Reach ``status`` along the canonical path, a few minutes apart."""
    ref = up_referral(setting=setting)
    step = 0

    def t() -> datetime:
        nonlocal step
        step += 1
        return T0 + minutes(step)

    if status is Status.REJECTED:
        return ref.reject(by=LEAD_DOCTOR, at=t(), reason="非本专科")
    if status is Status.CANCELLED:
        return ref.cancel(by=MEMBER_DOCTOR, at=t(), reason="患者转往他院")
    path = [Status.ACCEPTED, Status.ARRIVED, Status.ADMITTED if setting is not Setting.OUTPATIENT else Status.SEEN,
            Status.COMPLETED]
    moves = {Status.ACCEPTED: lambda r: r.accept(by=LEAD_DOCTOR, at=t()),
             Status.ARRIVED: lambda r: r.record_arrival(by=LEAD_DOCTOR, at=t()),
             Status.ADMITTED: lambda r: r.record_admission(by=LEAD_DOCTOR, at=t()),
             Status.SEEN: lambda r: r.record_visit(by=LEAD_DOCTOR, at=t()),
             Status.COMPLETED: lambda r: r.complete(by=LEAD_DOCTOR, at=t(), outcome=outcome())}
    for target in path:
        if ref.status is status:
            break
        ref = moves[target](ref)
    assert ref.status is status
    return ref


LEGAL = {
    Status.REQUESTED: {"accept", "reject", "cancel"},
    Status.ACCEPTED: {"arrive", "cancel"},
    Status.ARRIVED: {"admit", "visit"},
    Status.ADMITTED: {"complete"},
    Status.SEEN: {"complete"},
}
CASES = [
    (setting, status, action)
    for setting in (Setting.OUTPATIENT, Setting.INPATIENT)
    for status in Status
    if not (setting is Setting.OUTPATIENT and status is Status.ADMITTED)
    and not (setting is Setting.INPATIENT and status is Status.SEEN)
    for action in ACTIONS
]


class TestTransitions:
    @pytest.mark.parametrize(("setting", "status", "action"), CASES)
    def test_every_transition(self, setting: Setting, status: Status, action: str) -> None:
        ref = at_status(status, setting)
        wrong_setting = status is Status.ARRIVED and (
            (action == "admit" and setting is Setting.OUTPATIENT)
            or (action == "visit" and setting is Setting.INPATIENT))
        if action in LEGAL.get(status, set()) and not wrong_setting:
            moved = ACTIONS[action](ref)
            assert moved.status is RESULT[action]
            last = moved.history[-1]
            assert (last.from_status, last.to_status) == (status, RESULT[action])
            assert last.at == T0 + minutes(50)
            assert ref.status is status  # immutable: the original is unchanged
        else:
            with pytest.raises(Conflict) as info:
                ACTIONS[action](ref)
            if wrong_setting:
                assert "入院" in info.value.detail or "就诊" in info.value.detail
            else:
                assert info.value.detail == f"当前状态为「{status.label}」，不能{VERBS[action]}"
                assert info.value.extra["current_status"] == status.value

    def test_completed_cannot_be_cancelled_message(self) -> None:
        with pytest.raises(Conflict, match="当前状态为「已完成」，不能取消"):
            at_status(Status.COMPLETED, Setting.INPATIENT).cancel(by=MEMBER_DOCTOR, at=T0 + minutes(60), reason="x")

    def test_each_step_records_who_and_when(self) -> None:
        ref = at_status(Status.COMPLETED, Setting.INPATIENT)
        assert [t.to_status for t in ref.history] == [Status.REQUESTED, Status.ACCEPTED, Status.ARRIVED,
                                                      Status.ADMITTED, Status.COMPLETED]
        assert ref.history[0].by == MEMBER_DOCTOR.user_id
        assert {t.by_institution_id for t in ref.history[1:]} == {LEAD}
        assert [t.at for t in ref.history] == sorted(t.at for t in ref.history)

    def test_reasons_are_kept(self) -> None:
        assert at_status(Status.REJECTED, Setting.INPATIENT).history[-1].reason == "非本专科"

    @pytest.mark.parametrize("reason", ["", "   "])
    def test_reject_and_cancel_need_a_reason(self, reason: str) -> None:
        ref = up_referral()
        with pytest.raises(InvalidInput):
            ref.reject(by=LEAD_DOCTOR, at=T0, reason=reason)
        with pytest.raises(InvalidInput):
            ref.cancel(by=MEMBER_DOCTOR, at=T0, reason=reason)

    def test_time_cannot_go_backwards(self) -> None:
        with pytest.raises(InvalidInput):
            up_referral().accept(by=LEAD_DOCTOR, at=T0 - minutes(1))

    def test_naive_time_refused(self) -> None:
        with pytest.raises(InvalidInput):
            up_referral().accept(by=LEAD_DOCTOR, at=T0.replace(tzinfo=None))


class TestWhoMayAct:
    def test_only_receiving_side_accepts(self) -> None:
        with pytest.raises(Forbidden):
            up_referral().accept(by=MEMBER_DOCTOR, at=T0)

    def test_third_party_cannot_cancel(self) -> None:
        with pytest.raises(Forbidden):
            up_referral().cancel(by=OTHER_MEMBER_DOCTOR, at=T0, reason="x")

    def test_receiving_side_may_cancel(self) -> None:
        ref = up_referral().accept(by=LEAD_DOCTOR, at=T0).cancel(by=LEAD_DOCTOR, at=T0, reason="患者未到")
        assert ref.status is Status.CANCELLED

    def test_accepting_doctor_becomes_receiving_doctor(self) -> None:
        assert up_referral().accept(by=LEAD_DOCTOR, at=T0).receiving_doctor_id == LEAD_DOCTOR.user_id
        named = up_referral().accept(by=LEAD_DOCTOR, at=T0, receiving_doctor_id="doc-ward")
        assert named.receiving_doctor_id == "doc-ward"


class TestRequest:
    def test_up_goes_to_the_lead(self) -> None:
        ref = up_referral(setting=Setting.INPATIENT)
        assert (ref.direction, ref.status, ref.receiving.institution_id) == (Direction.UP, Status.REQUESTED, LEAD)

    def test_down_goes_from_the_lead_to_a_member(self) -> None:
        ref = down_referral()
        assert (ref.referring.institution_id, ref.receiving.institution_id) == (LEAD, MEMBER)

    def _request(self, **overrides: object) -> Referral:
        args: dict[str, object] = dict(
            referral_id=uid("ref"), alliance=alliance(), direction=Direction.UP, setting=Setting.OUTPATIENT,
            channel=Channel.HOTLINE, referring=Party(MEMBER, "doc-member"), receiving=Party(LEAD),
            patient_ref=new_patient_ref(), reason="r", indication="difficult_complex", urgency=Urgency.URGENT,
            by=MEMBER_DOCTOR, at=T0)
        args.update(overrides)
        return request_referral(**args)  # type: ignore[arg-type]

    def test_up_to_a_non_lead_refused(self) -> None:
        with pytest.raises(InvalidInput, match="牵头单位"):
            self._request(receiving=Party("inst-member-2"))

    def test_from_outside_the_alliance_refused(self) -> None:
        with pytest.raises(Forbidden):
            self._request(referring=Party(OUTSIDER), by=Actor("d", OUTSIDER))

    def test_down_from_a_member_refused(self) -> None:
        with pytest.raises(InvalidInput, match="牵头单位"):
            self._request(direction=Direction.DOWN, receiving=Party("inst-member-2"))

    def test_on_behalf_of_another_unit_refused(self) -> None:
        with pytest.raises(Forbidden):
            self._request(by=OTHER_MEMBER_DOCTOR)

    def test_dissolved_alliance_refused(self) -> None:
        with pytest.raises(Conflict, match="未备案或已解散"):
            self._request(alliance=alliance(operating=False))

    @pytest.mark.parametrize(("setting", "channel", "direction"), [
        (Setting.INPATIENT, Channel.EMERGENCY_NETWORK, Direction.UP),
        (Setting.EMERGENCY_TRANSPORT, Channel.HOTLINE, Direction.UP),
        (Setting.INPATIENT, Channel.RESERVED_SLOT, Direction.UP),
    ])
    def test_channel_must_fit(self, setting: Setting, channel: Channel, direction: Direction) -> None:
        with pytest.raises(InvalidInput):
            self._request(setting=setting, channel=channel, direction=direction)

    def test_emergency_down_refused(self) -> None:
        with pytest.raises(InvalidInput):
            self._request(direction=Direction.DOWN, setting=Setting.EMERGENCY_TRANSPORT,
                          channel=Channel.EMERGENCY_NETWORK, referring=Party(LEAD), receiving=Party(MEMBER),
                          by=LEAD_DOCTOR)

    @pytest.mark.parametrize("raw", ["430102199001011234", "张三", "pr_short"])
    def test_patient_must_be_a_pseudonym(self, raw: str) -> None:
        with pytest.raises(InvalidInput, match="假名化"):
            self._request(patient_ref=raw)

    def test_indication_checked_against_the_alliance_standard(self) -> None:
        standard = new_standard(alliance_id="alliance-peds", version="1", effective_from=T0.date())
        assert self._request(standard=standard).indication == "difficult_complex"
        with pytest.raises(InvalidInput, match="上转指征"):
            self._request(standard=standard, indication="stable")

    def test_referring_doctor_defaults_to_requester(self) -> None:
        ref = self._request(referring=Party(MEMBER))
        assert ref.referring.doctor_id == MEMBER_DOCTOR.user_id


class TestClosedLoop:
    def test_outcome_goes_back_to_the_referring_side(self) -> None:
        ref = at_status(Status.COMPLETED, Setting.INPATIENT)
        notice = ref.closed_loop_notice()
        assert notice.recipient == Party(MEMBER, MEMBER_DOCTOR.user_id)
        assert notice.sender == Party(LEAD, LEAD_DOCTOR.user_id)
        assert notice.outcome.summary == "住院 7 天，好转出院"
        assert notice.patient_ref == ref.patient_ref
        assert notice.completed_at == ref.history[-1].at

    def test_no_notice_before_completion(self) -> None:
        with pytest.raises(Conflict, match="尚无闭环结果"):
            at_status(Status.ADMITTED, Setting.INPATIENT).closed_loop_notice()

    def test_outcome_summary_required(self) -> None:
        ref = at_status(Status.SEEN, Setting.OUTPATIENT)
        with pytest.raises(InvalidInput):
            ref.complete(by=LEAD_DOCTOR, at=T0 + minutes(60), outcome=Outcome(summary=" "))
