from datetime import date

import pytest

from libs.kit.errors import Conflict, InvalidInput
from services.registry.domain.alliance import MemberRole
from services.registry.domain.membership import active_members, join, leave
from tests.services.registry.builders import random_id


class TestJoin:
    def test_join_then_active(self) -> None:
        m = join([], alliance_id="a", institution_id="i", role=MemberRole.MEMBER, joined_on=date(2025, 1, 1))
        assert m.is_active_on(date(2025, 1, 1))
        assert not m.is_active_on(date(2024, 12, 31))

    def test_already_member_refused(self) -> None:
        m = join([], alliance_id="a", institution_id="i", role=MemberRole.MEMBER, joined_on=date(2025, 1, 1))
        with pytest.raises(Conflict, match="已是本联盟成员单位"):
            join([m], alliance_id="a", institution_id="i", role=MemberRole.MEMBER, joined_on=date(2025, 6, 1))

    def test_rejoin_after_leaving(self) -> None:
        m = leave(join([], alliance_id="a", institution_id="i", role=MemberRole.MEMBER, joined_on=date(2024, 1, 1)),
                  left_on=date(2024, 6, 1))
        again = join([m], alliance_id="a", institution_id="i", role=MemberRole.MEMBER, joined_on=date(2025, 1, 1))
        assert again.joined_on == date(2025, 1, 1)

    def test_second_lead_refused(self) -> None:
        lead = join([], alliance_id="a", institution_id=random_id(), role=MemberRole.LEAD, joined_on=date(2025, 1, 1))
        with pytest.raises(Conflict, match="主席"):
            join([lead], alliance_id="a", institution_id=random_id(), role=MemberRole.LEAD,
                 joined_on=date(2025, 2, 1))


class TestLeave:
    def test_leave_on_or_after_join(self) -> None:
        m = join([], alliance_id="a", institution_id="i", role=MemberRole.MEMBER, joined_on=date(2025, 1, 1))
        assert leave(m, left_on=date(2025, 1, 1)).left_on == date(2025, 1, 1)

    def test_leave_before_join_refused(self) -> None:
        m = join([], alliance_id="a", institution_id="i", role=MemberRole.MEMBER, joined_on=date(2025, 1, 1))
        with pytest.raises(InvalidInput, match="不能早于加入日期"):
            leave(m, left_on=date(2024, 12, 31))

    def test_leave_twice_refused(self) -> None:
        m = join([], alliance_id="a", institution_id="i", role=MemberRole.MEMBER, joined_on=date(2025, 1, 1))
        with pytest.raises(Conflict, match="已于"):
            leave(leave(m, left_on=date(2025, 2, 1)), left_on=date(2025, 3, 1))

    def test_lead_cannot_leave(self) -> None:
        m = join([], alliance_id="a", institution_id="i", role=MemberRole.LEAD, joined_on=date(2025, 1, 1))
        with pytest.raises(Conflict, match="牵头"):
            leave(m, left_on=date(2025, 2, 1))

    def test_active_members(self) -> None:
        a = join([], alliance_id="a", institution_id="x", role=MemberRole.MEMBER, joined_on=date(2025, 1, 1))
        b = leave(join([], alliance_id="a", institution_id="y", role=MemberRole.MEMBER, joined_on=date(2025, 1, 1)),
                  left_on=date(2025, 2, 1))
        assert active_members([a, b], alliance_id="a", on=date(2025, 3, 1)) == [a]
