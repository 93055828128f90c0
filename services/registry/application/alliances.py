"""专科联盟 drafts (附件1 备案表): naming rule, derived 备案 authority, one alliance per specialty and level.

The lead unit (its unit_admin) or the alliance office drafts; the draft can be revised while in draft or returned.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from sqlalchemy import RowMapping

from libs.auth.principal import Role
from libs.kit.errors import Conflict, Forbidden, InvalidInput, NotFound
from libs.kit.pagination import Page, PageParams, keyset, page_of
from services.registry.application import scope
from services.registry.application.context import Ctx
from services.registry.application.events import alliance_subject, publish_joined, status_changed
from services.registry.domain.alliance import (
    Alliance,
    FilingAuthority,
    Roster,
    RosterEntry,
    ServiceArea,
    SpecialtyFigures,
    ensure_one_per_level,
    parse_member_role,
)
from services.registry.domain.contact import Contact
from services.registry.domain.filing_form import FilingForm
from services.registry.domain.status import FilingStatus
from services.registry.domain.validation import ErrorCollector
from services.registry.persistence import alliances as repo
from services.registry.persistence import institutions as institutions_repo
from services.registry.persistence import members as members_repo
from services.registry.persistence.alliances import authority_values, contact_json, figures_json
from services.registry.persistence.tables import alliances

EDITABLE = frozenset({FilingStatus.DRAFT, FilingStatus.RETURNED})


async def get(ctx: Ctx, alliance_id: str, *, for_update: bool = False) -> RowMapping:
    """The alliance if the caller's scope covers it, else 404 (drafts of others are not even acknowledged)."""
    row = await repo.get(ctx.session, alliance_id, where=scope.alliance_scope(ctx.principal), for_update=for_update)
    if row is None:
        raise NotFound("专科联盟不存在", field="alliance_id")
    return row


async def listing(ctx: Ctx, page: PageParams, **filters: Any) -> Page[RowMapping]:
    region = filters.pop("region_code", None)
    stmt = repo.listing(scope.alliance_scope(ctx.principal), region_prefix=scope.region_prefix(region)
                        if region else None, **filters)
    rows = (await ctx.session.execute(keyset(stmt, page, alliances.c.name, alliances.c.id))).mappings().all()
    return page_of(rows, page, lambda r: {"name": r["name"], "id": r["id"]})


async def draft(ctx: Ctx, body: Mapping[Any, Any]) -> RowMapping:
    """Create a draft with its roster; refuse a second alliance for the same specialty and authority (409)."""
    entries = await _roster_entries(ctx, body.get("members") or [])
    roster = Roster.create(entries)
    lead = (await institutions_repo.by_ids(ctx.session, [roster.lead.institution_id]))[roster.lead.institution_id]
    _ensure_may_lead(ctx, lead)
    alliance_id = str(uuid.uuid4())
    form = _form(ctx, alliance_id, body, roster, lead)
    await ensure_slot_free(ctx, None, form.alliance.specialty_code, form.alliance.authority)
    row = await repo.insert(ctx.session, {
        "id": alliance_id, **_form_values(form), "lead_institution_id": lead["id"], "status": "draft",
        "created_by": ctx.actor, "created_by_role": ctx.principal.role.value, "version": 1,
        "created_at": ctx.now, "updated_at": ctx.now})
    joined_on = body.get("joined_on") or ctx.today
    await members_repo.insert(ctx.session, [_member_row(ctx, alliance_id, e, joined_on) for e in entries])
    await record(ctx, row, action="create", from_status=None)
    for entry in entries:
        await publish_joined(ctx, alliance_id, entry.institution_id, entry.role.value, joined_on)
    return row


async def revise(ctx: Ctx, alliance_id: str, body: Mapping[Any, Any]) -> RowMapping:
    """Correct the form of a draft or a returned filing (the roster changes through join / leave)."""
    current = await get(ctx, alliance_id, for_update=True)
    scope.ensure_manages_alliance(ctx.principal, current)
    if FilingStatus(current["status"]) not in EDITABLE:
        raise Conflict(f"专科联盟当前状态为“{FilingStatus(current['status']).label}”，只有草稿或已退回的备案表可以修改",
                       field="status", current_status=current["status"])
    roster = Roster.create([members_repo.roster_entry(r) for r in await members_repo.not_left(ctx.session,
                                                                                               alliance_id)])
    lead = (await institutions_repo.by_ids(ctx.session, [roster.lead.institution_id]))[roster.lead.institution_id]
    form = _form(ctx, alliance_id, body, roster, lead)
    await ensure_slot_free(ctx, alliance_id, form.alliance.specialty_code, form.alliance.authority)
    return await repo.change(ctx.session, alliance_id, {**_form_values(form), "updated_at": ctx.now})


async def ensure_slot_free(ctx: Ctx, alliance_id: str | None, specialty_code: str,
                           authority: FilingAuthority) -> None:
    """第七条 one alliance per specialty per authority, checked under a lock (the unique index is the backstop)."""
    await repo.lock_slot(ctx.session, specialty_code, authority.region_code)
    holders = await repo.slot_holders(ctx.session, specialty_code, authority.region_code)
    ensure_one_per_level(alliance_id=alliance_id, specialty_code=specialty_code, authority=authority,
                         existing=holders)


async def record(ctx: Ctx, row: Mapping[Any, Any], *, action: str, from_status: str | None,
                 reason: str | None = None, details: Mapping[Any, Any] | None = None) -> None:
    """The audit row (who, when, why) and its event, in the same transaction as the change."""
    event = await ctx.publish(status_changed(row, action=action, from_status=from_status, actor=ctx.actor,
                                             reason=reason), subject=alliance_subject(row["id"]))
    await repo.record_transition(ctx.session, alliance_id=row["id"], action=action, from_status=from_status,
                                 to_status=row["status"], actor=ctx.actor, actor_role=ctx.principal.role.value,
                                 at=ctx.now, business_date=ctx.today, reason=reason, details=details or {},
                                 event_id=event.id)


def _ensure_may_lead(ctx: Ctx, lead: Mapping[Any, Any]) -> None:
    p = ctx.principal
    if p.role is Role.UNIT_ADMIN and lead["id"] != p.institution_id and lead["registered_by"] != ctx.actor:
        raise Forbidden("单位管理员只能以本单位为主席（牵头）单位起草备案", field="members")


async def _roster_entries(ctx: Ctx, members: Sequence[Mapping[Any, Any]]) -> list[RosterEntry]:
    found = await institutions_repo.by_ids(ctx.session, [m["institution_id"] for m in members])
    errors = ErrorCollector()
    entries = []
    for i, item in enumerate(members):
        inst = found.get(item["institution_id"])
        if inst is None:
            errors.add(f"members[{i}].institution_id", f"机构不存在：{item['institution_id'][:40]}")
        role = errors.check(parse_member_role, item.get("role"), field=f"members[{i}].role")
        head = errors.check(_contact, item.get("head"), field=f"members[{i}].head")
        if inst is not None and role is not None and head is not None:
            entries.append(RosterEntry(inst["id"], inst["name"], inst["region_code"], role, head))
    errors.raise_if_any()
    return entries


def _contact(raw: Mapping[Any, Any] | None, *, field: str) -> Contact:
    if not raw:
        raise InvalidInput("联系人不能为空", field=field)
    return Contact.create(name=raw.get("name"), phone=raw.get("phone"), email=raw.get("email"), field=field)


def _form(ctx: Ctx, alliance_id: str, body: Mapping[Any, Any], roster: Roster,
          lead: Mapping[Any, Any]) -> FilingForm:
    errors = ErrorCollector()
    chair = errors.check(_contact, body.get("chair"), field="chair")
    secretary = errors.check(_contact, body.get("secretary"), field="secretary")
    raw_figures = dict(body.get("figures") or {})
    figures = errors.check(SpecialtyFigures.create, year=raw_figures.pop("year", None), filed_on=ctx.today,
                           **raw_figures)
    errors.raise_if_any()
    area = body.get("service_area") or {}
    alliance = Alliance.create(
        alliance_id=alliance_id, name=body.get("name") or "", region_code=body.get("region_code") or "",
        specialty_code=body.get("specialty_code") or "", roster=roster, chair=chair, secretary=secretary,  # type: ignore[arg-type]
        service_area=ServiceArea(bool(area.get("whole_province")), area.get("description")))
    return FilingForm.create(lead=institutions_repo.institution_from_row(lead), lead_institution_id=lead["id"],
                             specialty_summary=body.get("specialty_summary") or "", figures=figures,  # type: ignore[arg-type]
                             alliance=alliance, filed_on=ctx.today)


def _form_values(form: FilingForm) -> dict[str, Any]:
    a = form.alliance
    return {"name": a.name, "region_code": a.region_code, "specialty_code": a.specialty_code,
            "service_area_whole_province": a.service_area.whole_province,
            "service_area_description": a.service_area.description, "chair": contact_json(a.chair),
            "secretary": contact_json(a.secretary), **authority_values(a.authority),
            "specialty_summary": form.specialty_summary, "figures": figures_json(form.figures)}


def _member_row(ctx: Ctx, alliance_id: str, entry: RosterEntry, joined_on: date) -> dict[str, Any]:
    return {"alliance_id": alliance_id, "institution_id": entry.institution_id, "role": entry.role.value,
            "head": contact_json(entry.head), "joined_on": joined_on, "left_on": None, "recorded_by": ctx.actor,
            "created_at": ctx.now, "updated_at": ctx.now}
