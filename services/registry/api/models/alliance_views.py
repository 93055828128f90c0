"""专科联盟 response bodies (Chinese labels next to every code)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel

from services.registry.api.models.common import ContactOut
from services.registry.domain.alliance import MemberRole
from services.registry.domain.codes.regions import Level, find_region
from services.registry.domain.codes.specialties import find_specialty
from services.registry.domain.filing import FilingAction
from services.registry.domain.status import FilingStatus, is_operating


class ServiceAreaOut(BaseModel):
    whole_province: bool
    description: str | None
    label: str


class AuthorityOut(BaseModel):
    region_code: str
    level: str
    level_label: str
    name: str
    basis: str


class FiguresOut(BaseModel):
    year: int
    outpatient_visits: int | None = None
    discharges: int | None = None
    operations: int | None = None
    cmi: str | None = None
    minimally_invasive_pct: str | None = None
    day_surgery_pct: str | None = None
    grade4_surgery_pct: str | None = None
    low_risk_mortality_pct: str | None = None
    out_of_area_pct: str | None = None
    mean_stay_days: str | None = None


class MemberOut(BaseModel):
    institution_id: str
    institution_name: str
    role: str
    role_label: str
    head: ContactOut | None
    joined_on: date
    left_on: date | None

    @classmethod
    def from_row(cls, row: Mapping[Any, Any]) -> MemberOut:
        role = MemberRole(row["role"])
        return cls(institution_id=row["institution_id"], institution_name=row["institution_name"], role=role.value,
                   role_label=role.label, head=ContactOut(**row["head"]) if row["head"] else None,
                   joined_on=row["joined_on"], left_on=row["left_on"])


class SeatOut(BaseModel):
    role: str
    institution_id: str
    name: str
    phone: str
    email: str | None = None


class TermOut(BaseModel):
    number: int
    starts_on: date
    ends_on: date
    seats: list[SeatOut]

    @classmethod
    def from_row(cls, row: Mapping[Any, Any]) -> TermOut:
        return cls(number=row["number"], starts_on=row["starts_on"], ends_on=row["ends_on"],
                   seats=[SeatOut(**s) for s in row["seats"]])


class FlagOut(BaseModel):
    years: list[int]
    flagged_at: datetime


class AllianceOut(BaseModel):
    id: str
    name: str
    region_code: str
    region_name: str
    specialty_code: str
    specialty_name: str
    service_area: ServiceAreaOut
    chair: ContactOut
    secretary: ContactOut
    lead_institution_id: str
    authority: AuthorityOut
    status: str
    status_label: str
    operating: bool
    founded_on: date | None
    merged_into_id: str | None
    specialty_summary: str
    figures: FiguresOut
    members: list[MemberOut] = []
    current_term: TermOut | None = None
    dissolution_flag: FlagOut | None = None
    version: int
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_row(cls, row: Mapping[Any, Any], *, members: Sequence[Mapping[Any, Any]] = (),
                 term: Mapping[Any, Any] | None = None, flag: Mapping[Any, Any] | None = None) -> AllianceOut:
        region, subject = find_region(row["region_code"]), find_specialty(row["specialty_code"])
        status, whole = FilingStatus(row["status"]), row["service_area_whole_province"]
        description = row["service_area_description"]
        return cls(
            id=row["id"], name=row["name"], region_code=row["region_code"],
            region_name=region.full_name if region else row["region_code"], specialty_code=row["specialty_code"],
            specialty_name=subject.name if subject else row["specialty_code"],
            service_area=ServiceAreaOut(whole_province=whole, description=description,
                                        label="全省" if whole else f"其他：{description or ''}"),
            chair=ContactOut(**row["chair"]), secretary=ContactOut(**row["secretary"]),
            lead_institution_id=row["lead_institution_id"],
            authority=AuthorityOut(region_code=row["authority_region_code"], level=row["authority_level"],
                                   level_label=Level(row["authority_level"]).label, name=row["authority_name"],
                                   basis=row["authority_basis"]),
            status=status.value, status_label=status.label, operating=is_operating(status),
            founded_on=row["founded_on"], merged_into_id=row["merged_into_id"],
            specialty_summary=row["specialty_summary"], figures=FiguresOut(**row["figures"]),
            members=[MemberOut.from_row(m) for m in members], current_term=TermOut.from_row(term) if term else None,
            dissolution_flag=FlagOut(years=flag["years"], flagged_at=flag["flagged_at"]) if flag else None,
            version=row["version"], created_at=row["created_at"], updated_at=row["updated_at"])


class AlliancePage(BaseModel):
    items: list[AllianceOut]
    limit: int
    next_cursor: str | None = None


class TransitionOut(BaseModel):
    action: str
    action_label: str
    from_status: str | None
    to_status: str
    actor: str
    actor_role: str
    at: datetime
    business_date: date
    reason: str | None
    details: dict[str, Any]

    @classmethod
    def from_row(cls, row: Mapping[Any, Any]) -> TransitionOut:
        action = row["action"]
        return cls(action=action, action_label=_action_label(action), from_status=row["from_status"],
                   to_status=row["to_status"], actor=row["actor"], actor_role=row["actor_role"], at=row["at"],
                   business_date=row["business_date"], reason=row["reason"], details=row["details"])


def _action_label(action: str) -> str:
    try:
        return FilingAction(action).label
    except ValueError:  # "create": the draft itself, not a step of the domain's state machine
        return "起草备案表"


class DocumentOut(BaseModel):
    id: str
    kind: str
    filename: str
    content_type: str
    size_bytes: int
    sha256: str
    uploaded_by: str
    uploaded_at: datetime


class ExpiringTermOut(BaseModel):
    alliance_id: str
    alliance_name: str
    term_number: int
    starts_on: date
    ends_on: date
    days_left: int
    overdue: bool
