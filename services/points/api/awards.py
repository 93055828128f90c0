"""Office writes to the ledger: direct awards (直接赋分), reversals (冲正) and adjustments (调整)."""

from __future__ import annotations

from fastapi import APIRouter, Path
from starlette.responses import Response

from libs.auth.deps import PrincipalDep
from libs.kit.amounts import parse_points
from libs.kit.deps import SessionDep
from libs.kit.errors import NotFound
from libs.kit.idempotency import IdempotencyDep
from services.points.application.awards import DirectAward, award_directly
from services.points.application.corrections import Adjustment, adjust, load_original, reverse

from .access import PointsDep, actor, office_alliance, readable_member
from .models import AdjustmentIn, DirectAwardIn, EntryOut, ReversalIn

router = APIRouter(tags=["ledger"])
EntryId = Path(min_length=1, max_length=128, description="分录编号")


@router.post("/awards/direct", status_code=201, response_model=EntryOut,
             summary="直接赋分 direct award (office): amount computed from the scheme")
async def direct_award(body: DirectAwardIn, session: SessionDep, runtime: PointsDep, principal: PrincipalDep,
                       idem: IdempotencyDep) -> Response:
    alliance_id = office_alliance(principal)
    source = f"office:{alliance_id}:{body.rule}:{body.source_ref}" if body.source_ref else None
    stored = await award_directly(session, runtime, DirectAward(
        alliance_id=alliance_id, doctor_id=body.doctor_id, rule=body.rule, variant=body.variant,
        quantity=body.quantity, facts=body.facts, occurred_at=body.occurred_at or runtime.clock.now(),
        actor=actor(principal), memo=body.memo, source_event_id=source))
    return await idem.respond(201, EntryOut.of(stored))


@router.post("/entries/{entry_id}/reversals", status_code=201, response_model=EntryOut,
             summary="冲正 reverse an entry (office; reason required)")
async def reverse_entry(body: ReversalIn, session: SessionDep, runtime: PointsDep, principal: PrincipalDep,
                        idem: IdempotencyDep, entry_id: str = EntryId) -> Response:
    alliance_id = office_alliance(principal)
    original = await load_original(session, entry_id)
    if original is None or original.alliance_id != alliance_id:
        raise NotFound("分录不存在或不属于您的联盟", field="entry_id")
    amount = parse_points(body.amount, field="amount") if body.amount is not None else None
    stored = await reverse(session, runtime, original, reason=body.reason, actor=actor(principal), amount=amount)
    return await idem.respond(201, EntryOut.of(stored))


@router.post("/adjustments", status_code=201, response_model=EntryOut,
             summary="调整 adjustment in the open year (office): signed amount or computed from a rule")
async def post_adjustment(body: AdjustmentIn, session: SessionDep, runtime: PointsDep, principal: PrincipalDep,
                          idem: IdempotencyDep) -> Response:
    alliance_id = office_alliance(principal)
    await readable_member(session, principal, body.doctor_id)
    amount = parse_points(body.amount, field="amount", allow_negative=True) if body.amount is not None else None
    stored = await adjust(session, runtime, Adjustment(
        alliance_id=alliance_id, doctor_id=body.doctor_id, reason=body.reason, actor=actor(principal),
        amount=amount, rule=body.rule, variant=body.variant, quantity=body.quantity, facts=dict(body.facts)))
    return await idem.respond(201, EntryOut.of(stored))
