"""Sealed patient records (个人信息最小化): pseudonym, sex, birth date and encrypted identifiers only."""

from __future__ import annotations

from sqlalchemy import bindparam, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.referral.domain.patient import SealedPatient, Sex
from services.referral.persistence.tables import patients

_COLUMNS = ("patient_ref", "sex", "birth_date", "name_ct", "id_number_ct", "guardian_contact_ct")
_STORE = insert(patients).values({c: bindparam(c) for c in _COLUMNS}).on_conflict_do_nothing(
    index_elements=["patient_ref"])


async def store(session: AsyncSession, sealed: SealedPatient) -> None:
    """Keep the first record of a patient: the pseudonym is stable, the identifiers do not change."""
    await session.execute(_STORE, {
        "patient_ref": sealed.patient_ref, "sex": sealed.sex.value, "birth_date": sealed.birth_date,
        "name_ct": sealed.name_ct, "id_number_ct": sealed.id_number_ct,
        "guardian_contact_ct": sealed.guardian_contact_ct})


async def load(session: AsyncSession, patient_ref: str) -> SealedPatient | None:
    row = (await session.execute(select(patients).where(patients.c.patient_ref == patient_ref))).mappings().first()
    if row is None:
        return None
    return SealedPatient(patient_ref=row["patient_ref"], sex=Sex(row["sex"]), birth_date=row["birth_date"],
                         name_ct=row["name_ct"], id_number_ct=row["id_number_ct"],
                         guardian_contact_ct=row["guardian_contact_ct"])
