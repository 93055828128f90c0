"""理事会 terms (第十条): the first term starts on the founding document date, each 换届 records the new council;
terms ending within a horizon are listed ahead of time."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from sqlalchemy import RowMapping

from libs.kit.errors import InvalidInput
from services.registry.application import scope
from services.registry.application.context import Ctx
from services.registry.domain.contact import Contact
from services.registry.domain.council import (
    Council,
    CouncilRole,
    CouncilSeat,
    CouncilTerm,
    ExpiringTerm,
    expiring_terms,
    first_term,
    renew_term,
)
from services.registry.domain.validation import ErrorCollector
from services.registry.persistence import council as repo
from services.registry.persistence import members as members_repo
from services.registry.persistence.alliances import contact_from_json

MAX_HORIZON_DAYS = 730


async def council_from_body(ctx: Ctx, alliance: Mapping[Any, Any], body: Mapping[Any, Any], *,
                            on: date) -> Council:
    """Seats from the request; every seat holder's unit must be a member on ``on``, the 主席 from the lead unit."""
    seats = _seats(body)
    council = Council.from_seats(seats)
    members = {r["institution_id"] for r in await members_repo.for_alliance(ctx.session, alliance["id"], on=on)}
    errors = ErrorCollector()
    for path, seat in _paths(council):
        if seat.institution_id not in members:
            errors.add(f"{path}.institution_id", "该单位在理事会开始之日不是本联盟成员单位")
    if council.chair.institution_id != alliance["lead_institution_id"]:
        errors.add("council.chair.institution_id", "理事会主席须由牵头（主席）单位担任")
    errors.raise_if_any()
    return council


def _seats(body: Mapping[Any, Any]) -> list[CouncilSeat]:
    errors = ErrorCollector()
    raw = [("council.chair", CouncilRole.CHAIR, body.get("chair")),
           *((f"council.vice_chairs[{i}]", CouncilRole.VICE_CHAIR, v)
             for i, v in enumerate(body.get("vice_chairs") or [])),
           ("council.secretary", CouncilRole.SECRETARY, body.get("secretary"))]
    seats = [errors.check(_seat, role, item, field=path) for path, role, item in raw]
    errors.raise_if_any()
    return [s for s in seats if s is not None]


def _seat(role: CouncilRole, raw: Mapping[Any, Any] | None, *, field: str) -> CouncilSeat:
    if not raw:
        raise InvalidInput(f"理事会{role.label}不能为空", field=field)
    person = Contact.create(name=raw.get("name"), phone=raw.get("phone"), email=raw.get("email"), field=field)
    return CouncilSeat(role, person, str(raw.get("institution_id") or ""))


def _paths(council: Council) -> Sequence[tuple[str, CouncilSeat]]:
    return [("council.chair", council.chair),
            *((f"council.vice_chairs[{i}]", s) for i, s in enumerate(council.vice_chairs)),
            ("council.secretary", council.secretary)]


async def record_first(ctx: Ctx, alliance_id: str, founded_on: date, council: Council) -> RowMapping:
    term = first_term(alliance_id=alliance_id, founded_on=founded_on, council=council)
    return await repo.insert(ctx.session, term, actor=ctx.actor, at=ctx.now)


async def next_term(ctx: Ctx, alliance: Mapping[Any, Any], *, starts_on: date, council: Council) -> CouncilTerm:
    current = await repo.latest(ctx.session, alliance["id"])
    if current is None:
        raise InvalidInput("该专科联盟尚无理事会记录，不能换届", field="starts_on")
    return renew_term(repo.term_from_row(current), starts_on=starts_on, council=council,
                      lead_institution_id=alliance["lead_institution_id"])


async def record(ctx: Ctx, term: CouncilTerm) -> RowMapping:
    return await repo.insert(ctx.session, term, actor=ctx.actor, at=ctx.now)


async def terms(ctx: Ctx, alliance_id: str) -> list[RowMapping]:
    return await repo.for_alliance(ctx.session, alliance_id)


async def expiring(ctx: Ctx, horizon_days: int) -> list[tuple[ExpiringTerm, RowMapping]]:
    """Latest terms (of running alliances in scope) ending within ``horizon_days`` or already overdue."""
    if not 0 <= horizon_days <= MAX_HORIZON_DAYS:
        raise InvalidInput(f"提前提醒天数应在0至{MAX_HORIZON_DAYS}之间", field="query.horizon_days")
    rows = await repo.latest_of_running(ctx.session, scope.alliance_scope(ctx.principal))
    by_alliance = {r["alliance_id"]: r for r in rows}
    due = expiring_terms((repo.term_from_row(r) for r in rows), today=ctx.today, horizon_days=horizon_days)
    return [(d, by_alliance[d.term.alliance_id]) for d in due]


def seat_view(seat: Mapping[Any, Any]) -> dict[str, Any]:
    person = contact_from_json(seat)
    return {"role": seat["role"], "institution_id": seat["institution_id"], "name": person.name,
            "phone": person.phone, "email": person.email}
