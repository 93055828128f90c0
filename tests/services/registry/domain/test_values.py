from decimal import Decimal

import pytest

from libs.kit.errors import InvalidInput
from services.registry.domain.contact import Contact, parse_phone
from services.registry.domain.values import parse_count, parse_decimal


class TestParseCount:
    @pytest.mark.parametrize(("raw", "value"), [(12, 12), ("1,200", 1200), (" 7 ", 7), (Decimal("3"), 3)])
    def test_accepted(self, raw: object, value: int) -> None:
        assert parse_count(raw, field="f", label="数") == value

    @pytest.mark.parametrize("raw", [-1, "1.5", True, None, "", "abc", "NaN"])
    def test_refused(self, raw: object) -> None:
        with pytest.raises(InvalidInput):
            parse_count(raw, field="f", label="数")


class TestParseDecimal:
    def test_percent_sign_and_float(self) -> None:
        assert parse_decimal("12.5%", field="f", label="占比", minimum=Decimal(0), maximum=Decimal(100)) == \
            Decimal("12.5")
        assert parse_decimal(0.1, field="f", label="x", minimum=Decimal(0), maximum=Decimal(1)) == Decimal("0.1")

    def test_exclusive_minimum(self) -> None:
        with pytest.raises(InvalidInput, match="大于0"):
            parse_decimal("0", field="f", label="CMI", minimum=Decimal(0), maximum=Decimal(10), min_exclusive=True)

    def test_too_many_places(self) -> None:
        with pytest.raises(InvalidInput, match="2位小数"):
            parse_decimal("1.234", field="f", label="x", minimum=Decimal(0), maximum=Decimal(10))


class TestContact:
    @pytest.mark.parametrize("phone", ["13800138000", "0731-85356855", "85600965", "+86 138 0013 8000"])
    def test_phones(self, phone: str) -> None:
        assert parse_phone(phone)

    def test_bad_phone_and_email_reported_together(self) -> None:
        with pytest.raises(InvalidInput) as exc:
            Contact.create(name="李秘书", phone="12345", email="not-an-email", field="secretary")
        assert {e["field"] for e in exc.value.errors} == {"secretary.phone", "secretary.email"}
