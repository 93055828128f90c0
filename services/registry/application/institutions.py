"""机构登记: register, correct and read institutions with every field of 附件1 (USCC, GB/T 2260 region …)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import RowMapping, update

from libs.auth.principal import Role
from libs.kit.errors import Conflict, Forbidden, NotFound
from libs.kit.pagination import Page, PageParams, keyset, page_of
from services.registry.application import scope
from services.registry.application.context import Ctx
from services.registry.application.events import institution_registered, institution_subject, institution_updated
from services.registry.domain.institution import Institution
from services.registry.persistence import institutions as repo
from services.registry.persistence.guard import unique_or_conflict
from services.registry.persistence.tables import institutions

T = institutions


def new_id() -> str:
    return str(uuid.uuid4())


def _uscc_taken(uscc: str, existing: Mapping[Any, Any] | None = None) -> Conflict:
    name = f"「{existing['name']}」" if existing else ""
    extra = {"existing_institution_id": existing["id"]} if existing else {}
    return Conflict(f"统一社会信用代码{uscc}已登记{name}，请勿重复登记", field="uscc", **extra)


def new_row(ctx: Ctx, inst: Institution) -> dict[str, Any]:
    office = ctx.principal.role is Role.ALLIANCE_OFFICE
    return {"id": new_id(), **repo.institution_values(inst), "registered_by": ctx.actor,
            "registered_by_alliance_id": ctx.principal.alliance_id if office else None, "version": 1,
            "created_at": ctx.now, "updated_at": ctx.now}


async def register(ctx: Ctx, raw: Mapping[str, object]) -> dict[str, Any]:
    """Validate every field (all problems at once, 422), refuse a USCC already registered (409), publish."""
    inst = Institution.create(**raw)
    existing = (await repo.by_usccs(ctx.session, [inst.uscc])).get(inst.uscc)
    if existing is not None:
        raise _uscc_taken(inst.uscc, existing)
    row = new_row(ctx, inst)
    await unique_or_conflict(ctx.session, lambda: repo.insert_many(ctx.session, [row]), _uscc_taken(inst.uscc))
    await ctx.publish(institution_registered(row), subject=institution_subject(row["id"]))
    return row


async def register_many(ctx: Ctx, items: Sequence[Institution]) -> list[dict[str, Any]]:
    """Bulk registration (imports): the caller has checked every USCC; one statement, one event each."""
    rows = [new_row(ctx, inst) for inst in items]
    await unique_or_conflict(ctx.session, lambda: repo.insert_many(ctx.session, rows),
                             Conflict("导入期间有统一社会信用代码被同时登记，请重新导入", field="uscc"))
    for row in rows:
        await ctx.publish(institution_registered(row), subject=institution_subject(row["id"]))
    return rows


async def get(ctx: Ctx, institution_id: str, *, for_update: bool = False) -> RowMapping:
    row = await repo.get(ctx.session, institution_id, where=scope.institution_scope(ctx.principal, ctx.today),
                         for_update=for_update)
    if row is None:
        raise NotFound("机构不存在", field="institution_id")
    return row


async def correct(ctx: Ctx, institution_id: str, raw: Mapping[str, object]) -> RowMapping:
    """Replace the filing-form fields of an institution in the caller's write scope; publish the update."""
    current = await get(ctx, institution_id, for_update=True)
    if not await scope.can_write_institution(ctx.session, ctx.principal, current, ctx.today):
        raise Forbidden("无权修改该机构信息", field="institution_id")
    inst = Institution.create(**raw)
    if inst.uscc != current["uscc"]:
        existing = (await repo.by_usccs(ctx.session, [inst.uscc])).get(inst.uscc)
        if existing is not None:
            raise _uscc_taken(inst.uscc, existing)
    values = {**repo.institution_values(inst), "version": current["version"] + 1, "updated_at": ctx.now}

    async def write() -> RowMapping:
        stmt = update(T).where(T.c.id == institution_id).values(**values).returning(*T.c)
        return (await ctx.session.execute(stmt)).mappings().one()

    row = await unique_or_conflict(ctx.session, write, _uscc_taken(inst.uscc))
    await ctx.publish(institution_updated(row), subject=institution_subject(institution_id))
    return row


async def listing(ctx: Ctx, page: PageParams, *, region_code: str | None = None, uscc: str | None = None,
                  name: str | None = None) -> Page[RowMapping]:
    prefix = scope.region_prefix(region_code) if region_code else None
    stmt = repo.listing(scope.institution_scope(ctx.principal, ctx.today), region_prefix=prefix, uscc=uscc,
                        name=name)
    rows = (await ctx.session.execute(keyset(stmt, page, T.c.name, T.c.id))).mappings().all()
    return page_of(rows, page, lambda r: {"name": r["name"], "id": r["id"]})
