"""Patient record (个人信息最小化): name, sex, birth date, and a resident ID number or, for a minor
without one, a guardian's contact. Sealed for storage: identifiers encrypted, ``patient_ref`` pseudonym.

Events and facts carry only ``patient_ref``. Display uses the masks (张** / 4301**********1234).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from libs.kit.errors import InvalidInput
from services.referral.domain import _checks
from services.referral.domain.crypto import (  # noqa: F401  (re-exported API)
    FieldDecryptionError,
    decrypt,
    encrypt,
    is_pseudonym,
    needs_rotation,
    normalize_identifier,
    pseudonym,
)

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE = re.compile(r"^0\d{9,11}$")
ADULT_AGE = 18


class Sex(StrEnum):
    """GB/T 2261.1 in spirit: male, female, unknown."""

    MALE = "male"
    FEMALE = "female"
    UNKNOWN = "unknown"


@dataclass(frozen=True, repr=False)
class PatientRecord:
    """Plaintext, in memory only. ``repr`` is masked so it cannot leak into a log."""

    name: str
    sex: Sex
    birth_date: date
    id_number: str | None = None
    guardian_contact: str | None = None

    def __repr__(self) -> str:
        return f"PatientRecord(name={mask_name(self.name)!r}, sex={self.sex.value})"


@dataclass(frozen=True)
class SealedPatient:
    """What is stored: pseudonym, sex, birth date, and encrypted identifiers."""

    patient_ref: str
    sex: Sex
    birth_date: date
    name_ct: str
    id_number_ct: str | None
    guardian_contact_ct: str | None


def new_patient_record(*, name: str, sex: Sex | str, birth_date: date, today: date,
                       id_number: str | None = None, guardian_contact: str | None = None) -> PatientRecord:
    """Validate the minimum: an ID number, or a guardian contact for a minor (only where needed)."""
    if birth_date > today:
        raise InvalidInput("出生日期不能晚于今天", field="birth_date")
    record = PatientRecord(
        name=_checks.text(name, "name", label="姓名", max_len=50),
        sex=Sex(sex),
        birth_date=birth_date,
        id_number=normalize_id_number(id_number) if id_number else None,
        guardian_contact=normalize_contact(guardian_contact) if guardian_contact else None,
    )
    _check_minimum(record, today)
    _check_id_matches(record)
    return record


def _check_minimum(record: PatientRecord, today: date) -> None:
    if not record.id_number and not record.guardian_contact:
        raise InvalidInput("需提供居民身份证号码或监护人联系方式", field="id_number")
    if record.guardian_contact and _age(record.birth_date, today) >= ADULT_AGE:
        raise InvalidInput("成年患者不收集监护人联系方式", field="guardian_contact")


def _check_id_matches(record: PatientRecord) -> None:
    if not record.id_number:
        return
    if record.id_number[6:14] != record.birth_date.strftime("%Y%m%d"):
        raise InvalidInput("身份证号码中的出生日期与出生日期不一致", field="id_number")
    sex = Sex.MALE if int(record.id_number[16]) % 2 else Sex.FEMALE
    if record.sex is not Sex.UNKNOWN and record.sex is not sex:
        raise InvalidInput("身份证号码中的性别与性别不一致", field="id_number")


def normalize_id_number(raw: str) -> str:
    """An 18-digit resident ID number (GB 11643), check digit verified; 'x' becomes 'X'."""
    value = normalize_identifier(raw)
    if not re.match(r"^\d{17}[\dX]$", value) or _CHECK[_checksum(value)] != value[17]:
        raise InvalidInput("居民身份证号码无效", field="id_number")
    return value


def _checksum(value: str) -> int:
    return sum(int(d) * w for d, w in zip(value[:17], _WEIGHTS, strict=True)) % 11


def normalize_contact(raw: str) -> str:
    value = normalize_identifier(raw)
    if not (_MOBILE.match(value) or _LANDLINE.match(value)):
        raise InvalidInput("监护人联系电话无效", field="guardian_contact")
    return value


def patient_ref_for(record: PatientRecord, key: bytes) -> str:
    """Pseudonym from the ID number; without one, from guardian contact + birth date + name, so that
    siblings sharing a guardian's phone do not collapse into one patient."""
    if record.id_number:
        return pseudonym(key, record.id_number)
    return pseudonym(key, f"{record.guardian_contact}#{record.birth_date.isoformat()}#{record.name}")


def seal(record: PatientRecord, *, field_key: bytes, pseudonym_key: bytes) -> SealedPatient:
    ref = patient_ref_for(record, pseudonym_key)

    def enc(value: str | None, field: str) -> str | None:
        return None if value is None else encrypt(field_key, value, _aad(ref, field))

    return SealedPatient(
        patient_ref=ref, sex=record.sex, birth_date=record.birth_date,
        name_ct=encrypt(field_key, record.name, _aad(ref, "name")),
        id_number_ct=enc(record.id_number, "id_number"),
        guardian_contact_ct=enc(record.guardian_contact, "guardian_contact"),
    )


def unseal(sealed: SealedPatient, field_keys: bytes | Sequence[bytes]) -> PatientRecord:
    def dec(token: str | None, field: str) -> str | None:
        return None if token is None else decrypt(field_keys, token, _aad(sealed.patient_ref, field))

    return PatientRecord(
        name=decrypt(field_keys, sealed.name_ct, _aad(sealed.patient_ref, "name")),
        sex=sealed.sex, birth_date=sealed.birth_date,
        id_number=dec(sealed.id_number_ct, "id_number"),
        guardian_contact=dec(sealed.guardian_contact_ct, "guardian_contact"),
    )


def ensure_pseudonym(value: str) -> str:
    """Refuse anything that is not a pseudonym where only a pseudonym may go (no plaintext IDs)."""
    if not is_pseudonym(value):
        raise InvalidInput("患者标识必须是假名化编号（patient_ref），不能是身份证号或姓名", field="patient_ref")
    return value


def mask_name(name: str) -> str:
    """张三丰 → 张**; a one-character name is fully masked."""
    return "*" if len(name) <= 1 else name[0] + "*" * (len(name) - 1)


def mask_id_number(id_number: str) -> str:
    """430102199001011234 → 4301**********1234."""
    if len(id_number) <= 8:
        return "*" * len(id_number)
    return id_number[:4] + "*" * (len(id_number) - 8) + id_number[-4:]


def mask_phone(phone: str) -> str:
    """13812345678 → 138****5678."""
    if len(phone) < 8:
        return "*" * len(phone)
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]


def _aad(ref: str, field: str) -> str:
    return f"patient:{ref}:{field}"


def _age(birth: date, today: date) -> int:
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))
