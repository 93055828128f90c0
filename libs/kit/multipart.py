"""Multipart uploads read inside the route, after the Idempotency-Key dependency has fingerprinted the raw body.

Declaring ``File``/``Form`` parameters would make FastAPI consume the body stream before the dependencies run,
and the idempotency fingerprint could no longer read it; Starlette replays the cached body to ``request.form()``.
The form is therefore read in the route (``read_upload`` for one ``file``, ``read_form`` for several files and
text fields) and described for OpenAPI with ``multipart_body``::

    @router.post("/claims", status_code=201, openapi_extra=multipart_body(
        {"claim": {"type": "string"}}, files={"evidence": "many"}, required=("claim", "evidence")))
    async def submit(request: Request, idem: IdempotencyDep) -> Response:
        form = await read_form(request, file_field="evidence", max_files=10, max_file_bytes=10 * 1_048_576,
                               fields=("claim",), max_field_chars=20_000)

Limits answer problem+json: a file above ``max_file_bytes`` → 413, a missing or malformed part → 422 naming the
field, more parts than allowed → 400 (Starlette's multipart parser refuses them before reading on).

A retried multipart request must send the same bytes (the same boundary) to be recognised as a retry: the
fingerprint is taken over the raw body.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from fastapi import Request
from starlette.datastructures import UploadFile

from libs.kit.errors import InvalidInput, PayloadTooLarge

DEFAULT_FIELD_CHARS = 200


def size_text(limit: int) -> str:
    """A byte limit as users read it: ``10MB``, ``512KB``."""
    return f"{limit // 1_048_576}MB" if limit >= 1_048_576 else f"{max(1, limit // 1024)}KB"


@dataclass(frozen=True)
class FilePart:
    filename: str
    content_type: str | None
    data: bytes


@dataclass(frozen=True)
class Form:
    files: list[FilePart]
    fields: dict[str, str]


@dataclass(frozen=True)
class Upload:
    """One ``file`` part and the named text fields (see ``read_upload``)."""

    filename: str
    content_type: str | None
    data: bytes
    fields: dict[str, str]


async def read_form(request: Request, *, file_field: str = "file", min_files: int = 1, max_files: int = 1,
                    max_file_bytes: int, fields: tuple[str, ...] = (),
                    max_field_chars: int = DEFAULT_FIELD_CHARS, forbid_extra: bool = False) -> Form:
    """The ``file_field`` parts (``min_files``–``max_files`` of them, each ≤ ``max_file_bytes``, else 413) and the
    named text fields (each ≤ ``max_field_chars`` characters; a missing one is ``""``). ``forbid_extra``: any
    other part is refused (422 naming it), like ``extra="forbid"`` on a JSON body."""
    form = await request.form(max_files=max_files, max_fields=len(fields) + max_files)
    try:
        if forbid_extra:
            extra = sorted({name for name, _ in form.multi_items()} - {file_field, *fields})
            if extra:
                raise InvalidInput(f"不允许的字段：{'、'.join(extra)[:200]}", field=extra[0][:100],
                                   code="extra_forbidden")
        parts = form.getlist(file_field)
        if len(parts) < min_files or not all(isinstance(part, UploadFile) for part in parts):
            raise InvalidInput(f"请以 multipart/form-data 上传文件（字段名 {file_field}）", field=file_field)
        files = []
        for part in parts:
            assert isinstance(part, UploadFile)
            data = await part.read(max_file_bytes + 1)
            if len(data) > max_file_bytes:
                raise PayloadTooLarge(f"文件超过{size_text(max_file_bytes)}", field=file_field)
            files.append(FilePart(part.filename or "", part.content_type, data))
        values = {name: _text(form.get(name), name, max_field_chars) for name in fields}
        return Form(files, values)
    finally:
        await form.close()


async def read_upload(request: Request, *, max_bytes: int, fields: tuple[str, ...] = ()) -> Upload:
    """The ``file`` part (at most ``max_bytes``, else 413) and the named text fields (each ≤ 200 characters)."""
    form = await read_form(request, max_file_bytes=max_bytes, fields=fields)
    [part] = form.files
    return Upload(part.filename, part.content_type, part.data, form.fields)


def _text(value: Any, name: str, max_chars: int) -> str:
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > max_chars:
        raise InvalidInput("表单字段无效", field=name)
    return value


def multipart_body(properties: dict[str, dict[str, Any]], *, required: tuple[str, ...] = ("file",),
                   files: dict[str, Literal["one", "many"]] | None = None) -> dict[str, Any]:
    """``openapi_extra`` describing a multipart body: binary file parts (default one ``file``) and text fields."""
    binary = {"type": "string", "format": "binary"}
    parts = {name: binary if count == "one" else {"type": "array", "items": binary}
             for name, count in (files or {"file": "one"}).items()}
    schema = {"type": "object", "required": list(required), "properties": {**parts, **properties}}
    return {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": schema}}}}
