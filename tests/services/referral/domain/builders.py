"""Keyword-only builders with unique ids for the referral domain tests."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

from services.referral.domain.alliance import Actor, AllianceView
from services.referral.domain.crypto import pseudonym
from services.referral.domain.referral import Outcome, Party, Referral, request_referral
from services.referral.domain.terms import Channel, Direction, Setting, Urgency

LEAD = "inst-lead"
MEMBER = "inst-member-1"
MEMBER_2 = "inst-member-2"
OUTSIDER = "inst-outsider"
PSEUDONYM_KEY = b"p" * 32
FIELD_KEY = b"f" * 32
T0 = datetime(2024, 6, 1, 8, 0, tzinfo=timezone.utc)

MEMBER_DOCTOR = Actor("doc-member", MEMBER)
LEAD_DOCTOR = Actor("doc-lead", LEAD)
OTHER_MEMBER_DOCTOR = Actor("doc-member-2", MEMBER_2)
OUTSIDER_DOCTOR = Actor("doc-outsider", OUTSIDER)


def uid(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def new_patient_ref() -> str:
    return pseudonym(PSEUDONYM_KEY, uid("patient"))


def alliance(*, operating: bool = True) -> AllianceView:
    return AllianceView("alliance-peds", LEAD, frozenset({MEMBER, MEMBER_2}), operating)


def minutes(n: float) -> timedelta:
    return timedelta(minutes=n)


def up_referral(*, setting: Setting = Setting.OUTPATIENT, channel: Channel | None = None,
                urgency: Urgency = Urgency.ROUTINE, indication: str = "difficult_complex",
                at: datetime = T0, patient_ref: str | None = None, receiving_doctor: str | None = None,
                view: AllianceView | None = None) -> Referral:
    if channel is None:
        channel = Channel.EMERGENCY_NETWORK if setting is Setting.EMERGENCY_TRANSPORT else Channel.PLATFORM
    return request_referral(
        referral_id=uid("ref"), alliance=view or alliance(), direction=Direction.UP, setting=setting,
        channel=channel, referring=Party(MEMBER, MEMBER_DOCTOR.user_id), receiving=Party(LEAD, receiving_doctor),
        patient_ref=patient_ref or new_patient_ref(), reason="发热伴抽搐，需上级医院诊治", indication=indication,
        urgency=urgency, by=MEMBER_DOCTOR, at=at,
    )


def down_referral(*, setting: Setting = Setting.INPATIENT, at: datetime = T0,
                  patient_ref: str | None = None) -> Referral:
    return request_referral(
        referral_id=uid("ref"), alliance=alliance(), direction=Direction.DOWN, setting=setting,
        channel=Channel.PLATFORM, referring=Party(LEAD, LEAD_DOCTOR.user_id), receiving=Party(MEMBER),
        patient_ref=patient_ref or new_patient_ref(), reason="病情稳定，下转康复", indication="stable",
        urgency=Urgency.ROUTINE, by=LEAD_DOCTOR, at=at,
    )


def outcome() -> Outcome:
    return Outcome(summary="住院 7 天，好转出院", diagnosis="热性惊厥", advice="两周后门诊随访")
