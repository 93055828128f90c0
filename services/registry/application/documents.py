"""联盟章程、协议书、成员单位名单 (第八条) and other filing documents: stored in PostgreSQL with their sha256.

Uploads are checked for size and for type twice: the declared content type must be allowed and the bytes must
start like that type (a renamed .exe is not a PDF). Downloads stream in chunks from the database.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from enum import StrEnum

from sqlalchemy import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession

from libs.kit.errors import AppError, InvalidInput, NotFound, PayloadTooLarge
from services.registry.application import alliances, scope
from services.registry.application.context import Ctx
from services.registry.persistence import documents as repo

CHUNK = 256 * 1024


class DocumentKind(StrEnum):
    CHARTER = "charter"  # 联盟章程
    AGREEMENT = "agreement"  # 协议书
    MEMBER_LIST = "member_list"  # 联盟成员单位名单
    FEASIBILITY = "feasibility"  # 可行性报告
    FOUNDING = "founding"  # 成立文件
    OTHER = "other"

    @property
    def label(self) -> str:
        return {"charter": "联盟章程", "agreement": "协议书", "member_list": "联盟成员单位名单",
                "feasibility": "可行性报告", "founding": "成立文件", "other": "其他材料"}[self.value]


class UnsupportedMediaType(AppError):
    status = 415
    slug = "unsupported-media-type"
    title = "不支持的内容类型"


_DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
# content type → how such a file starts
ALLOWED: dict[str, tuple[bytes, ...]] = {
    "application/pdf": (b"%PDF-",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    _DOCX: (b"PK\x03\x04",),
    "application/ofd": (b"PK\x03\x04",),  # 版式文档 OFD (GB/T 33190) is a zip package
}


def size_text(limit: int) -> str:
    return f"{limit // 1_048_576}MB" if limit >= 1_048_576 else f"{max(1, limit // 1024)}KB"


def check_upload(data: bytes, content_type: str | None, *, max_bytes: int) -> str:
    """The normalised content type, or 413 / 415 / 422 naming ``file``."""
    if len(data) > max_bytes:
        raise PayloadTooLarge(f"文件超过{size_text(max_bytes)}", field="file")
    if not data:
        raise InvalidInput("文件为空", field="file")
    declared = (content_type or "").split(";")[0].strip().lower()
    if declared not in ALLOWED:
        shown = declared[:60] or "（未声明）"
        raise UnsupportedMediaType(f"不支持的文件类型：{shown}；仅支持PDF、OFD、DOCX、PNG、JPEG", field="file")
    if not data.startswith(ALLOWED[declared]):
        raise UnsupportedMediaType("文件内容与声明的类型不符", field="file")
    return declared


def clean_filename(raw: str | None) -> str:
    """Last path part, control characters removed, at most 200 characters."""
    name = re.split(r"[\\/]", raw or "")[-1]
    name = re.sub(r"[\x00-\x1f\x7f]", "", name).strip()
    return (name or "document")[-200:]


async def authorize_upload(ctx: Ctx, alliance_id: str) -> None:
    """Scope first (404 / 403), before the body is even parsed."""
    scope.ensure_manages_alliance(ctx.principal, await alliances.get(ctx, alliance_id, for_update=True))


async def upload(ctx: Ctx, alliance_id: str, *, kind: str, filename: str | None, content_type: str | None,
                 data: bytes) -> RowMapping:
    await authorize_upload(ctx, alliance_id)
    try:
        doc_kind = DocumentKind(kind)
    except ValueError as exc:
        raise InvalidInput("材料类型无效；可选：" + "、".join(f"{k.value}（{k.label}）" for k in DocumentKind),
                           field="kind") from exc
    declared = check_upload(data, content_type, max_bytes=ctx.settings.document_max_bytes)
    return await repo.insert(ctx.session, {
        "id": str(uuid.uuid4()), "alliance_id": alliance_id, "kind": doc_kind.value,
        "filename": clean_filename(filename), "content_type": declared, "size_bytes": len(data),
        "sha256": hashlib.sha256(data).hexdigest(), "content": data, "uploaded_by": ctx.actor,
        "uploaded_at": ctx.now})


async def listing(ctx: Ctx, alliance_id: str) -> list[RowMapping]:
    await alliances.get(ctx, alliance_id)
    return await repo.listing(ctx.session, alliance_id)


async def find(ctx: Ctx, alliance_id: str, document_id: str) -> RowMapping:
    """Metadata of a document of an alliance the caller may read (404 otherwise)."""
    await alliances.get(ctx, alliance_id)
    found = await repo.meta(ctx.session, alliance_id, document_id)
    if found is None:
        raise NotFound("材料不存在", field="document_id")
    return found


async def stream(transaction: Callable[[], AbstractAsyncContextManager[AsyncSession]], document_id: str,
                 size: int) -> AsyncIterator[bytes]:
    """The bytes in chunks, each read in its own short transaction (the request's has committed by then)."""
    offset = 0
    while offset < size:
        async with transaction() as session:
            part = await repo.chunk(session, document_id, offset=offset, size=CHUNK)
        if not part:
            return
        yield part
        offset += len(part)
