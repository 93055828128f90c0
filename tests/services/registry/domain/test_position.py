from datetime import date

import pytest

from libs.kit.errors import Conflict, InvalidInput
from services.registry.domain.position import PositionTitle, appoint, end_position, positions_on

SOCIETY = "湖南省医院协会儿科管理专业委员会"


class TestAppoint:
    def test_titles(self) -> None:
        p = appoint([], doctor_id="d", society=SOCIETY, title="副主委", starts_on=date(2024, 4, 11))
        assert p.title is PositionTitle.VICE_CHAIR
        assert [t.label for t in PositionTitle] == ["副主委", "常委", "委员"]

    def test_overlap_in_same_society_refused(self) -> None:
        p = appoint([], doctor_id="d", society=SOCIETY, title="委员", starts_on=date(2020, 1, 1))
        with pytest.raises(Conflict, match="不能重叠"):
            appoint([p], doctor_id="d", society=SOCIETY, title="常委", starts_on=date(2024, 1, 1))

    def test_promotion_after_ending_previous(self) -> None:
        p = end_position(appoint([], doctor_id="d", society=SOCIETY, title="委员", starts_on=date(2020, 1, 1)),
                         ends_on=date(2024, 4, 11))
        q = appoint([p], doctor_id="d", society=SOCIETY, title="常委", starts_on=date(2024, 4, 11))
        assert positions_on([p, q], date(2024, 4, 11)) == [q]

    def test_end_before_start_refused(self) -> None:
        with pytest.raises(InvalidInput, match="不能早于"):
            appoint([], doctor_id="d", society=SOCIETY, title="委员", starts_on=date(2024, 1, 1),
                    ends_on=date(2023, 1, 1))

    def test_unknown_title(self) -> None:
        with pytest.raises(InvalidInput, match="副主委、常委、委员"):
            appoint([], doctor_id="d", society=SOCIETY, title="会长", starts_on=date(2024, 1, 1))
