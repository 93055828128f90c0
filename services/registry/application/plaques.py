"""标牌 (附件3) for a member unit of an operating alliance: validity from the founding document date (or the
current council term after 换届) for four years."""

from __future__ import annotations

from libs.kit.errors import NotFound
from services.registry.application import alliances
from services.registry.application.context import Ctx
from services.registry.domain.status import FilingStatus
from services.registry.persistence import council as council_repo
from services.registry.persistence import members as members_repo
from services.registry.plaque.content import PlaqueContent, plaque_content


async def content(ctx: Ctx, alliance_id: str, institution_id: str) -> PlaqueContent:
    alliance = await alliances.get(ctx, alliance_id)
    rows = await members_repo.of_institution(ctx.session, alliance_id, institution_id)
    if not rows:
        raise NotFound("该单位不是本联盟的成员单位", field="institution_id")
    memberships = [members_repo.membership_from_row(r) for r in rows]
    membership = next((m for m in memberships if m.is_active_on(ctx.today)), memberships[-1])
    term = await council_repo.latest(ctx.session, alliance_id)
    # Before 挂牌 there is no founding date; any date lets the domain refuse on the status, which is the reason.
    valid_from = term["starts_on"] if term else (alliance["founded_on"] or ctx.today)
    return plaque_content(hospital_name=rows[-1]["institution_name"], alliance_name=alliance["name"],
                          status=FilingStatus(alliance["status"]), membership=membership, founded_on=valid_from,
                          on=ctx.today)
