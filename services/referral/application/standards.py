"""Referral standards (转诊标准 / 指征 / 流程 / 绿色通道 documents) per alliance, versioned.

A platform referral must name an indication of the standard in force on its business date; an alliance that
has not adopted one yet uses the default indications of 第十四条 (急危重症 / 疑难复杂 up, 病情稳定 down).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from libs.auth.principal import Principal, Role
from libs.events.schemas.referral import ReferralStandardPublished, StandardDocument
from libs.kit.errors import Conflict, NotFound
from services.referral.context import Ctx
from services.referral.domain.standards import Indication, ProcessDocument, ReferralStandard, new_standard
from services.referral.persistence import directory
from services.referral.persistence import standards as repo

DEFAULT_VERSION = "default"


async def in_force(session: AsyncSession, alliance_id: str, on: date) -> ReferralStandard:
    found = await repo.in_force(session, alliance_id, on)
    return found or new_standard(alliance_id=alliance_id, version=DEFAULT_VERSION, effective_from=date.min)


async def adopt(session: AsyncSession, ctx: Ctx, principal: Principal, alliance_id: str, *, version: str,
                effective_from: date, indications: Iterable[Indication],
                documents: Iterable[ProcessDocument]) -> ReferralStandard:
    """制订转诊标准: the alliance office adopts a new version (versions are immutable)."""
    principal.require(Role.ALLIANCE_OFFICE)
    if principal.alliance_id != alliance_id or await directory.alliance_view(session, alliance_id) is None:
        raise NotFound("专科联盟不存在", field="alliance_id")
    standard = new_standard(alliance_id=alliance_id, version=version, effective_from=effective_from,
                            indications=indications, documents=documents)
    if not await repo.add(session, standard, principal.sub):
        raise Conflict(f"转诊标准版本 {standard.version} 已存在", field="body.version")
    await ctx.publish(session, [(ReferralStandardPublished(
        alliance_id=alliance_id, version=standard.version, effective_from=standard.effective_from,
        indication_codes=[i.code for i in standard.indications],
        documents=[StandardDocument(kind=d.kind.value, implemented=d.implemented) for d in standard.documents],
        occurred_at=ctx.now()), alliance_id)])
    return standard


async def versions(session: AsyncSession, alliance_id: str) -> list[ReferralStandard]:
    return await repo.all_of(session, alliance_id)
