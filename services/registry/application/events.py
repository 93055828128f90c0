"""Payloads of the directory events, built from stored rows (the contracts live in libs/events/schemas/registry.py).

Subjects name the aggregate (``alliance/<id>``, ``institution/<id>``, ``doctor/<id>``) so a consumer can order
per object. No identity number is ever published: doctors carry a display name only.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from libs.events.schemas.registry import (
    AllianceStatusChanged,
    InstitutionRegistered,
    InstitutionUpdated,
    MemberJoined,
    MemberLeft,
)
from services.registry.application.context import Publisher
from services.registry.domain.status import is_operating

Row = Mapping[Any, Any]


def institution_subject(institution_id: str) -> str:
    return f"institution/{institution_id}"


def alliance_subject(alliance_id: str) -> str:
    return f"alliance/{alliance_id}"


def doctor_subject(doctor_id: str) -> str:
    return f"doctor/{doctor_id}"


def institution_registered(row: Row) -> InstitutionRegistered:
    return InstitutionRegistered(institution_id=row["id"], name=row["name"], region_code=row["region_code"],
                                 grade=row["grade"], nature=row["nature"])


def institution_updated(row: Row) -> InstitutionUpdated:
    return InstitutionUpdated(institution_id=row["id"], name=row["name"], region_code=row["region_code"],
                              grade=row["grade"], nature=row["nature"])


def status_changed(alliance: Row, *, action: str, from_status: str | None, actor: str,
                   reason: str | None = None) -> AllianceStatusChanged:
    """``operating`` is False unless the alliance is filed and opened (挂牌): not filed, merged or dissolved ⇒ False."""
    return AllianceStatusChanged(
        alliance_id=alliance["id"], name=alliance["name"], region_code=alliance["region_code"],
        specialty_code=alliance["specialty_code"], level=alliance["authority_level"], from_status=from_status,
        to_status=alliance["status"], operating=is_operating(alliance["status"]), reason=reason, actor=actor,
        founded_on=alliance["founded_on"], action=action, authority_region_code=alliance["authority_region_code"],
    )


async def publish_joined(pub: Publisher, alliance_id: str, institution_id: str, role: str, on: date) -> None:
    await pub.publish(MemberJoined(alliance_id=alliance_id, institution_id=institution_id, role=role,  # type: ignore[arg-type]
                                   effective_date=on), subject=alliance_subject(alliance_id))


async def publish_left(pub: Publisher, alliance_id: str, institution_id: str, on: date) -> None:
    await pub.publish(MemberLeft(alliance_id=alliance_id, institution_id=institution_id, effective_date=on),
                      subject=alliance_subject(alliance_id))
