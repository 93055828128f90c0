"""专科联盟: naming rule, one-per-level rule, filing authority, roster (联盟单位) and specialty figures."""

from services.registry.domain.alliance.authority import FilingAuthority, filing_authority
from services.registry.domain.alliance.figures import SpecialtyFigures
from services.registry.domain.alliance.model import Alliance, ServiceArea
from services.registry.domain.alliance.naming import check_name, expected_name
from services.registry.domain.alliance.roster import MemberRole, Roster, RosterEntry, parse_member_role
from services.registry.domain.alliance.uniqueness import ExistingAlliance, ensure_one_per_level

__all__ = [
    "Alliance", "ExistingAlliance", "FilingAuthority", "MemberRole", "Roster", "RosterEntry", "ServiceArea",
    "SpecialtyFigures", "check_name", "ensure_one_per_level", "expected_name", "filing_authority",
    "parse_member_role",
]
