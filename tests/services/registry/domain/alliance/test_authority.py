import pytest

from libs.kit.errors import InvalidInput
from services.registry.domain.alliance import filing_authority
from services.registry.domain.codes.regions import Level


class TestFilingAuthority:
    def test_name_with_province_goes_to_province(self) -> None:
        got = filing_authority(name="湖南省儿科专科联盟", region_code="430000",
                               member_region_codes=["430103", "430102"])
        assert (got.region_code, got.level, got.name) == ("430000", Level.PROVINCE, "湖南省卫生健康委员会")
        assert "湖南省" in got.basis

    def test_members_spanning_cities_go_to_province(self) -> None:
        got = filing_authority(name="长沙市儿科专科联盟", region_code="430100",
                               member_region_codes=["430102", "430202"])
        assert (got.region_code, got.level) == ("430000", Level.PROVINCE)
        assert "跨市州" in got.basis

    def test_changsha_cross_county_goes_to_city(self) -> None:
        got = filing_authority(name="长沙市儿科专科联盟", region_code="430100",
                               member_region_codes=["430102", "430121", "430181"])
        assert (got.region_code, got.level, got.name) == ("430100", Level.CITY, "长沙市卫生健康委员会")
        assert "跨县域" in got.basis

    def test_county_alliance_spanning_counties_goes_to_city(self) -> None:
        got = filing_authority(name="望城区儿科专科联盟", region_code="430112",
                               member_region_codes=["430112", "430121"])
        assert (got.region_code, got.level) == ("430100", Level.CITY)

    def test_haikou_neurosurgery_goes_to_city(self) -> None:
        got = filing_authority(name="海口市神经外科专科联盟", region_code="460100",
                               member_region_codes=["460106", "460107", "460108", "460105"])
        assert (got.region_code, got.level, got.name) == ("460100", Level.CITY, "海口市卫生健康委员会")

    def test_county_alone_stays_county(self) -> None:
        got = filing_authority(name="蓟州区儿科专科联盟", region_code="120119", member_region_codes=["120119"])
        assert (got.region_code, got.level, got.name) == ("120119", Level.COUNTY, "天津市蓟州区卫生健康委员会")

    def test_municipality_districts_go_to_municipality(self) -> None:
        got = filing_authority(name="蓟州区儿科专科联盟", region_code="120119",
                               member_region_codes=["120119", "120101"])
        assert (got.region_code, got.level) == ("120000", Level.PROVINCE)

    def test_members_in_two_provinces_refused(self) -> None:
        with pytest.raises(InvalidInput, match="跨省") as exc:
            filing_authority(name="湖南省儿科专科联盟", region_code="430000", member_region_codes=["460106"])
        assert exc.value.field == "members"
