"""What goes on a 标牌 (附件3): 医院名称, 专科联盟名称, 联盟组织分类, 效期 — and when one may be made at all.

效期 starts on the founding document date of the alliance (联盟成立的文件日期, or of the current council
term after 换届) and runs four years.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from libs.kit.errors import Conflict
from services.registry.domain.alliance.roster import MemberRole
from services.registry.domain.council import TERM_YEARS
from services.registry.domain.dates import add_years, format_cn, require_date
from services.registry.domain.membership import Membership
from services.registry.domain.status import FilingStatus, is_operating


@dataclass(frozen=True, slots=True)
class PlaqueContent:
    hospital_name: str
    alliance_name: str
    role: MemberRole
    valid_from: date
    valid_to: date

    @property
    def validity_text(self) -> str:
        return f"有效期：{format_cn(self.valid_from)}至{format_cn(self.valid_to)}"


def plaque_content(*, hospital_name: str, alliance_name: str, status: FilingStatus, membership: Membership,
                   founded_on: date, on: date) -> PlaqueContent:
    """Refuse (409) unless the alliance operates (挂牌) and the unit is a member on ``on``."""
    require_date(founded_on, field="founded_on", label="成立文件日期")
    if not is_operating(status):
        raise Conflict(f"专科联盟当前状态为“{FilingStatus(status).label}”，未挂牌运行，不能制作标牌",
                       field="alliance_id", current_status=FilingStatus(status).value)
    if not membership.is_active_on(on):
        raise Conflict(f"{hospital_name}在{format_cn(on)}不是本联盟的成员单位，不能制作标牌",
                       field="institution_id")
    return PlaqueContent(hospital_name.strip(), alliance_name.strip(), membership.role, founded_on,
                         add_years(founded_on, TERM_YEARS))
