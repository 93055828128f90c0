"""/alliances — 专科联盟 drafts (备案表), reads, the audit trail, and 成员单位 joining and leaving."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Query
from starlette.responses import Response

from libs.auth.deps import require_roles
from libs.kit.idempotency import IdempotencyDep
from libs.kit.pagination import PageDep
from services.registry.api.deps import LEAD_SIDE, READERS, CtxDep
from services.registry.api.models.alliance_views import AllianceOut, AlliancePage, MemberOut, TransitionOut
from services.registry.api.models.alliances import AllianceDraftIn, AllianceFormIn, JoinIn, LeaveIn
from services.registry.application import alliances, members
from services.registry.application.context import Ctx
from services.registry.domain.status import FilingStatus
from services.registry.persistence import alliances as alliances_repo
from services.registry.persistence import council as council_repo
from services.registry.persistence import members as members_repo

router = APIRouter(prefix="/alliances", tags=["alliances 专科联盟"])
Status = Annotated[FilingStatus | None, Query(description="备案状态")]


async def full_view(ctx: Ctx, row: Mapping[Any, Any]) -> AllianceOut:
    """The alliance with its current members, current council term and latest dissolution flag."""
    current = await members_repo.for_alliance(ctx.session, row["id"], on=ctx.today)
    term = await council_repo.latest(ctx.session, row["id"])
    flag = await alliances_repo.latest_flag(ctx.session, row["id"])
    return AllianceOut.from_row(row, members=current, term=term, flag=flag)


@router.post("", status_code=201, response_model=AllianceOut, dependencies=[require_roles(*LEAD_SIDE)],
             summary="起草备案表 draft an alliance filing")
async def draft(body: AllianceDraftIn, ctx: CtxDep, idem: IdempotencyDep) -> Response:
    row = await alliances.draft(ctx, body.model_dump())
    return await idem.respond(201, await full_view(ctx, row), {"Location": f"/alliances/{row['id']}"})


@router.get("", dependencies=[require_roles(*READERS)], summary="专科联盟列表 alliances in scope")
async def listing(ctx: CtxDep, page: PageDep, status: Status = None,
                  specialty_code: Annotated[str | None, Query(max_length=20)] = None,
                  region_code: Annotated[str | None, Query(pattern=r"^\d{6}$")] = None,
                  flagged: Annotated[bool | None, Query(description="是否被评价建议解散")] = None) -> AlliancePage:
    found = await alliances.listing(ctx, page, status=status.value if status else None,
                                    specialty_code=specialty_code, region_code=region_code, flagged=flagged)
    return AlliancePage(items=[AllianceOut.from_row(r) for r in found.items], limit=found.limit,
                        next_cursor=found.next_cursor)


@router.get("/{alliance_id}", dependencies=[require_roles(*READERS)], summary="专科联盟详情")
async def detail(alliance_id: str, ctx: CtxDep) -> AllianceOut:
    return await full_view(ctx, await alliances.get(ctx, alliance_id))


@router.put("/{alliance_id}", dependencies=[require_roles(*LEAD_SIDE)],
            summary="修改草稿或被退回的备案表 revise a draft / returned filing")
async def revise(alliance_id: str, body: AllianceFormIn, ctx: CtxDep) -> AllianceOut:
    return await full_view(ctx, await alliances.revise(ctx, alliance_id, body.model_dump()))


@router.get("/{alliance_id}/transitions", dependencies=[require_roles(*READERS)],
            summary="备案记录 audit trail (who, when, why)")
async def transitions(alliance_id: str, ctx: CtxDep) -> list[TransitionOut]:
    await alliances.get(ctx, alliance_id)
    return [TransitionOut.from_row(r) for r in await alliances_repo.transitions(ctx.session, alliance_id)]


@router.get("/{alliance_id}/members", dependencies=[require_roles(*READERS)], summary="成员单位")
async def member_list(alliance_id: str, ctx: CtxDep,
                      history: Annotated[bool, Query(description="含已退出的单位")] = False) -> list[MemberOut]:
    await alliances.get(ctx, alliance_id)
    rows = await members_repo.for_alliance(ctx.session, alliance_id, on=None if history else ctx.today)
    return [MemberOut.from_row(r) for r in rows]


@router.post("/{alliance_id}/members", status_code=201, response_model=MemberOut,
             dependencies=[require_roles(*LEAD_SIDE)], summary="成员单位加入 a unit joins")
async def join(alliance_id: str, body: JoinIn, ctx: CtxDep, idem: IdempotencyDep) -> Response:
    row = await members.join(ctx, alliance_id, body.model_dump())
    return await idem.respond(201, MemberOut.from_row(row))


@router.post("/{alliance_id}/members/{institution_id}/leave", response_model=MemberOut,
             dependencies=[require_roles(*LEAD_SIDE)], summary="成员单位退出 a unit leaves")
async def leave(alliance_id: str, institution_id: str, body: LeaveIn, ctx: CtxDep, idem: IdempotencyDep) -> Response:
    row = await members.leave(ctx, alliance_id, institution_id, left_on=body.left_on)
    return await idem.respond(200, MemberOut.from_row(row))
