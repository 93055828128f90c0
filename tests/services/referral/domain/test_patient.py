"""PIPL minimum data: pseudonyms are keyed, identifiers encrypted, display masked (row 28)."""

from __future__ import annotations

import base64
import hashlib
from datetime import date

import pytest

from libs.kit.errors import InvalidInput
from services.referral.domain.crypto import key_id, needs_rotation, token_key_id
from services.referral.domain.patient import (
    FieldDecryptionError,
    Sex,
    decrypt,
    encrypt,
    ensure_pseudonym,
    is_pseudonym,
    mask_id_number,
    mask_name,
    mask_phone,
    new_patient_record,
    pseudonym,
    seal,
    unseal,
)

from .builders import FIELD_KEY, PSEUDONYM_KEY

ADULT_ID = "430102199001011238"  # 1990-01-01, male (valid check digit)
CHILD_ID_X = "43010220150601109X"  # 2015-06-01, male, check letter X
TODAY = date(2024, 6, 1)
KEY_A, KEY_B = b"a" * 32, b"b" * 32


class TestPseudonym:
    def test_stable_for_one_key(self) -> None:
        assert pseudonym(KEY_A, ADULT_ID) == pseudonym(KEY_A, ADULT_ID)
        assert is_pseudonym(pseudonym(KEY_A, ADULT_ID))

    def test_different_key_different_pseudonym(self) -> None:
        assert pseudonym(KEY_A, ADULT_ID) != pseudonym(KEY_B, ADULT_ID)

    def test_not_a_plain_hash(self) -> None:
        ref = pseudonym(KEY_A, ADULT_ID)
        digest = hashlib.sha256(ADULT_ID.encode()).digest()
        for plain in (digest.hex(), base64.urlsafe_b64encode(digest).rstrip(b"=").decode()):
            assert plain not in ref

    @pytest.mark.parametrize("variant", [" 43010220150601109x ", "43010220150601109X", "4301 0220 1506 0110 9x"])
    def test_normalised(self, variant: str) -> None:
        assert pseudonym(KEY_A, variant) == pseudonym(KEY_A, CHILD_ID_X)

    def test_phone_prefix_normalised(self) -> None:
        assert pseudonym(KEY_A, "+86 138-1234-5678") == pseudonym(KEY_A, "13812345678")

    def test_short_key_refused(self) -> None:
        with pytest.raises(ValueError):
            pseudonym(b"short", ADULT_ID)

    def test_plaintext_is_not_a_pseudonym(self) -> None:
        with pytest.raises(InvalidInput):
            ensure_pseudonym(ADULT_ID)


class TestEncryption:
    def test_round_trip(self) -> None:
        token = encrypt(KEY_A, "张三丰", b"patient:r1:name")
        assert token.startswith(f"v1.{key_id(KEY_A)}.")
        assert "张三丰" not in token
        assert decrypt(KEY_A, token, b"patient:r1:name") == "张三丰"

    def test_fresh_nonce_each_time(self) -> None:
        assert encrypt(KEY_A, "张三", "aad") != encrypt(KEY_A, "张三", "aad")

    def test_tampered_ciphertext_detected(self) -> None:
        token = encrypt(KEY_A, "张三", "aad")
        head, blob = token.rsplit(".", 1)
        raw = bytearray(base64.urlsafe_b64decode(blob + "=" * (-len(blob) % 4)))
        raw[-1] ^= 0x01
        forged = head + "." + base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode()
        with pytest.raises(FieldDecryptionError):
            decrypt(KEY_A, forged, "aad")

    def test_wrong_aad_detected(self) -> None:
        token = encrypt(KEY_A, "张三", "patient:r1:name")
        with pytest.raises(FieldDecryptionError):
            decrypt(KEY_A, token, "patient:r2:name")  # swapped between records

    def test_wrong_key_refused(self) -> None:
        with pytest.raises(FieldDecryptionError):
            decrypt(KEY_B, encrypt(KEY_A, "张三", "aad"), "aad")

    @pytest.mark.parametrize("token", ["", "v2.x.y", "v1.abc", "v1.abc.!!!", "v1.abc.AAAA"])
    def test_malformed_token(self, token: str) -> None:
        with pytest.raises(FieldDecryptionError):
            decrypt(KEY_A, token, "aad")

    def test_rotation(self) -> None:
        old = encrypt(KEY_A, "张三", "aad")
        assert needs_rotation(old, KEY_B)
        assert decrypt([KEY_B, KEY_A], old, "aad") == "张三"
        new = encrypt(KEY_B, decrypt([KEY_B, KEY_A], old, "aad"), "aad")
        assert token_key_id(new) == key_id(KEY_B) and not needs_rotation(new, KEY_B)

    def test_key_must_be_32_bytes(self) -> None:
        with pytest.raises(ValueError):
            encrypt(b"k" * 16, "x", "aad")


class TestRecord:
    def test_adult_with_id(self) -> None:
        record = new_patient_record(name=" 张三丰 ", sex=Sex.MALE, birth_date=date(1990, 1, 1),
                                    id_number=ADULT_ID, today=TODAY)
        assert record.name == "张三丰"
        assert "张三丰" not in repr(record) and ADULT_ID not in repr(record)

    def test_child_with_guardian_contact_only(self) -> None:
        record = new_patient_record(name="李小明", sex="male", birth_date=date(2020, 2, 2),
                                    guardian_contact="138 1234 5678", today=TODAY)
        assert record.guardian_contact == "13812345678"

    def test_x_is_upper_cased(self) -> None:
        record = new_patient_record(name="王五", sex=Sex.MALE, birth_date=date(2015, 6, 1),
                                    id_number="43010220150601109x", today=TODAY)
        assert record.id_number == CHILD_ID_X

    def test_adult_guardian_contact_not_collected(self) -> None:
        with pytest.raises(InvalidInput, match="监护人"):
            new_patient_record(name="张三", sex=Sex.MALE, birth_date=date(1990, 1, 1), id_number=ADULT_ID,
                               guardian_contact="13812345678", today=TODAY)

    def test_needs_an_identifier(self) -> None:
        with pytest.raises(InvalidInput):
            new_patient_record(name="张三", sex=Sex.MALE, birth_date=date(2020, 1, 1), today=TODAY)

    @pytest.mark.parametrize("bad", ["430102199001011239", "43010219900101123", "ABCDEFGHIJKLMNOPQR"])
    def test_bad_id_number(self, bad: str) -> None:
        with pytest.raises(InvalidInput, match="身份证"):
            new_patient_record(name="张三", sex=Sex.MALE, birth_date=date(1990, 1, 1), id_number=bad, today=TODAY)

    def test_id_must_match_birth_date_and_sex(self) -> None:
        with pytest.raises(InvalidInput, match="出生日期"):
            new_patient_record(name="张三", sex=Sex.MALE, birth_date=date(1990, 1, 2), id_number=ADULT_ID,
                               today=TODAY)
        with pytest.raises(InvalidInput, match="性别"):
            new_patient_record(name="张三", sex=Sex.FEMALE, birth_date=date(1990, 1, 1), id_number=ADULT_ID,
                               today=TODAY)

    def test_future_birth_date(self) -> None:
        with pytest.raises(InvalidInput):
            new_patient_record(name="张三", sex=Sex.MALE, birth_date=date(2030, 1, 1),
                               guardian_contact="13812345678", today=TODAY)


class TestSeal:
    def test_seal_and_unseal(self) -> None:
        record = new_patient_record(name="李小明", sex=Sex.MALE, birth_date=date(2015, 6, 1),
                                    id_number=CHILD_ID_X, guardian_contact="13812345678", today=TODAY)
        sealed = seal(record, field_key=FIELD_KEY, pseudonym_key=PSEUDONYM_KEY)
        stored = repr(sealed)
        for secret in ("李小明", CHILD_ID_X, "13812345678"):
            assert secret not in stored
        assert sealed.patient_ref == pseudonym(PSEUDONYM_KEY, CHILD_ID_X)
        assert unseal(sealed, FIELD_KEY) == record

    def test_siblings_sharing_a_guardian_phone_stay_distinct(self) -> None:
        a = new_patient_record(name="李大宝", sex=Sex.MALE, birth_date=date(2019, 1, 1),
                               guardian_contact="13812345678", today=TODAY)
        b = new_patient_record(name="李二宝", sex=Sex.FEMALE, birth_date=date(2021, 1, 1),
                               guardian_contact="13812345678", today=TODAY)
        refs = {seal(r, field_key=FIELD_KEY, pseudonym_key=PSEUDONYM_KEY).patient_ref for r in (a, b)}
        assert len(refs) == 2

    def test_fields_cannot_be_swapped(self) -> None:
        record = new_patient_record(name="张三", sex=Sex.MALE, birth_date=date(1990, 1, 1), id_number=ADULT_ID,
                                    today=TODAY)
        sealed = seal(record, field_key=FIELD_KEY, pseudonym_key=PSEUDONYM_KEY)
        swapped = type(sealed)(**{**sealed.__dict__, "name_ct": sealed.id_number_ct})
        with pytest.raises(FieldDecryptionError):
            unseal(swapped, FIELD_KEY)


class TestMasking:
    @pytest.mark.parametrize(("name", "masked"),
                             [("张三丰", "张**"), ("张三", "张*"), ("欧阳娜娜", "欧***"), ("张", "*")])
    def test_name(self, name: str, masked: str) -> None:
        assert mask_name(name) == masked

    def test_id_number(self) -> None:
        assert mask_id_number("430102199001011234") == "4301**********1234"

    def test_phone(self) -> None:
        assert mask_phone("13812345678") == "138****5678"
