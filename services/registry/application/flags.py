"""Dissolution flags (第十九条: 连续2年评价结果较差 … 按程序予以解散) reported by the evaluation service.

A flag is a record and an event, not a decision: the filing commission then decides through the lifecycle
(dissolve). An alliance already merged or dissolved is not flagged again.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from sqlalchemy.dialects.postgresql import insert

from libs.events.schemas.registry import AllianceFlaggedForDissolution
from services.registry.application.context import Publisher
from services.registry.application.events import alliance_subject
from services.registry.domain.status import ENDED, FilingStatus
from services.registry.persistence import alliances as repo
from services.registry.persistence.tables import dissolution_flags

log = logging.getLogger("registry.flags")


class UnknownAlliance(LookupError):
    """The evaluation names an alliance the registry does not have: retried, then parked for an operator."""


async def flag(pub: Publisher, *, alliance_id: str, years: Sequence[int], source_event_id: str) -> bool:
    alliance = await repo.get(pub.session, alliance_id, for_update=True)
    if alliance is None:
        raise UnknownAlliance(alliance_id)
    if FilingStatus(alliance["status"]) in ENDED:
        log.info("dissolution recommendation for an ended alliance ignored",
                 extra={"alliance_id": alliance_id, "status": alliance["status"]})
        return False
    clean_years = sorted({int(y) for y in years})
    stored = await pub.session.execute(insert(dissolution_flags).values(
        alliance_id=alliance_id, years=clean_years, source_event_id=source_event_id, flagged_at=pub.now,
        business_date=pub.today).on_conflict_do_nothing(index_elements=["source_event_id"])
        .returning(dissolution_flags.c.id))
    if stored.first() is None:
        return False
    await pub.publish(AllianceFlaggedForDissolution(alliance_id=alliance_id, years=clean_years),
                      subject=alliance_subject(alliance_id))
    return True
