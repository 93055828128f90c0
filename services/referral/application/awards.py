"""Domain award facts (``domain/awards.py``) → stored facts + ``award.due`` / ``award.revoked`` events.

The referral service never computes points; it names the rule and variant of the Hunan club scheme
(R02a–R02d, R05) and a flat ``facts`` map the points service's direct routes match on.
"""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncSession

from libs.events.registry import EventData
from libs.events.schemas.referral import AwardDue, AwardRevoked
from libs.kit.clock import business_date
from services.referral.domain.awards import AwardFact, FactKind
from services.referral.persistence import awards as repo

log = logging.getLogger("referral.awards")

SUBJECT = {
    FactKind.REFERRAL_COMPLETED: "referral", FactKind.REFERRAL_REVERSED: "referral",
    FactKind.SLOT_BOOKED: "booking", FactKind.SLOT_BOOKING_CANCELLED: "booking",
    FactKind.CONSULT_REQUESTED: "consult", FactKind.CONSULT_CANCELLED: "consult",
}
# The fact kinds of the points scheme's [[direct]] routes (services/points schemes: hunan-peds-club-2024.toml).
POINTS_KIND = {FactKind.REFERRAL_COMPLETED: "referral_completed", FactKind.SLOT_BOOKED: "reserved_slot_booked",
               FactKind.CONSULT_REQUESTED: "remote_consult_completed"}
_SERVICE = {"consult": "consult", "pharmacist": "pharmacist_consult", "ecg": "ecg", "imaging": "imaging"}
_R05_VARIANT = {"consult": "consult", "pharmacist": "consult", "ecg": "remote_ecg", "imaging": "remote_imaging"}
_BENEFICIARY_UNIT = {"R02a": "booking_institution_id", "R02b": "referring_institution_id",
                     "R02c": "receiving_institution_id", "R02d": "referring_institution_id",
                     "R05": "requester_institution_id"}


def rule_of(fact: AwardFact) -> tuple[str, str]:
    """(rule code, variant) exactly as the scheme file names them."""
    hint = fact.rule_hint or ""
    if hint.startswith("R05"):
        return "R05", _R05_VARIANT[fact.details["consult_kind"]]
    variant = {"R02a": "booking", "R02c": "receive", "R02d": "inpatient"}.get(hint)
    return hint, variant or fact.details["setting"]  # R02b: outpatient | inpatient


def points_facts(fact: AwardFact) -> dict[str, str]:
    facts = {**fact.details, "kind": POINTS_KIND[fact.kind]}
    if "consult_kind" in fact.details:
        facts["service"] = _SERVICE[fact.details["consult_kind"]]
        facts["requesting_doctor_id"] = fact.details["requester_doctor_id"]
    return facts


async def record(session: AsyncSession, fact: AwardFact) -> list[tuple[EventData, str]]:
    """Store the fact and return its event; a reversal revokes the subject's open award (if any)."""
    if fact.is_reversal:
        return await _revoke(session, fact)
    rule_code, variant = rule_of(fact)
    subject_type = SUBJECT[fact.kind]
    day = business_date(fact.occurred_at)
    await repo.add(session, fact_id=fact.fact_id, subject_type=subject_type, subject_id=fact.subject_id,
                   kind=fact.kind.value, rule_code=rule_code, variant=variant, alliance_id=fact.alliance_id,
                   beneficiary_doctor_id=fact.beneficiary_doctor_id, occurred_at=fact.occurred_at,
                   business_date=day, is_reversal=False)
    return [(AwardDue(
        fact_id=fact.fact_id, subject_type=subject_type, subject_id=fact.subject_id,  # type: ignore[arg-type]
        rule_code=rule_code, variant=variant, rule_hint=fact.rule_hint or rule_code,  # type: ignore[arg-type]
        beneficiary_doctor_id=fact.beneficiary_doctor_id,
        beneficiary_institution_id=fact.details.get(_BENEFICIARY_UNIT[rule_code]),
        alliance_id=fact.alliance_id, patient_ref=fact.details["patient_ref"], occurred_at=fact.occurred_at,
        business_date=day, facts=points_facts(fact)), fact.subject_id)]


async def _revoke(session: AsyncSession, fact: AwardFact) -> list[tuple[EventData, str]]:
    subject_type = SUBJECT[fact.kind]
    opened = await repo.open_award(session, subject_type, fact.subject_id)
    if opened is None:  # nothing was paid (e.g. a booking cancelled before its award was stored): nothing to undo
        log.warning("reversal without an open award", extra={"fact_id": fact.fact_id})
        return []
    day = business_date(fact.occurred_at)
    await repo.add(session, fact_id=fact.fact_id, subject_type=subject_type, subject_id=fact.subject_id,
                   kind=fact.kind.value, rule_code=opened["rule_code"], variant=opened["variant"],
                   alliance_id=fact.alliance_id, beneficiary_doctor_id=opened["beneficiary_doctor_id"],
                   occurred_at=fact.occurred_at, business_date=day, is_reversal=True,
                   revokes_fact_id=opened["fact_id"])
    return [(AwardRevoked(
        fact_id=fact.fact_id, revokes_fact_id=opened["fact_id"], reason=fact.kind.value,  # type: ignore[arg-type]
        subject_type=subject_type, subject_id=fact.subject_id, rule_code=opened["rule_code"],  # type: ignore[arg-type]
        variant=opened["variant"], beneficiary_doctor_id=opened["beneficiary_doctor_id"],
        alliance_id=fact.alliance_id, occurred_at=fact.occurred_at, business_date=day), fact.subject_id)]
