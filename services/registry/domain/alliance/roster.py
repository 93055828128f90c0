"""联盟单位 as listed on the filing form: 主席单位 (牵头单位) / 副主席单位 / 成员单位, each with its
专科负责人 and phone.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from libs.kit.errors import InvalidInput
from services.registry.domain.contact import Contact


class MemberRole(StrEnum):
    """联盟组织分类."""

    LEAD = "lead"
    VICE_CHAIR = "vice_chair"
    MEMBER = "member"

    @property
    def label(self) -> str:
        return {"lead": "主席单位", "vice_chair": "副主席单位", "member": "成员单位"}[self.value]


_ROLE_ALIASES = {"主席单位": MemberRole.LEAD, "牵头单位": MemberRole.LEAD, "主席（牵头）单位": MemberRole.LEAD,
                 "副主席单位": MemberRole.VICE_CHAIR, "成员单位": MemberRole.MEMBER}


def parse_member_role(raw: object, *, field: str = "role") -> MemberRole:
    """``主席单位`` / ``牵头单位`` / ``副主席单位`` / ``成员单位`` or the English value."""
    text = "".join(str(raw or "").split())
    if text in {r.value for r in MemberRole}:
        return MemberRole(text)
    if text in _ROLE_ALIASES:
        return _ROLE_ALIASES[text]
    raise InvalidInput(f"联盟组织分类无效：{text[:20] or '（空）'}；可选：主席单位、副主席单位、成员单位", field=field)


@dataclass(frozen=True, slots=True)
class RosterEntry:
    institution_id: str
    institution_name: str
    region_code: str  # where the unit is (decides 跨县域 / 跨市州)
    role: MemberRole
    head: Contact  # 专科负责人 and phone


@dataclass(frozen=True, slots=True)
class Roster:
    """The member list of an alliance: exactly one 主席单位, no unit twice."""

    entries: tuple[RosterEntry, ...]

    @classmethod
    def create(cls, entries: Iterable[RosterEntry]) -> Roster:
        items = tuple(entries)
        leads = [e for e in items if e.role is MemberRole.LEAD]
        if len(leads) != 1:
            raise InvalidInput(f"联盟须有且只有一个主席（牵头）单位，现有{len(leads)}个", field="members")
        seen: set[str] = set()
        for entry in items:
            if entry.institution_id in seen:
                raise InvalidInput(f"单位重复：{entry.institution_name}", field="members")
            seen.add(entry.institution_id)
        return cls(items)

    @property
    def lead(self) -> RosterEntry:
        return next(e for e in self.entries if e.role is MemberRole.LEAD)

    def with_role(self, role: MemberRole) -> tuple[RosterEntry, ...]:
        return tuple(e for e in self.entries if e.role is role)
