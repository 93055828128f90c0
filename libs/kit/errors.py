"""Typed errors. Each carries its HTTP status and is rendered once, as RFC 9457 problem+json,
by the single handler in ``libs.kit.problems``. Domain code raises these (they import nothing
from a web framework), so a rule can say *why* it refused without knowing about HTTP.

``detail`` is what a user reads: Chinese where users are Chinese. ``field`` names the input that
was wrong (dotted path, e.g. ``body.amount``) so a form can point at it.
"""

from __future__ import annotations

from typing import Any


class AppError(Exception):
    status: int = 400
    slug: str = "bad-request"
    title: str = "请求无效"

    def __init__(
        self,
        detail: str,
        *,
        field: str | None = None,
        errors: list[dict[str, Any]] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.field = field
        self.errors = errors or ([{"field": field, "reason": detail}] if field else [])
        self.extra = extra


class InvalidInput(AppError):
    """The request was understood but a value breaks a rule (422)."""

    status = 422
    slug = "invalid-input"
    title = "输入不符合规则"


class NotFound(AppError):
    status = 404
    slug = "not-found"
    title = "未找到"


class Conflict(AppError):
    """The state of the resource does not allow it (409): illegal transition, duplicate, stale version."""

    status = 409
    slug = "conflict"
    title = "状态冲突"


class Forbidden(AppError):
    status = 403
    slug = "forbidden"
    title = "无权操作"


class Unauthorized(AppError):
    status = 401
    slug = "unauthorized"
    title = "未认证"


class PayloadTooLarge(AppError):
    status = 413
    slug = "payload-too-large"
    title = "请求体过大"


class TooManyRequests(AppError):
    status = 429
    slug = "too-many-requests"
    title = "请求过于频繁"


class Unavailable(AppError):
    status = 503
    slug = "unavailable"
    title = "服务暂不可用"
