import pytest

from libs.kit.errors import InvalidInput
from services.registry.domain.alliance import MemberRole, Roster, parse_member_role
from tests.services.registry.builders import entry


class TestRoster:
    def test_exactly_one_lead(self) -> None:
        lead = entry(role=MemberRole.LEAD)
        roster = Roster.create([lead, entry(role=MemberRole.VICE_CHAIR), entry()])
        assert roster.lead == lead
        assert len(roster.with_role(MemberRole.VICE_CHAIR)) == 1

    @pytest.mark.parametrize("leads", [0, 2])
    def test_other_lead_counts_refused(self, leads: int) -> None:
        with pytest.raises(InvalidInput, match="主席（牵头）单位"):
            Roster.create([entry(role=MemberRole.LEAD) for _ in range(leads)] + [entry()])

    def test_duplicate_unit_refused(self) -> None:
        same = entry()
        with pytest.raises(InvalidInput, match="单位重复"):
            Roster.create([entry(role=MemberRole.LEAD), same, same])


class TestParseRole:
    @pytest.mark.parametrize(("text", "role"), [("主席单位", MemberRole.LEAD), ("牵头单位", MemberRole.LEAD),
                                                ("副主席单位", MemberRole.VICE_CHAIR), ("成员单位", MemberRole.MEMBER)])
    def test_chinese(self, text: str, role: MemberRole) -> None:
        assert parse_member_role(text) is role

    def test_labels(self) -> None:
        assert [r.label for r in MemberRole] == ["主席单位", "副主席单位", "成员单位"]

    def test_unknown(self) -> None:
        with pytest.raises(InvalidInput, match="可选"):
            parse_member_role("理事单位")
