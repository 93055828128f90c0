"""ASGI middleware shared by the services and the gateway: request id, access log, body size limit.

The body limit counts streamed bytes, so a chunked body without Content-Length is stopped at the limit
too — before it is read in full.
"""

from __future__ import annotations

import logging
import time
import uuid
from typing import Any

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from libs.kit.logging import request_id_var
from libs.kit.problems import problem_response

log = logging.getLogger("http")
REQUEST_ID_HEADER = "x-request-id"


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope.get("headers") or []).get(REQUEST_ID_HEADER.encode(), b"").decode("latin-1")
        request_id = incoming if _safe_id(incoming) else str(uuid.uuid4())
        scope.setdefault("state", {})["request_id"] = request_id
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        status: dict[str, Any] = {"code": 500}

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                message.setdefault("headers", []).append((REQUEST_ID_HEADER.encode(), request_id.encode()))
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            level = logging.DEBUG if scope["path"] in ("/health", "/ready") else logging.INFO
            log.log(level, "request", extra={"method": scope["method"], "path": scope["path"], "status": status["code"],
                                       "ms": round((time.perf_counter() - started) * 1000, 2)})
            request_id_var.reset(token)


def _safe_id(value: str) -> bool:
    return 0 < len(value) <= 100 and all(c.isalnum() or c in "-_." for c in value)


class _BodyTooLarge(Exception):
    pass


class BodyLimitMiddleware:
    """413 before the body is read in full: the declared length, else the bytes counted as they stream in.

    ``max_json_bytes`` (optional) caps every body that is not a multipart upload: a service that takes large
    evidence files (``max_bytes``) still never parses megabytes of JSON.
    """

    def __init__(self, app: ASGIApp, max_bytes: int, max_json_bytes: int | None = None) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.max_json_bytes = max_json_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        limit = self.max_bytes
        if self.max_json_bytes is not None and not headers.get(b"content-type", b"").lower().startswith(
                b"multipart/form-data"):
            limit = min(limit, self.max_json_bytes)
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self._refuse(scope, receive, send, limit)
            return
        seen = 0
        started = exceeded = replaced = False

        async def counting_receive() -> Message:
            nonlocal seen, exceeded
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    exceeded = True
                    raise _BodyTooLarge()
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started, replaced
            if replaced:
                return
            if message["type"] == "http.response.start":
                started = True
                if exceeded:  # the app caught the refusal (FastAPI turns a failed body read into a 400): 413 it is
                    replaced = True
                    await self._refuse(scope, receive, send, limit)
                    return
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except _BodyTooLarge:
            if not started:
                await self._refuse(scope, receive, send, limit)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        request = Request(scope, receive)
        response = problem_response(request, 413, f"请求体超过上限 {limit} 字节")
        await response(scope, receive, send)
