import pytest

from libs.kit.errors import InvalidInput
from services.registry.domain.codes.regions import (
    Level,
    common_ancestor,
    find_region,
    is_valid_region,
    is_within,
    region,
    regions_version,
)


class TestLookup:
    def test_province(self) -> None:
        found = region("430000")
        assert (found.name, found.level, found.full_name) == ("湖南省", Level.PROVINCE, "湖南省")
        assert found.parent_codes == ()

    def test_city_has_full_name_and_parent(self) -> None:
        found = region("430100")
        assert found.level is Level.CITY
        assert found.full_name == "湖南省长沙市"
        assert found.parent_codes == ("430000",)

    def test_county(self) -> None:
        found = region("460106")
        assert found.full_name == "海南省海口市龙华区"
        assert found.parent_codes == ("460000", "460100")
        assert found.current

    def test_historic_code_is_kept_and_marked(self) -> None:
        found = region("430122")  # 望城县, became 望城区 430112 in 2011
        assert found.name == "望城县"
        assert not found.current
        assert found.valid_to == 2011
        assert found.parent_codes == ("430000", "430100")

    def test_renamed_code_uses_current_name_and_keeps_history(self) -> None:
        found = region("430102")
        assert found.name == "芙蓉区"
        assert "东区" in found.history

    def test_municipality_district_skips_placeholder_in_full_name(self) -> None:
        assert region("120119").full_name == "天津市蓟州区"
        assert region("120100").is_placeholder

    def test_unknown_code_refused_with_field(self) -> None:
        with pytest.raises(InvalidInput) as exc:
            region("439999")
        assert exc.value.field == "region_code"
        assert "不存在" in exc.value.detail

    def test_malformed_code_refused(self) -> None:
        with pytest.raises(InvalidInput, match="6位数字"):
            region("43-01")

    def test_historic_code_refused_when_current_required(self) -> None:
        with pytest.raises(InvalidInput, match="撤销"):
            region("430122", current_only=True)

    def test_validity(self) -> None:
        assert is_valid_region("430122")
        assert not is_valid_region("430122", current_only=True)
        assert not is_valid_region("000000")
        assert find_region("999999") is None

    def test_version_names_source(self) -> None:
        assert regions_version().startswith("gbt2260-stdnum")


class TestIsWithin:
    def test_county_in_city_and_province(self) -> None:
        assert is_within("430102", "430100")
        assert is_within("430102", "430000")

    def test_self(self) -> None:
        assert is_within("430100", "430100")

    def test_not_in_other_city_or_upwards(self) -> None:
        assert not is_within("430102", "430200")
        assert not is_within("430000", "430100")

    def test_historic_child(self) -> None:
        assert is_within("430122", "430100")

    def test_unknown_is_false(self) -> None:
        assert not is_within("999999", "430000")


class TestCommonAncestor:
    def test_counties_of_one_city(self) -> None:
        assert common_ancestor(["430102", "430121"]).code == "430100"

    def test_counties_of_two_cities(self) -> None:
        assert common_ancestor(["430102", "430202"]).code == "430000"

    def test_municipality_districts_meet_at_municipality_not_placeholder(self) -> None:
        assert common_ancestor(["120119", "120101"]).code == "120000"

    def test_two_provinces_refused(self) -> None:
        with pytest.raises(InvalidInput):
            common_ancestor(["430102", "460106"])
