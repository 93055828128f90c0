"""Registry events → the directory replica, and 职务 appointments → R03b awards.

R03b (担任社会团体职务): one award per appointment (reading: once per appointment), the source being
``registry:position:<position_id>`` so a redelivery or a re-published event never awards twice.
The registry's titles map to the scheme's variants: vice_chair → 副主委, standing → 常委, member → 委员.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from libs.events.consumer import ConsumerSpec
from libs.events.registry import Event
from libs.events.schemas import registry as r
from services.points.application.awards import award_from_fact
from services.points.persistence import directory
from services.points.runtime import PointsRuntime

from .common import NotYet, parking, start_of

POSITION_VARIANTS = {"vice_chair": "vice_chair", "standing": "standing_member", "member": "member"}


async def _institution(session: AsyncSession, event: Event) -> None:
    data = event.data
    assert isinstance(data, (r.InstitutionRegistered, r.InstitutionUpdated))
    await directory.upsert_institution(session, data.institution_id, data.name, data.region_code)


async def _alliance_status(session: AsyncSession, event: Event) -> None:
    data = event.data
    assert isinstance(data, r.AllianceStatusChanged)
    await directory.upsert_alliance(session, data.alliance_id, name=data.name, region_code=data.region_code,
                                    status=data.to_status, operating=data.operating)


async def _renamed(session: AsyncSession, event: Event) -> None:
    data = event.data
    assert isinstance(data, r.AllianceRenamed)
    if not await directory.update_alliance(session, data.alliance_id, name=data.new_name):
        raise NotYet(f"alliance {data.alliance_id} not known yet")


async def _merged(session: AsyncSession, event: Event) -> None:
    data = event.data
    assert isinstance(data, r.AllianceMerged)
    await directory.update_alliance(session, data.alliance_id, operating=False, status="merged",
                                    merged_into=data.into_alliance_id)


async def _dissolved(session: AsyncSession, event: Event) -> None:
    data = event.data
    assert isinstance(data, r.AllianceDissolved)
    await directory.update_alliance(session, data.alliance_id, operating=False, status="dissolved")


async def _joined(session: AsyncSession, event: Event) -> None:
    data = event.data
    assert isinstance(data, r.MemberJoined)
    await directory.join(session, data.alliance_id, data.institution_id, data.role, data.effective_date)


async def _left(session: AsyncSession, event: Event) -> None:
    data = event.data
    assert isinstance(data, r.MemberLeft)
    await directory.leave(session, data.alliance_id, data.institution_id, data.effective_date)


async def _doctor_registered(session: AsyncSession, event: Event) -> None:
    data = event.data
    assert isinstance(data, r.DoctorRegistered)
    await directory.register_doctor(session, data.doctor_id, data.institution_id, data.display_name,
                                    data.effective_date)


async def _doctor_moved(session: AsyncSession, event: Event) -> None:
    data = event.data
    assert isinstance(data, r.DoctorMoved)
    if not await directory.move_doctor(session, data.doctor_id, data.to_institution_id, data.effective_date):
        raise NotYet(f"doctor {data.doctor_id} not registered yet")


def _position_assigned(runtime: PointsRuntime):  # type: ignore[no-untyped-def]
    async def handle(session: AsyncSession, event: Event) -> None:
        data = event.data
        assert isinstance(data, r.PositionAssigned)
        await directory.add_position(session, position_id=data.position_id, doctor_id=data.doctor_id,
                                     alliance_id=data.alliance_id, society=data.society, title=data.title,
                                     start_date=data.start_date)
        fact = {"kind": "position_appointed", "position": POSITION_VARIANTS[data.title], "doctor_id": data.doctor_id,
                "appointment_id": data.position_id}
        await award_from_fact(session, runtime, alliance_id=data.alliance_id, fact=fact,
                              occurred_at=start_of(data.start_date),
                              source_event_id=f"registry:position:{data.position_id}", memo=data.society[:200])

    return handle


async def _position_ended(session: AsyncSession, event: Event) -> None:
    data = event.data
    assert isinstance(data, r.PositionEnded)
    await directory.end_position(session, data.position_id, data.end_date)


def registry_spec(runtime: PointsRuntime) -> ConsumerSpec:
    return ConsumerSpec(source="registry", handlers={
        "alliance.registry.institution.registered": _institution,
        "alliance.registry.institution.updated": _institution,
        "alliance.registry.alliance.status_changed": _alliance_status,
        "alliance.registry.alliance.renamed": _renamed,
        "alliance.registry.alliance.merged": _merged,
        "alliance.registry.alliance.dissolved": _dissolved,
        "alliance.registry.member.joined": _joined,
        "alliance.registry.member.left": _left,
        "alliance.registry.doctor.registered": _doctor_registered,
        "alliance.registry.doctor.moved": _doctor_moved,
        "alliance.registry.position.assigned": parking(_position_assigned(runtime)),
        "alliance.registry.position.ended": _position_ended,
    })
