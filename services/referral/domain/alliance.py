"""What the referral service knows of an alliance (专科联盟): a replica kept from registry events.

Only filed, operating alliances may carry activity (湖南省专科联盟管理办法 第七条: 未经备案不得擅自开展活动).
"""

from __future__ import annotations

from dataclasses import dataclass

from libs.kit.errors import Conflict, Forbidden


@dataclass(frozen=True)
class Actor:
    """Who does something: a user (doctor, liaison, office) and the institution they act for."""

    user_id: str
    institution_id: str


@dataclass(frozen=True)
class AllianceView:
    """Lead (牵头/主席) unit and member units (副主席单位 and 成员单位), excluding the lead."""

    alliance_id: str
    lead_institution_id: str
    member_institution_ids: frozenset[str]
    operating: bool = True

    def ensure_operating(self) -> None:
        if not self.operating:
            raise Conflict("该专科联盟未备案或已解散，不能开展活动", field="alliance_id")

    def is_member(self, institution_id: str) -> bool:
        return institution_id in self.member_institution_ids

    def ensure_member(self, institution_id: str, *, field: str) -> None:
        if not self.is_member(institution_id):
            raise Forbidden("该机构不是本联盟的成员单位", field=field)
