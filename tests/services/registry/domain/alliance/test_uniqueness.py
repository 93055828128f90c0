import pytest

from libs.kit.errors import Conflict
from services.registry.domain.alliance import ExistingAlliance, ensure_one_per_level, filing_authority
from services.registry.domain.status import FilingStatus
from tests.services.registry.builders import random_id

PROVINCE = filing_authority(name="湖南省儿科专科联盟", region_code="430000", member_region_codes=["430102"])
CHANGSHA = filing_authority(name="长沙市儿科专科联盟", region_code="430100", member_region_codes=["430102"])
ZHUZHOU = filing_authority(name="株洲市儿科专科联盟", region_code="430200", member_region_codes=["430202"])


def existing(*, name: str = "湖南省儿科专科联盟", specialty_code: str = "07", authority_code: str = "430000",
             status: FilingStatus = FilingStatus.OPERATING) -> ExistingAlliance:
    return ExistingAlliance(random_id("alliance"), name, specialty_code, authority_code, status)


class TestOnePerLevel:
    def test_second_alliance_refused_naming_the_existing_one(self) -> None:
        other = existing()
        with pytest.raises(Conflict) as exc:
            ensure_one_per_level(alliance_id=random_id(), specialty_code="07", authority=PROVINCE, existing=[other])
        assert "湖南省儿科专科联盟" in exc.value.detail
        assert exc.value.status == 409
        assert exc.value.extra["existing_alliance_id"] == other.alliance_id

    def test_same_specialty_other_city_allowed(self) -> None:
        ensure_one_per_level(alliance_id=random_id(), specialty_code="07", authority=ZHUZHOU,
                             existing=[existing(name="长沙市儿科专科联盟", authority_code=CHANGSHA.region_code)])

    def test_other_specialty_allowed(self) -> None:
        ensure_one_per_level(alliance_id=random_id(), specialty_code="07.01", authority=PROVINCE,
                             existing=[existing()])

    @pytest.mark.parametrize("status", [FilingStatus.DRAFT, FilingStatus.RETURNED, FilingStatus.DISSOLVED,
                                        FilingStatus.MERGED])
    def test_drafts_and_ended_do_not_hold_the_slot(self, status: FilingStatus) -> None:
        ensure_one_per_level(alliance_id=random_id(), specialty_code="07", authority=PROVINCE,
                             existing=[existing(status=status)])

    def test_itself_is_ignored(self) -> None:
        me = existing()
        ensure_one_per_level(alliance_id=me.alliance_id, specialty_code="07", authority=PROVINCE, existing=[me])

    def test_specialty_given_by_name(self) -> None:
        with pytest.raises(Conflict):
            ensure_one_per_level(alliance_id=None, specialty_code="儿科", authority=PROVINCE, existing=[existing()])
