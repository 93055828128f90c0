"""Directory replica from the registry's events (ConsumerSpec source "registry").

Each handler updates the local replica in the inbox transaction, then re-processes the quarantined webhooks
that were waiting for what it touched (``doctor:<id>``, ``institution:<id>``, ``alliance:<id>``), in the same
transaction: the directory catching up is what releases them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession

from libs.events.consumer import ConsumerSpec
from libs.events.registry import Event
from libs.events.schemas import registry as reg
from libs.kit.runtime import ServiceRuntime
from services.referral.context import Ctx
from services.referral.persistence import directory
from services.referral.webhooks import intake

Apply = Callable[[AsyncSession, object], Awaitable[list[str]]]


async def _institution(session: AsyncSession, data: object) -> list[str]:
    assert isinstance(data, reg.InstitutionRegistered | reg.InstitutionUpdated)
    await directory.upsert_institution(session, data.institution_id, data.name, data.region_code)
    return [f"institution:{data.institution_id}"]


async def _alliance_status(session: AsyncSession, data: object) -> list[str]:
    assert isinstance(data, reg.AllianceStatusChanged)
    await directory.upsert_alliance(session, data.alliance_id, name=data.name, region_code=data.region_code,
                                    status=data.to_status, operating=data.operating)
    return [f"alliance:{data.alliance_id}"]


async def _alliance_renamed(session: AsyncSession, data: object) -> list[str]:
    assert isinstance(data, reg.AllianceRenamed)
    await directory.update_alliance(session, data.alliance_id, name=data.new_name)
    return []


async def _alliance_ended(session: AsyncSession, data: object) -> list[str]:
    """Merged or dissolved: no activity may be attributed to it any more."""
    assert isinstance(data, reg.AllianceMerged | reg.AllianceDissolved)
    status = "merged" if isinstance(data, reg.AllianceMerged) else "dissolved"
    await directory.update_alliance(session, data.alliance_id, status=status, operating=False)
    return []


async def _member_joined(session: AsyncSession, data: object) -> list[str]:
    assert isinstance(data, reg.MemberJoined)
    await directory.set_membership(session, data.alliance_id, data.institution_id, role=data.role, active=True,
                                   effective_date=data.effective_date)
    return [f"alliance:{data.alliance_id}", f"institution:{data.institution_id}"]


async def _member_left(session: AsyncSession, data: object) -> list[str]:
    assert isinstance(data, reg.MemberLeft)
    await directory.set_membership(session, data.alliance_id, data.institution_id, role=None, active=False,
                                   effective_date=data.effective_date)
    return []


async def _doctor_registered(session: AsyncSession, data: object) -> list[str]:
    assert isinstance(data, reg.DoctorRegistered)
    await directory.set_doctor(session, data.doctor_id, institution_id=data.institution_id,
                               display_name=data.display_name, effective_date=data.effective_date)
    return [f"doctor:{data.doctor_id}"]


async def _doctor_moved(session: AsyncSession, data: object) -> list[str]:
    assert isinstance(data, reg.DoctorMoved)
    await directory.set_doctor(session, data.doctor_id, institution_id=data.to_institution_id, display_name=None,
                               effective_date=data.effective_date)
    return [f"doctor:{data.doctor_id}"]


APPLIERS: dict[str, Apply] = {
    "alliance.registry.institution.registered": _institution,
    "alliance.registry.institution.updated": _institution,
    "alliance.registry.alliance.status_changed": _alliance_status,
    "alliance.registry.alliance.renamed": _alliance_renamed,
    "alliance.registry.alliance.merged": _alliance_ended,
    "alliance.registry.alliance.dissolved": _alliance_ended,
    "alliance.registry.member.joined": _member_joined,
    "alliance.registry.member.left": _member_left,
    "alliance.registry.doctor.registered": _doctor_registered,
    "alliance.registry.doctor.moved": _doctor_moved,
}


def registry_consumer(runtime: ServiceRuntime) -> ConsumerSpec:
    """The consumer spec; handlers read the runtime lazily (keys and clock exist once the app is built)."""

    def handler(apply: Apply) -> Callable[[AsyncSession, Event], Awaitable[None]]:
        async def handle(session: AsyncSession, event: Event) -> None:
            refs = await apply(session, event.data)
            if refs:
                await intake.reprocess_waiting(session, Ctx.of(runtime), refs)

        return handle

    return ConsumerSpec(source="registry", handlers={kind: handler(apply) for kind, apply in APPLIERS.items()})
