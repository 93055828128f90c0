"""A tiny stand-in service behind the gateway: echoes what it received, verifies the principal, can be slow.

Served by a real uvicorn server on a loopback port (``serve``), so the gateway's httpx clients, timeouts and
connection errors are the real ones.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import uvicorn
from fastapi import FastAPI, Request

from libs.auth.deps import PrincipalDep
from libs.devstack.ports import free_port
from libs.kit.errors import Forbidden
from libs.kit.middleware import RequestContextMiddleware
from libs.kit.problems import install_problem_handlers

SLOW_SECONDS = 3.0


def echo_app(name: str) -> FastAPI:
    app = FastAPI(title=name)
    install_problem_handlers(app)
    app.add_middleware(RequestContextMiddleware)

    @app.get("/whoami")
    async def whoami(principal: PrincipalDep) -> dict[str, Any]:
        return {"service": name, "principal": principal.to_json()}

    @app.get("/integration/status")
    async def integration_status(principal: PrincipalDep) -> dict[str, Any]:
        return {"service": name, "role": principal.role.value}

    async def echoed(request: Request) -> dict[str, Any]:
        body = await request.body()
        return {"service": name, "method": request.method, "headers": dict(request.headers),
                "body_b64": base64.b64encode(body).decode()}

    app.add_api_route("/echo", echoed, methods=["GET", "POST", "PUT", "PATCH", "DELETE"], include_in_schema=False)
    app.add_api_route("/webhooks/{sender}", echoed, methods=["POST"], operation_id="webhook")

    @app.get("/slow")
    async def slow() -> dict[str, str]:
        await asyncio.sleep(SLOW_SECONDS)
        return {"service": name}

    @app.get("/institutions/{institution_id}/doctors")
    async def doctors(institution_id: str, principal: PrincipalDep) -> dict[str, Any]:
        if principal.institution_id != institution_id:
            raise Forbidden("无权查看其他单位的医师", field="path.institution_id")
        return {"service": name, "doctors": []}

    @app.get("/only-get")
    async def only_get() -> dict[str, str]:
        return {"service": name}

    return app


@dataclass
class Served:
    url: str
    server: uvicorn.Server
    task: asyncio.Task[None]

    async def stop(self) -> None:
        self.server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(self.task, 10)


async def start(app: FastAPI) -> Served:
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    return Served(f"http://127.0.0.1:{port}", server, task)


@contextlib.asynccontextmanager
async def serve(app: FastAPI) -> AsyncIterator[Served]:
    served = await start(app)
    try:
        yield served
    finally:
        await served.stop()
