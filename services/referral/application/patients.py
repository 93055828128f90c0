"""Patients: validate the minimum, seal it (encrypted identifiers + keyed-HMAC pseudonym), reveal it only to
the two institutions of a referral. Nothing here logs or returns plaintext outside ``reveal``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from libs.kit.errors import AppError
from services.referral.context import Ctx
from services.referral.domain.patient import (
    PatientRecord,
    SealedPatient,
    new_patient_record,
    patient_ref_for,
    seal,
    unseal,
)
from services.referral.persistence import patients as repo


@dataclass(frozen=True, repr=False)
class PatientInput:
    """Plaintext as received; ``repr`` hides it so it cannot reach a log."""

    name: str
    sex: str
    birth_date: date
    id_number: str | None = None
    guardian_contact: str | None = None

    def __repr__(self) -> str:
        return "PatientInput(<redacted>)"


def validate(ctx: Ctx, data: PatientInput, *, field_prefix: str = "body.patient") -> PatientRecord:
    try:
        return new_patient_record(name=data.name, sex=data.sex, birth_date=data.birth_date, today=ctx.today(),
                                  id_number=data.id_number, guardian_contact=data.guardian_contact)
    except AppError as exc:
        raise _prefixed(exc, field_prefix) from None


def sealed(ctx: Ctx, record: PatientRecord) -> SealedPatient:
    return seal(record, field_key=ctx.keys.field_key, pseudonym_key=ctx.keys.pseudonym)


async def register(session: AsyncSession, ctx: Ctx, data: PatientInput, *, field_prefix: str = "body.patient") -> str:
    """Store the sealed patient (first record wins) and return its ``patient_ref``."""
    record = sealed(ctx, validate(ctx, data, field_prefix=field_prefix))
    await repo.store(session, record)
    return record.patient_ref


def pseudonym_of(ctx: Ctx, data: PatientInput) -> str:
    return patient_ref_for(validate(ctx, data), ctx.keys.pseudonym)


async def reveal(session: AsyncSession, ctx: Ctx, patient_ref: str | None) -> PatientRecord | None:
    if not patient_ref:
        return None
    stored = await repo.load(session, patient_ref)
    return None if stored is None else unseal(stored, ctx.keys.field_keys)


def _prefixed(exc: AppError, prefix: str) -> AppError:
    field = f"{prefix}.{exc.field}" if exc.field else prefix
    return type(exc)(exc.detail, field=field, **exc.extra)
