"""Events the registry publishes (机构、联盟、备案、成员单位、医师、职务) — the directory other services replicate.

Dates are business dates (Asia/Shanghai). Doctors are staff, not patients: a display name is carried for
leaderboards; no ID numbers are ever published.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from libs.events.registry import EventData, event_type

MemberRole = Literal["lead", "vice_chair", "member"]  # 主席单位 / 副主席单位 / 成员单位
PositionTitle = Literal["vice_chair", "standing", "member"]  # 副主委 / 常委 / 委员


@event_type("alliance.registry.institution.registered")
class InstitutionRegistered(EventData):
    institution_id: str
    name: str
    region_code: str
    grade: str | None = None
    nature: str | None = None


@event_type("alliance.registry.institution.updated")
class InstitutionUpdated(EventData):
    institution_id: str
    name: str
    region_code: str
    grade: str | None = None
    nature: str | None = None


@event_type("alliance.registry.alliance.status_changed")
class AllianceStatusChanged(EventData):
    """Every filing transition (备案生命周期). ``operating`` says whether activity may be attributed to it."""

    alliance_id: str
    name: str
    region_code: str
    specialty_code: str
    level: Literal["province", "city", "county"]
    from_status: str | None
    to_status: str
    operating: bool
    reason: str | None = None
    actor: str
    founded_on: date | None = None
    # Added with defaults (older readers and events stay valid): which 备案 step it was (submit, approve, renew,
    # rename…; "create" for a new draft) and the filing authority's region.
    action: str | None = None
    authority_region_code: str | None = None


@event_type("alliance.registry.alliance.renamed")
class AllianceRenamed(EventData):
    alliance_id: str
    old_name: str
    new_name: str


@event_type("alliance.registry.alliance.merged")
class AllianceMerged(EventData):
    alliance_id: str
    into_alliance_id: str


@event_type("alliance.registry.alliance.dissolved")
class AllianceDissolved(EventData):
    alliance_id: str
    reason: str


@event_type("alliance.registry.member.joined")
class MemberJoined(EventData):
    alliance_id: str
    institution_id: str
    role: MemberRole
    effective_date: date
    sharing_area: str | None = None


@event_type("alliance.registry.member.left")
class MemberLeft(EventData):
    alliance_id: str
    institution_id: str
    effective_date: date


@event_type("alliance.registry.doctor.registered")
class DoctorRegistered(EventData):
    doctor_id: str
    institution_id: str
    display_name: str
    effective_date: date


@event_type("alliance.registry.doctor.moved")
class DoctorMoved(EventData):
    doctor_id: str
    from_institution_id: str
    to_institution_id: str
    effective_date: date


@event_type("alliance.registry.position.assigned")
class PositionAssigned(EventData):
    """担任牵头单位社会团体职务 — feeds points rule R03b."""

    position_id: str
    doctor_id: str
    alliance_id: str
    society: str
    title: PositionTitle
    start_date: date


@event_type("alliance.registry.position.ended")
class PositionEnded(EventData):
    position_id: str
    doctor_id: str
    end_date: date


@event_type("alliance.registry.alliance.flagged_for_dissolution")
class AllianceFlaggedForDissolution(EventData):
    """Recorded by the registry when evaluation reports two consecutive failing years."""

    alliance_id: str
    years: list[int]
