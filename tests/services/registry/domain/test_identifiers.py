import pytest

from libs.kit.errors import InvalidInput
from services.registry.domain.identifiers import (
    mask_resident_id,
    parse_practice_certificate,
    parse_resident_id,
    parse_uscc,
)
from tests.services.registry.builders import make_ric, make_uscc


class TestUscc:
    def test_valid_is_compacted(self) -> None:
        code = make_uscc()
        assert parse_uscc(f" {code[:9]} {code[9:].lower()} ") == code

    def test_published_example(self) -> None:
        assert parse_uscc("91110000600037341L") == "91110000600037341L"

    @pytest.mark.parametrize(
        ("raw", "reason"),
        [
            ("91110000600037341", "应为18位"),
            ("A1110000600037341L", "非法字符"),
            ("91110000600037341O", "非法字符"),
            ("91110000600037341M", "校验位错误"),
            ("", "不能为空"),
        ],
    )
    def test_invalid_names_the_field_in_chinese(self, raw: str, reason: str) -> None:
        with pytest.raises(InvalidInput) as exc:
            parse_uscc(raw, field="lead.uscc")
        assert exc.value.field == "lead.uscc"
        assert "统一社会信用代码" in exc.value.detail
        assert reason in exc.value.detail


class TestResidentId:
    def test_valid(self) -> None:
        number = make_ric()
        assert parse_resident_id(number) == number

    def test_historic_place_valid_at_birth(self) -> None:
        number = make_ric(region_code="430122", birth="19900101")  # 望城县 existed in 1990
        assert parse_resident_id(number) == number

    def test_historic_place_not_valid_at_birth_refused(self) -> None:
        with pytest.raises(InvalidInput, match="出生日期或地址码"):
            parse_resident_id(make_ric(region_code="430122", birth="20150101"))  # 望城县 ended 2011

    def test_bad_check_digit(self) -> None:
        number = make_ric()
        wrong = number[:-1] + ("0" if number[-1] != "0" else "1")
        with pytest.raises(InvalidInput, match="校验位") as exc:
            parse_resident_id(wrong)
        assert exc.value.field == "resident_id"

    def test_bad_length(self) -> None:
        with pytest.raises(InvalidInput, match="18位"):
            parse_resident_id("43010219900101")

    def test_mask(self) -> None:
        assert mask_resident_id("43010219900101123X") == "430102********123X"


class TestPracticeCertificate:
    def test_fifteen_digits(self) -> None:
        assert parse_practice_certificate("110 430122 000123") == "110430122000123"

    @pytest.mark.parametrize("raw", ["11043012200012", "1104301220001234", "11043012200012A"])
    def test_other_forms_refused(self, raw: str) -> None:
        with pytest.raises(InvalidInput, match="15位数字") as exc:
            parse_practice_certificate(raw)
        assert exc.value.field == "practice_cert_no"
