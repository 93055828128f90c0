"""Keyword-only builders of the referral service's events (libs/events/schemas/referral.py)."""

from __future__ import annotations

import uuid
from datetime import date

from libs.events.schemas import referral as rf

from .harness import at_shanghai


def _facts(*, alliance_id: str, direction: str, referring: str, receiving: str, setting: str = "outpatient",
           referral_id: str | None = None) -> dict[str, object]:
    return dict(referral_id=referral_id or f"ref_{uuid.uuid4().hex[:10]}", origin="platform", alliance_id=alliance_id,
                direction=direction, setting=setting, channel="platform", urgency="routine", indication="stable",
                referring_institution_id=referring, referring_doctor_id=None, receiving_institution_id=receiving,
                receiving_doctor_id=None, patient_ref=f"pr_{uuid.uuid4().hex[:16]}")


def arrived(*, alliance_id: str, direction: str, referring: str, receiving: str, day: date,
            to_status: str = "arrived", setting: str = "outpatient", referral_id: str | None = None
            ) -> rf.ReferralStatusChanged:
    return rf.ReferralStatusChanged(
        **_facts(alliance_id=alliance_id, direction=direction, referring=referring, receiving=receiving,
                 setting=setting, referral_id=referral_id),  # type: ignore[arg-type]
        from_status="accepted", to_status=to_status, milestone=to_status, by="his", by_institution_id=receiving,
        occurred_at=at_shanghai(day), business_date=day)


def completed(*, alliance_id: str, direction: str, referring: str, receiving: str, day: date,
              referral_id: str) -> rf.ReferralCompleted:
    return rf.ReferralCompleted(
        **_facts(alliance_id=alliance_id, direction=direction, referring=referring, receiving=receiving,
                 referral_id=referral_id),  # type: ignore[arg-type]
        outcome_recorded=True, requested_at=at_shanghai(day, 8), occurred_at=at_shanghai(day), business_date=day)


def green_channel(*, alliance_id: str, institution_id: str, service: str, day: date) -> rf.GreenChannelServiceRecorded:
    return rf.GreenChannelServiceRecorded(
        referral_id=f"ref_{uuid.uuid4().hex[:10]}", alliance_id=alliance_id, institution_id=institution_id,
        service=service, arrived_at=at_shanghai(day, 9), wait_seconds=600, recorded_by="nurse-1",  # type: ignore
        occurred_at=at_shanghai(day), business_date=day)


def _consult(*, alliance_id: str, requester: str, responder: str) -> dict[str, object]:
    return dict(consult_id=f"con_{uuid.uuid4().hex[:10]}", alliance_id=alliance_id, kind="consult",
                requester_institution_id=requester, requester_doctor_id="doc-x", responder_institution_id=responder,
                patient_ref=f"pr_{uuid.uuid4().hex[:16]}")


def consult(*, alliance_id: str, requester: str, responder: str, day: date) -> rf.ConsultRequested:
    return rf.ConsultRequested(**_consult(alliance_id=alliance_id, requester=requester, responder=responder),  # type: ignore
                               occurred_at=at_shanghai(day), business_date=day)


def recognized(*, alliance_id: str, requester: str, responder: str, day: date) -> rf.ConsultResultRecognized:
    return rf.ConsultResultRecognized(
        **_consult(alliance_id=alliance_id, requester=requester, responder=responder),  # type: ignore[arg-type]
        recognizing_institution_id=requester, recognized_by="doc-y", occurred_at=at_shanghai(day), business_date=day)
