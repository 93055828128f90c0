"""Directory replica from registry events: institutions, alliances (operating flag, region), members, doctors."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from libs.events.consumer import ConsumerSpec, Handler
from libs.events.registry import Event
from libs.events.schemas import registry as r
from services.evaluation.persistence import directory
from services.evaluation.persistence.directory import AllianceRow


async def on_institution(session: AsyncSession, event: Event) -> None:
    data = event.data
    assert isinstance(data, r.InstitutionRegistered | r.InstitutionUpdated)
    await directory.put_institution(session, institution_id=data.institution_id, name=data.name,
                                    region_code=data.region_code, at=event.envelope.time)


async def on_alliance_status(session: AsyncSession, event: Event) -> None:
    data = event.data
    assert isinstance(data, r.AllianceStatusChanged)
    await directory.put_alliance(session, AllianceRow(
        alliance_id=data.alliance_id, name=data.name, region_code=data.region_code, level=data.level,
        specialty_code=data.specialty_code, status=data.to_status, operating=data.operating), at=event.envelope.time)


async def on_alliance_renamed(session: AsyncSession, event: Event) -> None:
    data = event.data
    assert isinstance(data, r.AllianceRenamed)
    await directory.rename_alliance(session, data.alliance_id, data.new_name, at=event.envelope.time)


async def on_alliance_merged(session: AsyncSession, event: Event) -> None:
    data = event.data
    assert isinstance(data, r.AllianceMerged)
    await directory.stop_alliance(session, data.alliance_id, status="merged", at=event.envelope.time)


async def on_alliance_dissolved(session: AsyncSession, event: Event) -> None:
    data = event.data
    assert isinstance(data, r.AllianceDissolved)
    await directory.stop_alliance(session, data.alliance_id, status="dissolved", at=event.envelope.time)


async def on_member_joined(session: AsyncSession, event: Event) -> None:
    data = event.data
    assert isinstance(data, r.MemberJoined)
    await directory.put_membership(session, alliance_id=data.alliance_id, institution_id=data.institution_id,
                                   role=data.role, active=True, effective=data.effective_date)


async def on_member_left(session: AsyncSession, event: Event) -> None:
    data = event.data
    assert isinstance(data, r.MemberLeft)
    await directory.put_membership(session, alliance_id=data.alliance_id, institution_id=data.institution_id,
                                   role=None, active=False, effective=data.effective_date)


async def on_doctor_registered(session: AsyncSession, event: Event) -> None:
    data = event.data
    assert isinstance(data, r.DoctorRegistered)
    await directory.put_doctor(session, doctor_id=data.doctor_id, institution_id=data.institution_id,
                               effective=data.effective_date)


async def on_doctor_moved(session: AsyncSession, event: Event) -> None:
    data = event.data
    assert isinstance(data, r.DoctorMoved)
    await directory.put_doctor(session, doctor_id=data.doctor_id, institution_id=data.to_institution_id,
                               effective=data.effective_date)


HANDLERS: dict[str, Handler] = {
    "alliance.registry.institution.registered": on_institution,
    "alliance.registry.institution.updated": on_institution,
    "alliance.registry.alliance.status_changed": on_alliance_status,
    "alliance.registry.alliance.renamed": on_alliance_renamed,
    "alliance.registry.alliance.merged": on_alliance_merged,
    "alliance.registry.alliance.dissolved": on_alliance_dissolved,
    "alliance.registry.member.joined": on_member_joined,
    "alliance.registry.member.left": on_member_left,
    "alliance.registry.doctor.registered": on_doctor_registered,
    "alliance.registry.doctor.moved": on_doctor_moved,
}


def spec() -> ConsumerSpec:
    return ConsumerSpec(source="registry", handlers=HANDLERS)
