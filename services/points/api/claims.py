"""积分申报 (claims): submit with evidence (multipart), list and read in scope, download evidence, and the
office's review — approve (the award is appended in the same transaction) or reject with a reason — or the
claimant's withdrawal. Illegal moves answer 409 naming the current state."""

from __future__ import annotations

from typing import Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from starlette.responses import Response, StreamingResponse

from libs.auth.deps import PrincipalDep
from libs.auth.principal import Role
from libs.kit.deps import SessionDep
from libs.kit.errors import InvalidInput, NotFound
from libs.kit.idempotency import IdempotencyDep
from libs.kit.multipart import multipart_body, read_form
from libs.kit.pagination import Page, PageDep, page_of
from services.points.application import claims
from services.points.application.queries import rule_label
from services.points.persistence.tables import EVIDENCE_MAX_BYTES

from .access import PointsDep
from .models import ApproveIn, ClaimIn, ClaimOut, EntryOut, EvidenceOut, RejectIn, TransitionOut, WithdrawIn

router = APIRouter(tags=["claims"])
ClaimId = Path(min_length=1, max_length=64, description="申报编号")
EvidenceId = Path(min_length=1, max_length=64, description="佐证材料编号")
CLAIM_FIELD_CHARS = 20_000

CLAIM_FORM = multipart_body(
    {"claim": {"type": "string",
               "description": "申报内容 JSON（ClaimIn）：rule、variant、quantity、facts、occurred_on、started_on、"
                              "description；单位联络员须填 doctor_id",
               "contentMediaType": "application/json", "contentSchema": ClaimIn.model_json_schema(),
               "example": '{"rule": "R11", "variant": "further_study", "facts": {"duration_months": 6}, '
                          '"occurred_on": "2024-05-20"}'}},
    required=("claim", "evidence"), files={"evidence": "many"})


class ClaimApproved(ClaimOut):
    entry: EntryOut


@router.post("/claims", status_code=201, response_model=ClaimOut, openapi_extra=CLAIM_FORM,
             summary="提交积分申报 (doctor for themself; unit liaison for a doctor of the unit); evidence PDF/JPEG/PNG "
                     "≤ 10 MB each; the scheme must be able to score it")
async def submit_claim(request: Request, session: SessionDep, runtime: PointsDep, principal: PrincipalDep,
                       idem: IdempotencyDep) -> Response:
    principal.require(Role.DOCTOR, Role.UNIT_ADMIN)
    settings = runtime.points_settings
    form = await read_form(request, file_field="evidence", min_files=0, max_files=settings.claim_max_files,
                           max_file_bytes=EVIDENCE_MAX_BYTES, fields=("claim",), max_field_chars=CLAIM_FIELD_CHARS,
                           forbid_extra=True)
    body = _claim_body(form.fields["claim"])
    row = await claims.submit(session, runtime, principal, claims.ClaimRequest(
        rule=body.rule, variant=body.variant, quantity=body.quantity, facts=body.facts, occurred_on=body.occurred_on,
        doctor_id=body.doctor_id, alliance_id=body.alliance_id, started_on=body.started_on,
        description=body.description or None),
        [claims.Evidence(f.filename, f.content_type, f.data) for f in form.files])
    out = _out(row, row["evidence"], transitions=None)
    return await idem.respond(201, out, {"Location": f"/claims/{row['claim_id']}"})


def _claim_body(text: str) -> ClaimIn:
    if not text.strip():
        raise InvalidInput("请填写申报内容（表单字段 claim，JSON）", field="claim")
    try:
        return ClaimIn.model_validate_json(text)
    except ValidationError as exc:
        # Rendered like a JSON body's errors (field "claim.<name>", 422; malformed JSON 400).
        raise RequestValidationError([{**e, "loc": ("claim", *e["loc"])} for e in exc.errors(include_url=False)]
                                     ) from exc


@router.get("/claims", response_model=Page[ClaimOut],
            summary="积分申报列表 (doctor: own; unit liaison: own unit; office: own alliance; auditor: all)")
async def list_claims(session: SessionDep, principal: PrincipalDep, page: PageDep,
                      status: Literal["submitted", "approved", "rejected", "withdrawn"] | None = None,
                      doctor_id: str | None = Query(None, min_length=1, max_length=128),
                      alliance_id: str | None = Query(None, min_length=1, max_length=128)) -> Page[ClaimOut]:
    rows = await claims.listing(session, principal, page, claims.ClaimFilter(status, doctor_id, alliance_id))
    result = page_of(rows, page, lambda r: {"created_at": r["created_at"], "claim_id": r["claim_id"]})
    evidence = await claims.evidence_of(session, [r["claim_id"] for r in result.items])
    return Page[ClaimOut](items=[_out(r, evidence[r["claim_id"]], transitions=None) for r in result.items],
                          limit=result.limit, next_cursor=result.next_cursor)


@router.get("/claims/{claim_id}", response_model=ClaimOut, summary="积分申报详情（含佐证材料与审核记录）")
async def get_claim(session: SessionDep, principal: PrincipalDep, claim_id: str = ClaimId) -> ClaimOut:
    row = await claims.visible(session, principal, claim_id)
    evidence = await claims.evidence_of(session, [claim_id])
    return _out(row, evidence[claim_id], transitions=await claims.transitions_of(session, claim_id))


@router.get("/claims/{claim_id}/evidence/{evidence_id}", response_class=StreamingResponse,
            summary="下载佐证材料 (streamed; ETag = sha256; If-None-Match → 304)",
            responses={200: {"content": {"application/pdf": {}, "image/jpeg": {}, "image/png": {}},
                             "description": "文件内容"}, 304: {"description": "未改变"}})
async def download_evidence(request: Request, session: SessionDep, runtime: PointsDep, principal: PrincipalDep,
                            claim_id: str = ClaimId, evidence_id: str = EvidenceId) -> Response:
    await claims.visible(session, principal, claim_id)
    meta = await claims.evidence_meta(session, claim_id, evidence_id)
    if meta is None:
        raise NotFound("佐证材料不存在", field="evidence_id")
    etag = f'"{meta["sha256"]}"'
    headers = {"ETag": etag, "Digest": f"sha-256={meta['sha256']}", "Cache-Control": "private, no-cache",
               "X-Content-Type-Options": "nosniff"}
    if etag in [tag.strip() for tag in request.headers.get("if-none-match", "").split(",")]:
        return Response(status_code=304, headers=headers)
    headers |= {"Content-Length": str(meta["size_bytes"]),
                "Content-Disposition": f"attachment; filename*=UTF-8''{quote(meta['filename'])}"}
    body = claims.stream_evidence(runtime.transaction, evidence_id, meta["size_bytes"])
    return StreamingResponse(body, media_type=meta["content_type"], headers=headers)


@router.post("/claims/{claim_id}/approve", response_model=ClaimApproved,
             summary="审核通过 (office of the claim's alliance): the award is computed again and recorded")
async def approve_claim(session: SessionDep, runtime: PointsDep, principal: PrincipalDep, idem: IdempotencyDep,
                        body: ApproveIn | None = None, claim_id: str = ClaimId) -> Response:
    row, stored = await claims.approve(session, runtime, principal, claim_id, body.memo if body else None)
    evidence = await claims.evidence_of(session, [claim_id])
    out = _out(row, evidence[claim_id], transitions=await claims.transitions_of(session, claim_id))
    return await idem.respond(200, ClaimApproved(**out.model_dump(), entry=EntryOut.of(stored)))


@router.post("/claims/{claim_id}/reject", response_model=ClaimOut,
             summary="驳回 (office of the claim's alliance), with the reason the claimant will see")
async def reject_claim(body: RejectIn, session: SessionDep, runtime: PointsDep, principal: PrincipalDep,
                       idem: IdempotencyDep, claim_id: str = ClaimId) -> Response:
    row = await claims.reject(session, runtime, principal, claim_id, body.reason)
    return await idem.respond(200, await _detail(session, row))


@router.post("/claims/{claim_id}/withdraw", response_model=ClaimOut,
             summary="撤回 (the claimant, while the claim waits for review)")
async def withdraw_claim(session: SessionDep, runtime: PointsDep, principal: PrincipalDep, idem: IdempotencyDep,
                         body: WithdrawIn | None = None, claim_id: str = ClaimId) -> Response:
    row = await claims.withdraw(session, runtime, principal, claim_id, body.reason if body else None)
    return await idem.respond(200, await _detail(session, row))


async def _detail(session: SessionDep, row: dict[str, Any]) -> ClaimOut:
    evidence = await claims.evidence_of(session, [row["claim_id"]])
    return _out(row, evidence[row["claim_id"]], transitions=await claims.transitions_of(session, row["claim_id"]))


def _out(row: dict[str, Any], evidence: list[dict[str, Any]], *, transitions: list[dict[str, Any]] | None
         ) -> ClaimOut:
    claim_id = row["claim_id"]
    return ClaimOut(
        claim_id=claim_id, alliance_id=row["alliance_id"], doctor_id=row["doctor_id"], unit_id=row["unit_id"],
        rule_code=row["rule_code"],
        rule_label=rule_label(row["scheme_id"], row["scheme_version"], row["rule_code"], row["variant"]),
        variant=row["variant"], quantity=row["quantity"], facts=row["facts"], occurred_on=row["occurred_on"],
        started_on=row["started_on"], description=row["description"], points=claims.points_text(row),
        scheme_id=row["scheme_id"], scheme_version=row["scheme_version"], status=row["status"],
        status_label=claims.STATUS_LABELS[row["status"]], reason=row["reason"], submitted_by=row["submitted_by"],
        reviewed_by=row["reviewed_by"], reviewed_at=row["reviewed_at"], entry_id=row["entry_id"],
        created_at=row["created_at"], updated_at=row["updated_at"],
        evidence=[EvidenceOut(evidence_id=e["evidence_id"], filename=e["filename"], content_type=e["content_type"],
                              size_bytes=e["size_bytes"], sha256=e["sha256"],
                              url=f"/claims/{claim_id}/evidence/{e['evidence_id']}") for e in evidence],
        transitions=None if transitions is None else [TransitionOut(**{k: t[k] for k in TransitionOut.model_fields})
                                                      for t in transitions])
