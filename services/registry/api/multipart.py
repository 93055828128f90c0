"""Multipart uploads read inside the route, after the Idempotency-Key dependency has fingerprinted the raw body.

Declaring ``File``/``Form`` parameters would make FastAPI consume the body stream before the dependencies run,
and the idempotency fingerprint could no longer read it; Starlette replays the cached body to ``request.form()``.
The form is therefore described for OpenAPI with ``multipart_body``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import Request
from starlette.datastructures import UploadFile

from libs.kit.errors import InvalidInput, PayloadTooLarge
from services.registry.application.documents import size_text


@dataclass(frozen=True)
class Upload:
    filename: str
    content_type: str | None
    data: bytes
    fields: dict[str, str]


async def read_upload(request: Request, *, max_bytes: int, fields: tuple[str, ...] = ()) -> Upload:
    """The ``file`` part (at most ``max_bytes``, else 413) and the named text fields (each ≤ 200 characters)."""
    form = await request.form(max_files=1, max_fields=len(fields) + 1)
    try:
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise InvalidInput("请以 multipart/form-data 上传文件（字段名 file）", field="file")
        data = await upload.read(max_bytes + 1)
        if len(data) > max_bytes:
            raise PayloadTooLarge(f"文件超过{size_text(max_bytes)}", field="file")
        values = {name: _text(form.get(name), name) for name in fields}
        return Upload(upload.filename or "", upload.content_type, data, values)
    finally:
        await form.close()


def _text(value: Any, name: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > 200:
        raise InvalidInput("表单字段无效", field=name)
    return value


def multipart_body(properties: dict[str, dict[str, Any]], *, required: tuple[str, ...] = ("file",)
                   ) -> dict[str, Any]:
    """``openapi_extra`` describing a multipart body with a binary ``file`` and the given fields."""
    schema = {"type": "object", "required": list(required),
              "properties": {"file": {"type": "string", "format": "binary"}, **properties}}
    return {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": schema}}}}
