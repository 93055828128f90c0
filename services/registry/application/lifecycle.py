"""备案 lifecycle (domain.filing) applied to stored alliances: every step is recorded and published.

Lead-unit steps (submit, resubmit, start preparing, open, renew) need the lead unit or the alliance office;
decisions (return, approve, rename, merge, dissolve) need the health commission that files the alliance
(``can_approve``: same region, same level). A commission out of the alliance's region never sees it (404).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import Any

from sqlalchemy import RowMapping

from libs.auth.principal import Role
from libs.events.schemas.registry import AllianceRenamed
from libs.kit.errors import Conflict, Forbidden, InvalidInput
from services.registry.application import alliances, council, scope
from services.registry.application.context import Ctx
from services.registry.application.events import alliance_subject
from services.registry.domain import filing as f
from services.registry.domain.alliance import Roster, SpecialtyFigures, check_name
from services.registry.domain.codes.regions import find_region
from services.registry.domain.codes.specialties import specialty
from services.registry.domain.filing import Filing, Reviewer
from services.registry.domain.status import FilingStatus
from services.registry.persistence import alliances as repo
from services.registry.persistence import documents as documents_repo
from services.registry.persistence import members as members_repo
from services.registry.persistence.alliances import authority_of
from services.registry.persistence.guard import unique_or_conflict

Step = Callable[[Filing], Filing]


async def load(ctx: Ctx, alliance_id: str, *, decision: bool) -> tuple[RowMapping, Filing]:
    row = await alliances.get(ctx, alliance_id, for_update=True)
    if not decision:
        scope.ensure_manages_alliance(ctx.principal, row)
    elif ctx.principal.role is not Role.HEALTH_COMMISSION:
        raise Forbidden("只有卫生健康行政部门可以作出备案决定", field="role")
    return row, Filing(row["id"], FilingStatus(row["status"]), founded_on=row["founded_on"])


def reviewer(ctx: Ctx) -> Reviewer:
    found = find_region(ctx.principal.region_code or "")
    if found is None:
        raise Forbidden("卫生健康行政部门账号未配置有效的行政区划", field="region_code")
    return Reviewer(ctx.actor, found.code, found.level)


async def apply(ctx: Ctx, row: Mapping[Any, Any], after: Filing, values: Mapping[Any, Any] | None = None
                ) -> RowMapping:
    """Store the new status (plus ``values``), the transition row and the status_changed event."""
    step = after.history[-1]
    changes = {"status": step.to_status.value, "updated_at": ctx.now, **(values or {})}
    # The slot index refuses a second holder even if two submissions raced past the locked check.
    updated = await unique_or_conflict(ctx.session, lambda: repo.change(ctx.session, row["id"], changes),
                                       Conflict("同一专业、同一备案机关已有专科联盟在备案中或已备案",
                                                field="specialty_code"))
    await alliances.record(ctx, updated, action=step.action.value, from_status=step.from_status.value,
                           reason=step.reason, details=dict(step.details))
    return updated


async def submit(ctx: Ctx, alliance_id: str, *, again: bool = False) -> RowMapping:
    """提交备案 (or 重新提交 after a return): last year's figures, exactly one lead unit, the slot still free."""
    row, filing = await load(ctx, alliance_id, decision=False)
    after = (f.resubmit if again else f.submit)(filing, actor=ctx.actor, at=ctx.now)
    _check_figures_year(ctx, row)
    Roster.create([members_repo.roster_entry(r) for r in await members_repo.not_left(ctx.session, alliance_id)])
    await alliances.ensure_slot_free(ctx, alliance_id, row["specialty_code"], authority_of(row))
    return await apply(ctx, row, after)


def _check_figures_year(ctx: Ctx, row: Mapping[Any, Any]) -> None:
    figures = dict(row["figures"])
    SpecialtyFigures.create(year=figures.pop("year"), filed_on=ctx.today, **figures)


async def decide(ctx: Ctx, alliance_id: str, step: Callable[[Filing, Reviewer, Any], Filing]) -> RowMapping:
    row, filing = await load(ctx, alliance_id, decision=True)
    return await apply(ctx, row, step(filing, reviewer(ctx), authority_of(row)))


async def return_for_revision(ctx: Ctx, alliance_id: str, reasons: Sequence[str]) -> RowMapping:
    return await decide(ctx, alliance_id, lambda fl, rv, au: f.return_for_revision(
        fl, reviewer=rv, authority=au, at=ctx.now, reasons=reasons))


async def approve(ctx: Ctx, alliance_id: str) -> RowMapping:
    return await decide(ctx, alliance_id, lambda fl, rv, au: f.approve(fl, reviewer=rv, authority=au, at=ctx.now))


async def start_preparing(ctx: Ctx, alliance_id: str) -> RowMapping:
    row, filing = await load(ctx, alliance_id, decision=False)
    return await apply(ctx, row, f.start_preparing(filing, actor=ctx.actor, at=ctx.now))


async def open_alliance(ctx: Ctx, alliance_id: str, *, founded_on: date, council_body: Mapping[Any, Any]
                        ) -> RowMapping:
    """挂牌: documents reported (第八条), founding date, and the first 理事会 term from that date."""
    row, filing = await load(ctx, alliance_id, decision=False)
    documents = await documents_repo.kinds(ctx.session, alliance_id)
    after = f.open_alliance(filing, actor=ctx.actor, at=ctx.now, founded_on=founded_on, documents=documents)
    seats = await council.council_from_body(ctx, row, council_body, on=founded_on)
    updated = await apply(ctx, row, after, {"founded_on": founded_on})
    await council.record_first(ctx, alliance_id, founded_on, seats)
    return updated


async def renew(ctx: Ctx, alliance_id: str, *, starts_on: date, council_body: Mapping[Any, Any]) -> RowMapping:
    """换届: the next term from ``starts_on`` with its council; the alliance keeps operating."""
    row, filing = await load(ctx, alliance_id, decision=False)
    f.renew(filing, actor=ctx.actor, at=ctx.now, term_number=0)  # state check before the council is looked at
    seats = await council.council_from_body(ctx, row, council_body, on=starts_on)
    term = await council.next_term(ctx, row, starts_on=starts_on, council=seats)
    after = f.renew(filing, actor=ctx.actor, at=ctx.now, term_number=term.number)
    updated = await apply(ctx, row, after)
    await council.record(ctx, term)
    return updated


async def rename(ctx: Ctx, alliance_id: str, *, new_name: str, specialty_code: str | None) -> RowMapping:
    row, filing = await load(ctx, alliance_id, decision=True)
    code = specialty(specialty_code).code if specialty_code else row["specialty_code"]
    clean = check_name(new_name, region_code=row["region_code"], specialty_code=code)
    if clean == row["name"] and code == row["specialty_code"]:
        raise InvalidInput("新名称与现名称相同", field="new_name")
    after = f.rename(filing, reviewer=reviewer(ctx), authority=authority_of(row), at=ctx.now,
                     old_name=row["name"], new_name=clean)
    if code != row["specialty_code"]:
        await alliances.ensure_slot_free(ctx, alliance_id, code, authority_of(row))
    updated = await apply(ctx, row, after, {"name": clean, "specialty_code": code})
    await ctx.publish(AllianceRenamed(alliance_id=alliance_id, old_name=row["name"], new_name=clean),
                      subject=alliance_subject(alliance_id))
    return updated
