import pytest

from libs.kit.errors import InvalidInput
from services.registry.domain.alliance import Alliance, ServiceArea
from services.registry.domain.codes.regions import Level
from tests.services.registry.builders import contact, random_id, roster


def create(**overrides: object) -> Alliance:
    values: dict[str, object] = {
        "alliance_id": random_id("alliance"), "name": "湖南省儿科专科联盟", "region_code": "430000",
        "specialty_code": "07", "service_area": ServiceArea(True), "chair": contact(name="主席"),
        "secretary": contact(name="秘书", email="office@example.org"), "roster": roster("430103", "430202"),
    }
    values.update(overrides)
    return Alliance.create(**values)  # type: ignore[arg-type]


class TestCreate:
    def test_province_alliance(self) -> None:
        alliance = create()
        assert alliance.authority.level is Level.PROVINCE
        assert alliance.service_area.label == "全省"

    def test_bad_name_refused(self) -> None:
        with pytest.raises(InvalidInput, match="湖南省儿科专科联盟"):
            create(name="湖南儿科医联体")

    def test_whole_province_service_area_needs_province_filing(self) -> None:
        with pytest.raises(InvalidInput, match="全省"):
            create(name="长沙市儿科专科联盟", region_code="430100", roster=roster("430102", "430121"))

    def test_other_service_area_needs_description(self) -> None:
        with pytest.raises(InvalidInput, match="具体区域"):
            create(service_area=ServiceArea(False))
