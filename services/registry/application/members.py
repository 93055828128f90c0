"""成员单位加入和退出 (第十条) with effective dates; the 备案 authority follows the roster while the filing
is still a draft, and a change of authority after filing is refused (it would need a new 备案)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from sqlalchemy import RowMapping

from libs.kit.errors import Conflict, InvalidInput, NotFound
from services.registry.application import alliances, scope
from services.registry.application.context import Ctx
from services.registry.application.events import publish_joined, publish_left
from services.registry.domain import membership as domain
from services.registry.domain.alliance import MemberRole, RosterEntry, filing_authority, parse_member_role
from services.registry.domain.contact import Contact
from services.registry.domain.status import ENDED, FilingStatus
from services.registry.domain.validation import ErrorCollector
from services.registry.persistence import alliances as alliances_repo
from services.registry.persistence import institutions as institutions_repo
from services.registry.persistence import members as repo
from services.registry.persistence.alliances import authority_of, authority_values, contact_json


async def _managed(ctx: Ctx, alliance_id: str) -> RowMapping:
    row = await alliances.get(ctx, alliance_id, for_update=True)
    scope.ensure_manages_alliance(ctx.principal, row)
    if FilingStatus(row["status"]) in ENDED:
        raise Conflict(f"专科联盟已{FilingStatus(row['status']).label}，不能变更成员单位", field="alliance_id",
                       current_status=row["status"])
    return row


async def join(ctx: Ctx, alliance_id: str, body: Mapping[Any, Any]) -> RowMapping:
    """A unit joins on ``joined_on``; a unit already a member in that period or a second lead is refused (409)."""
    alliance = await _managed(ctx, alliance_id)
    institution_id = str(body.get("institution_id") or "")
    inst = (await institutions_repo.by_ids(ctx.session, [institution_id])).get(institution_id)
    errors = ErrorCollector()
    if inst is None:
        errors.add("institution_id", "机构不存在")
    role = errors.check(parse_member_role, body.get("role"), field="role")
    head_raw = body.get("head") or {}
    head = errors.check(Contact.create, name=head_raw.get("name"), phone=head_raw.get("phone"),
                        email=head_raw.get("email"), field="head")
    errors.raise_if_any()
    assert inst is not None and role is not None and head is not None
    joined_on: date = body.get("joined_on") or ctx.today
    history = [repo.membership_from_row(r) for r in await repo.for_alliance(ctx.session, alliance_id)]
    domain.join(history, alliance_id=alliance_id, institution_id=institution_id, role=role, joined_on=joined_on,
                head=head)
    current = [repo.roster_entry(r) for r in await repo.not_left(ctx.session, alliance_id)]
    entry = RosterEntry(institution_id, inst["name"], inst["region_code"], role, head)
    await _follow_authority(ctx, alliance, [*current, entry])
    await repo.insert(ctx.session, [{
        "alliance_id": alliance_id, "institution_id": institution_id, "role": role.value,
        "head": contact_json(head), "joined_on": joined_on, "left_on": None, "recorded_by": ctx.actor,
        "created_at": ctx.now, "updated_at": ctx.now}])
    await publish_joined(ctx, alliance_id, institution_id, role.value, joined_on)
    return (await repo.of_institution(ctx.session, alliance_id, institution_id))[-1]


async def leave(ctx: Ctx, alliance_id: str, institution_id: str, *, left_on: date) -> RowMapping:
    """A unit leaves from ``left_on`` (first day no longer a member); the lead unit cannot simply leave."""
    alliance = await _managed(ctx, alliance_id)
    rows = [r for r in await repo.of_institution(ctx.session, alliance_id, institution_id, for_update=True)
            if r["left_on"] is None]
    if not rows:
        raise NotFound("该单位不是本联盟的成员单位", field="institution_id")
    domain.leave(repo.membership_from_row(rows[0]), left_on=left_on)
    await repo.close(ctx.session, rows[0]["id"], left_on=left_on, at=ctx.now)
    remaining = [repo.roster_entry(r) for r in await repo.not_left(ctx.session, alliance_id)]
    await _follow_authority(ctx, alliance, remaining)
    await publish_left(ctx, alliance_id, institution_id, left_on)
    return (await repo.of_institution(ctx.session, alliance_id, institution_id))[-1]


async def _follow_authority(ctx: Ctx, alliance: Mapping[Any, Any], roster: Sequence[RosterEntry]) -> None:
    """Recompute the 备案 authority from the roster; a draft follows it, a filed alliance may not change it."""
    authority = filing_authority(name=alliance["name"], region_code=alliance["region_code"],
                                 member_region_codes=[e.region_code for e in roster])
    current = authority_of(alliance)
    if authority.region_code == current.region_code and authority.level is current.level:
        return
    if FilingStatus(alliance["status"]) not in alliances.EDITABLE:
        raise Conflict(f"此变更将使备案机关变为{authority.name}（{authority.basis}），须按程序重新备案",
                       field="institution_id", authority=authority.name)
    if alliance["service_area_whole_province"] and authority.level.value != "province":
        raise InvalidInput("服务区域为“全省”的专科联盟须报省级卫生健康行政部门备案", field="service_area")
    await alliances.ensure_slot_free(ctx, alliance["id"], alliance["specialty_code"], authority)
    await alliances_repo.change(ctx.session, alliance["id"], {**authority_values(authority), "updated_at": ctx.now})


def members_view(rows: Sequence[Mapping[Any, Any]]) -> list[dict[str, Any]]:
    return [{"institution_id": r["institution_id"], "institution_name": r["institution_name"],
             "role": MemberRole(r["role"]).value, "role_label": MemberRole(r["role"]).label, "head": r["head"],
             "joined_on": r["joined_on"], "left_on": r["left_on"]} for r in rows]
