"""415 for request bodies that are not JSON (or a multipart upload) on JSON routes.

Checked at the gateway so a service never has to guess what a ``text/plain`` body meant. Webhook ingestion is
exempt: its body goes through byte for byte and the referral service verifies the signature first.
"""

from __future__ import annotations

from starlette.requests import Request

from libs.kit.errors import AppError

BODY_METHODS = ("POST", "PUT", "PATCH")


class UnsupportedMediaType(AppError):
    status = 415
    slug = "unsupported-media-type"
    title = "不支持的内容类型"


def require_json(request: Request, allowed: tuple[str, ...]) -> None:
    if request.method not in BODY_METHODS or not _has_body(request):
        return
    media = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media in allowed or (media.startswith("application/") and media.endswith("+json")):
        return
    raise UnsupportedMediaType(f"请求体须为 application/json，收到：{media or '未声明'}", field="header.content-type")


def _has_body(request: Request) -> bool:
    length = request.headers.get("content-length")
    return "transfer-encoding" in request.headers or (length is not None and length.strip() != "0")
