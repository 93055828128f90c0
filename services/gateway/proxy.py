"""Routing ``/api/v1/<service>/...`` to the services over pooled httpx clients.

Request bodies are streamed through untouched (webhook signatures cover the raw bytes) and responses too
(exports and PDFs are never buffered whole). A service that is down or
slow answers 502 / 504 problem+json naming it; the other services keep answering.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from urllib.parse import quote

import httpx
from fastapi import Request
from starlette.background import BackgroundTask
from starlette.responses import Response, StreamingResponse

from libs.kit.problems import problem_response

HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailers",
              "transfer-encoding", "upgrade", "host", "content-length"}
# Who the caller is comes only from the gateway: a client's own x-principal is never forwarded, and the bearer
# token and cookies stay here (services trust the signed principal, and must not log credentials).
CLIENT_IDENTITY = {"x-principal", "x-principal-signature", "authorization", "cookie"}
_PATH_SAFE = "/:@!$&'()*+,;=~"  # RFC 3986 pchar and "/" stay as they are; everything else is percent-encoded
# Content-Length is kept on requests so a service can refuse an oversized body before reading it.
_REQUEST_DROPPED = (HOP_BY_HOP - {"content-length"}) | CLIENT_IDENTITY
# The gateway's own middleware sets x-request-id (the same id it sent upstream): never twice.
_RESPONSE_DROPPED = HOP_BY_HOP | {"x-request-id"}
PUBLIC_PREFIX = "/api/v1"  # where clients reach a service: /api/v1/<service>/...


class Upstreams:
    def __init__(self, urls: dict[str, str], *, timeout: float, connect_timeout: float) -> None:
        limits = httpx.Limits(max_connections=200, max_keepalive_connections=100)
        timeouts = httpx.Timeout(timeout, connect=connect_timeout)
        self.clients = {name: httpx.AsyncClient(base_url=url, timeout=timeouts, limits=limits)
                        for name, url in urls.items()}

    async def close(self) -> None:
        for client in self.clients.values():
            await client.aclose()

    async def forward(self, service: str, path: str, request: Request, extra_headers: dict[str, str]) -> Response:
        client = self.clients[service]
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _REQUEST_DROPPED}
        headers.update(extra_headers)
        try:
            # ``path`` arrives percent-decoded: encode it again, or a decoded "?" or "#" would cut the path short.
            upstream_request = client.build_request(request.method, "/" + quote(path, safe=_PATH_SAFE),
                                                    params=request.query_params,
                                                    headers=headers, content=_body(request))
        except httpx.InvalidURL:  # nothing a client sends may become a 500 here
            return problem_response(request, 400, "请求路径或查询参数无效", field="path")
        try:
            upstream = await client.send(upstream_request, stream=True)
        except httpx.TimeoutException:
            return problem_response(request, 504, f"服务 {service} 响应超时", service=service)
        except httpx.HTTPError:
            return problem_response(request, 502, f"服务 {service} 不可用", service=service)
        out_headers = {k: v for k, v in upstream.headers.items() if k.lower() not in _RESPONSE_DROPPED}
        location = out_headers.get("location")
        if location and location.startswith("/") and not location.startswith("//"):
            # Services answer ``Location: /doctors/<id>`` (their own root): clients only know the gateway's paths.
            out_headers["location"] = f"{PUBLIC_PREFIX}/{service}{location}"
        return StreamingResponse(_stream(upstream), status_code=upstream.status_code, headers=out_headers,
                                 background=BackgroundTask(upstream.aclose))


async def _body(request: Request) -> AsyncIterator[bytes]:
    async for chunk in request.stream():
        yield chunk


async def _stream(upstream: httpx.Response) -> AsyncIterator[bytes]:
    async for chunk in upstream.aiter_raw():
        yield chunk
