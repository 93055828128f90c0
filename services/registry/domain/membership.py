"""成员单位 joining and leaving an alliance (理事会建立成员单位加入和退出机制, 第十条).

A membership covers [joined_on, left_on): ``left_on`` is the first day the unit is no longer a member.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date

from libs.kit.errors import Conflict, InvalidInput
from services.registry.domain.alliance.roster import MemberRole
from services.registry.domain.contact import Contact
from services.registry.domain.dates import require_date


@dataclass(frozen=True, slots=True)
class Membership:
    alliance_id: str
    institution_id: str
    role: MemberRole
    joined_on: date
    head: Contact | None = None  # 专科负责人
    left_on: date | None = None

    def is_active_on(self, day: date) -> bool:
        return self.joined_on <= day and (self.left_on is None or day < self.left_on)

    def overlaps(self, start: date, end: date | None) -> bool:
        """Does [start, end) meet this membership's period?"""
        mine_end = self.left_on or date.max
        other_end = end or date.max
        return start < mine_end and self.joined_on < other_end


def join(existing: Iterable[Membership], *, alliance_id: str, institution_id: str, role: MemberRole,
         joined_on: date, head: Contact | None = None) -> Membership:
    """A unit joins; refused while it is (or will be) already a member, and a second 主席单位 is refused."""
    require_date(joined_on, field="joined_on", label="加入日期")
    same_alliance = [m for m in existing if m.alliance_id == alliance_id]
    for m in same_alliance:
        if m.institution_id == institution_id and m.overlaps(joined_on, None):
            raise Conflict("该单位在此期间已是本联盟成员单位", field="institution_id")
        if role is MemberRole.LEAD and m.role is MemberRole.LEAD and m.overlaps(joined_on, None):
            raise Conflict("联盟已有主席（牵头）单位，不能再加入主席单位", field="role")
    return Membership(alliance_id, institution_id, role, joined_on, head)


def leave(membership: Membership, *, left_on: date) -> Membership:
    """A unit leaves; the date may not precede joining. The 主席单位 cannot simply leave."""
    require_date(left_on, field="left_on", label="退出日期")
    if membership.left_on is not None:
        raise Conflict(f"该单位已于{membership.left_on.isoformat()}退出", field="left_on")
    if left_on < membership.joined_on:
        raise InvalidInput(f"退出日期不能早于加入日期{membership.joined_on.isoformat()}", field="left_on")
    if membership.role is MemberRole.LEAD:
        raise Conflict("主席（牵头）单位不能退出；须先经理事会变更牵头单位", field="role")
    return replace(membership, left_on=left_on)


def active_members(memberships: Iterable[Membership], *, alliance_id: str, on: date) -> list[Membership]:
    return [m for m in memberships if m.alliance_id == alliance_id and m.is_active_on(on)]
