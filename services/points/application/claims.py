"""积分申报 (claims): a doctor (for themself) or a unit liaison (for a doctor of their unit) asks for points under
a claim rule, with evidence files (佐证材料); the alliance office approves — the award is appended to the ledger
in the same transaction — or rejects with a reason; the claimant may withdraw while it waits.

The amount is never typed in: the scheme computes it at SUBMISSION (a claim the scheme cannot score — the R11
3–6-month gap, a condition not met, a rule that cannot be claimed by hand — is refused then, with the scheme's
reason) and again at APPROVAL (the award entry records the rule, variant, quantity, the facts it consulted and
the scheme version). Only a doctor registered at a member unit of an operating alliance on the activity's day
earns (``eligibility.earner``); the unit found then is the claim's (and the entry's) unit.

States: submitted → approved | rejected | withdrawn, each move under ``SELECT … FOR UPDATE`` of the claim row,
recorded in ``claim_transitions`` and published as ``alliance.points.claim.*``. Any other move is 409 naming
the current state. The award's ``source_event_id`` is ``claim:<claim_id>``: even two approvals that somehow
both passed the row lock could not record two entries.

Evidence: PDF, JPEG or PNG only (declared type AND leading bytes), 1–10 MB each, stored with its sha256.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from libs.auth.principal import Principal, Role
from libs.events.envelope import new_envelope
from libs.events.schemas import points as ev
from libs.kit.amounts import format_points, from_tenths, to_tenths
from libs.kit.clock import SHANGHAI, business_date
from libs.kit.errors import AppError, Conflict, Forbidden, InvalidInput, NotFound
from libs.kit.pagination import PageParams, keyset
from services.points.domain.scheme import Award, Mode, compute_award
from services.points.domain.scheme_model import FactValue
from services.points.ledger.append import append_entries
from services.points.ledger.config import SOURCE
from services.points.ledger.model import StoredEntry, new_award
from services.points.persistence import directory
from services.points.persistence.tables import (
    EVIDENCE_MAX_BYTES,
    claim_evidence,
    claim_transitions,
    claims,
    dir_memberships,
    once_keys,
)
from services.points.runtime import PointsRuntime

from .awards import scheme_at
from .corrections import year_is_closed
from .eligibility import earner

CHUNK = 256 * 1024
STATUS_LABELS = {"submitted": "待审核", "approved": "已通过", "rejected": "未通过", "withdrawn": "已撤回"}
# content type → how such a file starts (a renamed .exe is not a PDF)
EVIDENCE_TYPES: dict[str, bytes] = {"application/pdf": b"%PDF-", "image/jpeg": b"\xff\xd8\xff",
                                    "image/png": b"\x89PNG\r\n\x1a\n"}
READ_ALL = (Role.AUDITOR, Role.PLATFORM_ADMIN)
READERS = (Role.DOCTOR, Role.UNIT_ADMIN, Role.ALLIANCE_OFFICE, *READ_ALL)


class UnsupportedMediaType(AppError):
    status = 415
    slug = "unsupported-media-type"
    title = "不支持的内容类型"


@dataclass(frozen=True, slots=True)
class Evidence:
    filename: str
    content_type: str | None
    data: bytes


@dataclass(frozen=True, slots=True)
class ClaimRequest:
    rule: str
    variant: str | None
    quantity: int
    facts: Mapping[str, FactValue]
    occurred_on: date
    doctor_id: str | None = None
    alliance_id: str | None = None
    started_on: date | None = None
    description: str | None = None


def actor_of(principal: Principal) -> str:
    return f"{principal.role.value}:{principal.sub}"[:200]


def occurred_at(day: date) -> datetime:
    """The instant recorded for an activity of ``day``: the start of that Asia/Shanghai day (so its business
    date is ``day`` and it is never in the future for today's activities)."""
    return datetime.combine(day, time(0), tzinfo=SHANGHAI)


def _hidden() -> NotFound:
    return NotFound("申报不存在或不在您的管辖范围内", field="claim_id")


# ---- submission -----------------------------------------------------------------------------------------
def check_evidence(files: Sequence[Evidence], *, max_files: int) -> list[tuple[Evidence, str]]:
    """Each file with its normalised content type; 415 / 422 naming ``evidence``."""
    if not files:
        raise InvalidInput("请上传佐证材料（字段名 evidence，PDF/JPEG/PNG）", field="evidence")
    if len(files) > max_files:
        raise InvalidInput(f"佐证材料最多 {max_files} 个文件", field="evidence")
    checked = []
    for index, item in enumerate(files):
        field = f"evidence[{index}]"
        if not item.data:
            raise InvalidInput("文件为空", field=field)
        if len(item.data) > EVIDENCE_MAX_BYTES:
            raise InvalidInput("单个文件不能超过10MB", field=field)
        declared = (item.content_type or "").split(";")[0].strip().lower()
        if declared == "image/jpg":
            declared = "image/jpeg"
        if declared not in EVIDENCE_TYPES:
            shown = declared[:60] or "（未声明）"
            raise UnsupportedMediaType(f"不支持的文件类型：{shown}；佐证材料仅支持PDF、JPEG、PNG", field=field)
        if not item.data.startswith(EVIDENCE_TYPES[declared]):
            raise UnsupportedMediaType("文件内容与声明的类型不符", field=field)
        checked.append((item, declared))
    return checked


def clean_filename(raw: str | None) -> str:
    """Last path part, control characters removed, at most 200 characters."""
    name = re.split(r"[\\/]", raw or "")[-1]
    name = re.sub(r"[\x00-\x1f\x7f]", "", name).strip()
    return (name or "evidence")[-200:]


async def _beneficiary(session: AsyncSession, principal: Principal, doctor_id: str | None) -> str:
    """A doctor claims for themself; a unit liaison for a doctor currently registered at their unit."""
    if principal.role is Role.DOCTOR:
        if not principal.doctor_id:
            raise Forbidden("您的身份未关联医师", field="doctor_id")
        if doctor_id is not None and doctor_id != principal.doctor_id:
            raise Forbidden("医师只能为本人申报积分", field="doctor_id")
        return principal.doctor_id
    if principal.role is Role.UNIT_ADMIN:
        if not principal.institution_id:
            raise Forbidden("您的身份未关联成员单位", field="institution_id")
        if doctor_id is None:
            raise InvalidInput("请填写申报的医师（doctor_id）", field="doctor_id")
        known = await directory.doctor(session, doctor_id)
        if known is None or known[1] != principal.institution_id:
            raise NotFound("医师不存在或不在您的单位", field="doctor_id")
        return doctor_id
    raise Forbidden(f"角色 {principal.role.value} 不能提交积分申报", field="role")


async def _alliance(session: AsyncSession, principal: Principal, doctor_id: str, requested: str | None,
                    on: date) -> str:
    """The alliance named, else the caller's, else the one operating alliance the doctor's unit belonged to."""
    if requested or principal.alliance_id:
        return str(requested or principal.alliance_id)
    unit = await directory.unit_at(session, doctor_id, on)
    m = dir_memberships.c
    found = sorted(set(await session.scalars(select(m.alliance_id).where(
        m.institution_id == (unit or ""), m.joined_on <= on, or_(m.left_on.is_(None), m.left_on > on)))))
    if len(found) == 1:
        return found[0]
    if not found:
        raise InvalidInput(f"医师 {doctor_id} 在 {on.isoformat()} 未注册在任何联盟的成员单位", field="doctor_id")
    raise InvalidInput("该单位属于多个联盟，请指定 alliance_id", field="alliance_id")


async def _score(session: AsyncSession, runtime: PointsRuntime, *, alliance_id: str, doctor_id: str, rule: str,
                 variant: str | None, quantity: int, facts: Mapping[str, FactValue], on: date
                 ) -> tuple[Award, str]:
    """The award the scheme gives and the doctor's unit that day — or the reason it cannot be given."""
    at = occurred_at(on)
    if on > business_date(runtime.clock.now()):
        raise InvalidInput("活动日期不能晚于今天", field="occurred_on")
    if await year_is_closed(session, alliance_id, on.year):
        raise Conflict(f"{on.year}年度已封账，不能再申报该年度的积分；如需补记请联系联盟办公室以调整分录记入",
                       field="occurred_on", code="year_closed")
    try:
        scheme = scheme_at(runtime, at)
    except InvalidInput as exc:
        raise InvalidInput(exc.detail, field="occurred_on") from exc
    award = compute_award(scheme, rule, variant, quantity, dict(facts), mode=Mode.CLAIM)
    who = await earner(session, alliance_id, doctor_id, on)
    if award.dedupe_key is not None:
        taken = await session.scalar(select(once_keys.c.entry_id).where(
            once_keys.c.account == f"member:{doctor_id}", once_keys.c.once_key == award.dedupe_key))
        if taken is not None:
            raise Conflict(f"该项积分只能获得一次，已经赋分（{award.dedupe_key}）", field="rule_code",
                           code="already_awarded")
    return award, who.unit_id


async def submit(session: AsyncSession, runtime: PointsRuntime, principal: Principal, request: ClaimRequest,
                 files: Sequence[Evidence]) -> dict[str, Any]:
    doctor_id = await _beneficiary(session, principal, request.doctor_id)
    checked = check_evidence(files, max_files=runtime.points_settings.claim_max_files)
    if request.started_on is not None and request.started_on > request.occurred_on:
        raise InvalidInput("开始日期不能晚于活动日期", field="started_on")
    alliance_id = await _alliance(session, principal, doctor_id, request.alliance_id, request.occurred_on)
    award, unit_id = await _score(session, runtime, alliance_id=alliance_id, doctor_id=doctor_id,
                                  rule=request.rule, variant=request.variant, quantity=request.quantity,
                                  facts=request.facts, on=request.occurred_on)
    now = runtime.clock.now()
    actor = actor_of(principal)
    row = {"claim_id": f"clm_{uuid.uuid4().hex[:24]}", "alliance_id": alliance_id, "doctor_id": doctor_id,
           "unit_id": unit_id, "submitted_by": actor, "rule_code": award.rule_code, "variant": award.variant,
           "quantity": award.quantity, "facts": dict(request.facts), "occurred_on": request.occurred_on,
           "started_on": request.started_on, "description": request.description, "scheme_id": award.scheme_id,
           "scheme_version": award.scheme_version, "points_tenths": to_tenths(award.amount), "status": "submitted",
           "reason": None, "reviewed_by": None, "reviewed_at": None, "entry_id": None, "created_at": now,
           "updated_at": now}
    await session.execute(insert(claims).values(**row))
    evidence = [{"evidence_id": f"ev_{uuid.uuid4().hex[:24]}", "claim_id": row["claim_id"],
                 "filename": clean_filename(item.filename), "content_type": content_type,
                 "size_bytes": len(item.data), "sha256": hashlib.sha256(item.data).hexdigest(),
                 "content": item.data, "created_at": now} for item, content_type in checked]
    await session.execute(insert(claim_evidence), evidence)
    await _transition(session, row, None, "submitted", actor, None, now)
    await _publish(session, runtime, ev.ClaimSubmitted, row, now, submitted_by_role=principal.role.value,
                   evidence_count=len(evidence))
    return row | {"evidence": [{k: v for k, v in e.items() if k != "content"} for e in evidence],
                  "explanation": award.explanation_zh}


# ---- review -------------------------------------------------------------------------------------------------
async def load(session: AsyncSession, claim_id: str, *, for_update: bool = False) -> dict[str, Any] | None:
    stmt = select(claims).where(claims.c.claim_id == claim_id)
    if for_update:
        stmt = stmt.with_for_update()
    row = (await session.execute(stmt)).mappings().first()
    return dict(row) if row else None


def may_see(principal: Principal, row: Mapping[str, Any]) -> bool:
    """Doctor: their own claims (or ones they submitted); unit liaison: their unit's; office: its alliance's."""
    if principal.role in READ_ALL:
        return True
    if row["submitted_by"] == actor_of(principal) and principal.role in (Role.DOCTOR, Role.UNIT_ADMIN):
        return True
    if principal.role is Role.DOCTOR:
        return bool(principal.doctor_id) and principal.doctor_id == row["doctor_id"]
    if principal.role is Role.UNIT_ADMIN:
        return bool(principal.institution_id) and principal.institution_id == row["unit_id"]
    if principal.role is Role.ALLIANCE_OFFICE:
        return bool(principal.alliance_id) and principal.alliance_id == row["alliance_id"]
    return False


async def visible(session: AsyncSession, principal: Principal, claim_id: str, *,
                  for_update: bool = False) -> dict[str, Any]:
    principal.require(*READERS)
    row = await load(session, claim_id, for_update=for_update)
    if row is None or not may_see(principal, row):
        raise _hidden()
    return row


def _ensure(row: Mapping[str, Any], action: str) -> None:
    status = row["status"]
    if status != "submitted":
        raise Conflict(f"申报当前状态为“{STATUS_LABELS.get(status, status)}”（{status}），不能{action}",
                       field="status", code="illegal_transition", current_status=status)


async def approve(session: AsyncSession, runtime: PointsRuntime, principal: Principal, claim_id: str,
                  memo: str | None) -> tuple[dict[str, Any], StoredEntry]:
    """Office of the claim's alliance: compute again, append the award, mark approved — one transaction."""
    row = await _for_office(session, principal, claim_id)
    _ensure(row, "审核通过")
    award, unit_id = await _score(session, runtime, alliance_id=row["alliance_id"], doctor_id=row["doctor_id"],
                                  rule=row["rule_code"], variant=row["variant"], quantity=row["quantity"],
                                  facts=row["facts"], on=row["occurred_on"])
    now = runtime.clock.now()
    actor = actor_of(principal)
    text = memo or row["description"] or ""
    new = new_award(award, alliance_id=row["alliance_id"], doctor_id=row["doctor_id"], unit_id=unit_id,
                    occurred_at=occurred_at(row["occurred_on"]), recorded_at=now,
                    source_event_id=f"claim:{row['claim_id']}", actor=actor,
                    memo=(f"申报 {row['claim_id']} 审核通过" + (f"：{text}" if text else ""))[:500])
    [stored] = await append_entries(session, [new], config=runtime.ledger)
    changes = {"status": "approved", "reviewed_by": actor, "reviewed_at": now, "entry_id": stored.entry_id,
               "points_tenths": to_tenths(award.amount), "scheme_version": award.scheme_version,
               "unit_id": unit_id, "updated_at": now, "reason": memo}
    updated = await _move(session, row, changes, actor, memo, now)
    await _publish(session, runtime, ev.ClaimApproved, updated, now, entry_id=stored.entry_id)
    return updated, stored


async def reject(session: AsyncSession, runtime: PointsRuntime, principal: Principal, claim_id: str,
                 reason: str) -> dict[str, Any]:
    row = await _for_office(session, principal, claim_id)
    _ensure(row, "驳回")
    now = runtime.clock.now()
    actor = actor_of(principal)
    updated = await _move(session, row, {"status": "rejected", "reason": reason, "reviewed_by": actor,
                                         "reviewed_at": now, "updated_at": now}, actor, reason, now)
    await _publish(session, runtime, ev.ClaimRejected, updated, now, reason=reason)
    return updated


async def withdraw(session: AsyncSession, runtime: PointsRuntime, principal: Principal, claim_id: str,
                   reason: str | None) -> dict[str, Any]:
    """The claimant (who submitted it, or the doctor it is for) while it is still waiting for review."""
    principal.require(Role.DOCTOR, Role.UNIT_ADMIN)
    row = await visible(session, principal, claim_id, for_update=True)
    own = row["submitted_by"] == actor_of(principal) or (
        principal.role is Role.DOCTOR and principal.doctor_id == row["doctor_id"])
    if not own:
        raise Forbidden("只有申报人可以撤回申报", field="claim_id")
    _ensure(row, "撤回")
    now = runtime.clock.now()
    actor = actor_of(principal)
    updated = await _move(session, row, {"status": "withdrawn", "reason": reason, "updated_at": now}, actor,
                          reason, now)
    await _publish(session, runtime, ev.ClaimWithdrawn, updated, now)
    return updated


async def _for_office(session: AsyncSession, principal: Principal, claim_id: str) -> dict[str, Any]:
    principal.require(Role.ALLIANCE_OFFICE)
    row = await load(session, claim_id, for_update=True)
    if row is None or not principal.alliance_id or row["alliance_id"] != principal.alliance_id:
        raise _hidden()
    return row


async def _move(session: AsyncSession, row: dict[str, Any], changes: dict[str, Any], actor: str,
                reason: str | None, now: datetime) -> dict[str, Any]:
    await session.execute(update(claims).where(claims.c.claim_id == row["claim_id"]).values(**changes))
    await _transition(session, row, row["status"], changes["status"], actor, reason, now)
    return row | changes


async def _transition(session: AsyncSession, row: Mapping[str, Any], from_status: str | None, to_status: str,
                      actor: str, reason: str | None, now: datetime) -> None:
    t = claim_transitions.c
    seq = await session.scalar(select(func.coalesce(func.max(t.seq), 0)).where(t.claim_id == row["claim_id"]))
    await session.execute(insert(claim_transitions).values(
        claim_id=row["claim_id"], seq=int(seq or 0) + 1, from_status=from_status, to_status=to_status,
        actor=actor, reason=reason, at=now))


async def _publish(session: AsyncSession, runtime: PointsRuntime, event: type[ev._Claim], row: Mapping[str, Any],
                   now: datetime, **extra: Any) -> None:
    data = event(claim_id=row["claim_id"], alliance_id=row["alliance_id"], doctor_id=row["doctor_id"],
                 unit_id=row["unit_id"], rule_code=row["rule_code"], variant=row["variant"],
                 quantity=row["quantity"], points=points_text(row), occurred_on=row["occurred_on"],
                 status=row["status"], at=now, **extra)
    await runtime.outbox.add(session, new_envelope(data, source=SOURCE, subject=row["claim_id"]))


# ---- reads --------------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class ClaimFilter:
    status: str | None = None
    doctor_id: str | None = None
    alliance_id: str | None = None


async def listing(session: AsyncSession, principal: Principal, params: PageParams,
                  wanted: ClaimFilter) -> list[dict[str, Any]]:
    """Claims the caller may see, newest first (keyset on created_at, claim_id)."""
    principal.require(*READERS)
    c = claims.c
    stmt = select(claims)
    mine = c.submitted_by == actor_of(principal)
    if principal.role is Role.DOCTOR:
        stmt = stmt.where(or_(c.doctor_id == (principal.doctor_id or ""), mine))
    elif principal.role is Role.UNIT_ADMIN:
        stmt = stmt.where(or_(c.unit_id == (principal.institution_id or ""), mine))
    elif principal.role is Role.ALLIANCE_OFFICE:
        stmt = stmt.where(c.alliance_id == (principal.alliance_id or ""))
    if wanted.status:
        stmt = stmt.where(c.status == wanted.status)
    if wanted.doctor_id:
        stmt = stmt.where(c.doctor_id == wanted.doctor_id)
    if wanted.alliance_id:
        stmt = stmt.where(c.alliance_id == wanted.alliance_id)
    rows = (await session.execute(keyset(stmt, params, c.created_at, c.claim_id, descending=True))).mappings()
    return [dict(r) for r in rows]


async def evidence_of(session: AsyncSession, claim_ids: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
    """Evidence metadata (never the bytes) per claim."""
    e = claim_evidence.c
    found: dict[str, list[dict[str, Any]]] = {claim_id: [] for claim_id in claim_ids}
    if not claim_ids:
        return found
    rows = await session.execute(select(e.evidence_id, e.claim_id, e.filename, e.content_type, e.size_bytes,
                                        e.sha256, e.created_at).where(e.claim_id.in_(list(claim_ids)))
                                 .order_by(e.claim_id, e.created_at, e.evidence_id))
    for r in rows.mappings():
        found[r["claim_id"]].append(dict(r))
    return found


async def transitions_of(session: AsyncSession, claim_id: str) -> list[dict[str, Any]]:
    t = claim_transitions.c
    rows = await session.execute(select(claim_transitions).where(t.claim_id == claim_id).order_by(t.seq))
    return [dict(r) for r in rows.mappings()]


async def evidence_meta(session: AsyncSession, claim_id: str, evidence_id: str) -> dict[str, Any] | None:
    e = claim_evidence.c
    row = (await session.execute(select(e.evidence_id, e.filename, e.content_type, e.size_bytes, e.sha256)
                                 .where(e.claim_id == claim_id, e.evidence_id == evidence_id))).mappings().first()
    return dict(row) if row else None


async def stream_evidence(transaction: Callable[[], AbstractAsyncContextManager[AsyncSession]], evidence_id: str,
                          size: int) -> AsyncIterator[bytes]:
    """The bytes in chunks, each read in its own short transaction (the request's has committed by then)."""
    e = claim_evidence.c
    offset = 0
    while offset < size:
        async with transaction() as session:
            part = await session.scalar(select(func.substring(e.content, offset + 1, CHUNK))
                                        .where(e.evidence_id == evidence_id))
        data = bytes(part or b"")
        if not data:
            return
        yield data
        offset += len(data)


def points_text(row: Mapping[str, Any]) -> str:
    return format_points(from_tenths(row["points_tenths"]))
