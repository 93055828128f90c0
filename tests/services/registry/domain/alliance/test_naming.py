import pytest

from libs.kit.errors import InvalidInput
from services.registry.domain.alliance import check_name, expected_name


class TestCheckName:
    @pytest.mark.parametrize(
        ("name", "region_code", "specialty_code"),
        [
            ("湖南省儿科专科联盟", "430000", "07"),
            ("海口市神经外科专科联盟", "460100", "04.02"),
            ("海南省海口市神经外科专科联盟", "460100", "04.02"),
            ("长沙市新生儿专科联盟", "430100", "07.01"),
            ("湖南省肿瘤专科联盟", "430000", "19"),
            ("长沙市望城区儿科专科联盟", "430112", "07"),
            (" 湖南省 儿科专科联盟 ", "430000", "07"),
        ],
    )
    def test_accepted(self, name: str, region_code: str, specialty_code: str) -> None:
        assert check_name(name, region_code=region_code, specialty_code=specialty_code) == name.replace(" ", "")

    @pytest.mark.parametrize(
        ("name", "region_code", "specialty_code", "expected"),
        [
            ("湖南儿科医联体", "430000", "07", "湖南省儿科专科联盟"),  # the club's own name (seed 000)
            ("长沙市儿科专科联盟", "430000", "07", "湖南省儿科专科联盟"),  # wrong region
            ("海口市骨科专科联盟", "460100", "04.02", "海口市神经外科专科联盟"),  # wrong specialty
            ("神经外大专科联盟", "460100", "04.02", "海口市神经外科专科联盟"),  # Haikou 2021 pilot wording
            ("蓟州区儿科联盟", "120119", "07", "蓟州区儿科专科联盟"),  # Jizhou 2019 wording
        ],
    )
    def test_refused_with_expected_form(self, name: str, region_code: str, specialty_code: str,
                                        expected: str) -> None:
        with pytest.raises(InvalidInput) as exc:
            check_name(name, region_code=region_code, specialty_code=specialty_code)
        assert exc.value.field == "name"
        assert f"应为「{expected}」" in exc.value.detail
        assert exc.value.extra["expected"] == expected

    def test_placeholder_region_refused(self) -> None:
        with pytest.raises(InvalidInput, match="不是行政区划名称"):
            check_name("市辖区儿科专科联盟", region_code="110100", specialty_code="07")

    def test_historic_region_refused(self) -> None:
        with pytest.raises(InvalidInput, match="撤销"):
            check_name("望城县儿科专科联盟", region_code="430122", specialty_code="07")


class TestExpectedName:
    def test_examples(self) -> None:
        assert expected_name("430000", "07") == "湖南省儿科专科联盟"
        assert expected_name("460100", "神经外科专业") == "海口市神经外科专科联盟"
