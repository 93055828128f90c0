"""/alliances/{id}/documents — 章程、协议书、成员单位名单 … uploaded as multipart, downloaded as a stream."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request
from starlette.responses import Response, StreamingResponse

from libs.auth.deps import require_roles
from libs.kit.deps import RuntimeDep
from libs.kit.idempotency import IdempotencyDep
from services.registry.api.deps import LEAD_SIDE, READERS, CtxDep
from services.registry.api.models.alliance_views import DocumentOut
from services.registry.api.multipart import multipart_body, read_upload
from services.registry.application import documents
from services.registry.application.documents import DocumentKind

router = APIRouter(prefix="/alliances/{alliance_id}/documents", tags=["documents 备案材料"])


KIND = {"type": "string", "enum": [k.value for k in DocumentKind],
        "description": "charter 章程 / agreement 协议书 / member_list 成员单位名单 / feasibility 可行性报告 / "
                       "founding 成立文件 / other"}


@router.post("", status_code=201, response_model=DocumentOut, dependencies=[require_roles(*LEAD_SIDE)],
             openapi_extra=multipart_body({"kind": KIND}, required=("file", "kind")),
             summary="上传备案材料 upload (PDF/OFD/DOCX/PNG/JPEG, size-limited)")
async def upload(alliance_id: str, request: Request, ctx: CtxDep, idem: IdempotencyDep) -> Response:
    await documents.authorize_upload(ctx, alliance_id)
    form = await read_upload(request, max_bytes=ctx.settings.document_max_bytes, fields=("kind",))
    row = await documents.upload(ctx, alliance_id, kind=form.fields["kind"], filename=form.filename,
                                 content_type=form.content_type, data=form.data)
    return await idem.respond(201, DocumentOut(**row),
                              {"Location": f"/alliances/{alliance_id}/documents/{row['id']}"})


@router.get("", dependencies=[require_roles(*READERS)], summary="备案材料列表")
async def listing(alliance_id: str, ctx: CtxDep) -> list[DocumentOut]:
    return [DocumentOut(**r) for r in await documents.listing(ctx, alliance_id)]


@router.get("/{document_id}", dependencies=[require_roles(*READERS)], response_class=StreamingResponse,
            summary="下载备案材料 download (streamed; ETag = sha256)",
            responses={200: {"content": {"application/octet-stream": {}}, "description": "文件内容"}})
async def download(alliance_id: str, document_id: str, ctx: CtxDep, runtime: RuntimeDep) -> StreamingResponse:
    meta = await documents.find(ctx, alliance_id, document_id)
    headers = {"Content-Length": str(meta["size_bytes"]), "ETag": f'"{meta["sha256"]}"',
               "Digest": f"sha-256={meta['sha256']}",
               "Content-Disposition": f"attachment; filename*=UTF-8''{quote(meta['filename'])}",
               "X-Content-Type-Options": "nosniff"}
    body = documents.stream(runtime.transaction, meta["id"], meta["size_bytes"])
    return StreamingResponse(body, media_type=meta["content_type"], headers=headers)
