"""第七条: 同一专业领域和专业方向原则上只设定一个本级专科联盟 — one alliance per specialty per filing authority."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from libs.kit.errors import Conflict
from services.registry.domain.alliance.authority import FilingAuthority
from services.registry.domain.codes.specialties import specialty
from services.registry.domain.status import HOLDS_SLOT, FilingStatus


@dataclass(frozen=True, slots=True)
class ExistingAlliance:
    """What the rule needs to know about another alliance."""

    alliance_id: str
    name: str
    specialty_code: str
    authority_code: str
    status: FilingStatus


def ensure_one_per_level(*, alliance_id: str | None, specialty_code: str, authority: FilingAuthority,
                         existing: Iterable[ExistingAlliance]) -> None:
    """Refuse (409) when another alliance of the same specialty already holds this authority's slot.

    "本级" is read as the same filing authority (same region, same level): 长沙市 and 株洲市 may each have a
    city-level 儿科 alliance. Alliances in draft, returned, merged or dissolved do not hold the slot.
    """
    for other in existing:
        if _same_slot(other, alliance_id, specialty_code, authority):
            raise Conflict(
                f"{authority.name}备案范围内已有同专业的专科联盟「{other.name}」"
                f"（{other.status.label}），同一专业原则上只设一个本级专科联盟",
                field="specialty_code", existing_alliance_id=other.alliance_id, existing_name=other.name,
            )


def _same_slot(other: ExistingAlliance, alliance_id: str | None, specialty_code: str,
               authority: FilingAuthority) -> bool:
    return (
        other.alliance_id != alliance_id
        and other.specialty_code == specialty(specialty_code).code
        and other.authority_code == authority.region_code
        and FilingStatus(other.status) in HOLDS_SLOT
    )
