"""RFC 9457 problem+json: the one error handler of every service and of the gateway.

Typed errors (``libs.kit.errors``) carry their status; validation errors name each field and reason;
unknown routes and methods answer problem+json too. Nothing answers with a bare "Unknown".
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from libs.kit.errors import AppError

PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "https://alliance.example/problems/"
log = logging.getLogger("problems")

_STATUS_TITLES = {
    400: ("bad-request", "请求无效"),
    401: ("unauthorized", "未认证"),
    403: ("forbidden", "无权操作"),
    404: ("not-found", "未找到"),
    405: ("method-not-allowed", "不支持该请求方法"),
    406: ("not-acceptable", "无法提供所需格式"),
    409: ("conflict", "状态冲突"),
    413: ("payload-too-large", "请求体过大"),
    415: ("unsupported-media-type", "不支持的内容类型"),
    422: ("invalid-input", "输入不符合规则"),
    429: ("too-many-requests", "请求过于频繁"),
    500: ("internal", "服务器内部错误"),
    502: ("bad-gateway", "上游服务错误"),
    503: ("unavailable", "服务暂不可用"),
    504: ("gateway-timeout", "上游服务超时"),
}


class FieldError(BaseModel):
    field: str
    reason: str


class Problem(BaseModel):
    """The error body every endpoint may answer (declared in OpenAPI)."""

    type: str
    title: str
    status: int
    detail: str
    instance: str | None = None
    request_id: str | None = None
    errors: list[FieldError] = []


def problem_response(request: Request | None, status: int, detail: str, *, slug: str | None = None,
                     title: str | None = None, errors: list[dict[str, Any]] | None = None,
                     headers: dict[str, str] | None = None, **extra: Any) -> JSONResponse:
    default_slug, default_title = _STATUS_TITLES.get(status, ("error", "错误"))
    body: dict[str, Any] = {
        "type": TYPE_BASE + (slug or default_slug),
        "title": title or default_title,
        "status": status,
        "detail": detail,
        "instance": str(request.url.path) if request is not None else None,
        "request_id": getattr(request.state, "request_id", None) if request is not None else None,
        "errors": errors or [],
    }
    body.update({k: v for k, v in extra.items() if v is not None})
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _loc_to_field(loc: tuple[Any, ...] | list[Any]) -> str:
    return ".".join(str(part) for part in loc)


_REASONS_ZH = {
    "missing": "缺少必填字段",
    "extra_forbidden": "不允许的字段",
    "json_invalid": "JSON 格式无效",
    "string_too_long": "文本过长",
    "string_too_short": "文本过短",
    "too_long": "条目过多",
    "greater_than": "数值过小",
    "greater_than_equal": "数值过小",
    "less_than": "数值过大",
    "less_than_equal": "数值过大",
    "enum": "取值不在允许范围内",
    "literal_error": "取值不在允许范围内",
}


def _reason(err: dict[str, Any]) -> str:
    zh = _REASONS_ZH.get(str(err.get("type")))
    msg = str(err.get("msg", ""))
    return f"{zh}：{msg}" if zh else msg


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(AppError)
    async def _app_error(request: Request, exc: AppError) -> JSONResponse:
        return problem_response(request, exc.status, exc.detail, slug=exc.slug, title=exc.title,
                                errors=exc.errors, **exc.extra)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"field": _loc_to_field(e.get("loc", ())), "reason": _reason(e)} for e in exc.errors()]
        status = 400 if any(e.get("type") == "json_invalid" for e in exc.errors()) else 422
        first = errors[0] if errors else {"field": "", "reason": ""}
        return problem_response(request, status, f"{first['field']}: {first['reason']}", errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        if exc.status_code == 404 and detail == "Not Found":
            detail = f"路径不存在：{request.url.path}"
        if exc.status_code == 405:
            detail = f"该路径不支持 {request.method} 方法"
        return problem_response(request, exc.status_code, detail, headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        if _sqlstate(exc) in _UNSTORABLE_TEXT:  # e.g. a NUL byte in a JSON string: the client's input, never a 500
            return problem_response(request, 422, "输入包含无法保存的字符（如 NUL 空字符）",
                                    errors=[{"field": "body", "reason": "invalid character"}])
        # Logged with the request id so an operator can find it; the client gets no internals.
        log.exception("unhandled error", extra={"path": request.url.path})
        return problem_response(request, 500, "服务器内部错误，请携带 request_id 联系管理员")


# PostgreSQL refuses text it cannot store: character_not_in_repertoire (NUL), untranslatable_character.
_UNSTORABLE_TEXT = frozenset({"22021", "22P05"})


def _sqlstate(exc: BaseException) -> str | None:
    """The SQLSTATE of a database error, looked up through SQLAlchemy's and asyncpg's wrappers."""
    seen: BaseException | None = exc
    for _ in range(6):
        if seen is None:
            return None
        state = getattr(seen, "sqlstate", None) or getattr(seen, "pgcode", None)
        if isinstance(state, str):
            return state
        seen = getattr(seen, "orig", None) or seen.__cause__ or seen.__context__
    return None


PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    code: {"model": Problem, "content": {PROBLEM_JSON: {}}, "description": _STATUS_TITLES[code][1]}
    for code in (400, 401, 403, 404, 409, 413, 422, 429)
}
