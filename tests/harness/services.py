"""Run a service in-process against the test database and JetStream, with an httpx client on it."""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from fastapi import FastAPI

from libs.kit.runtime import ServiceRuntime


@dataclass
class TestEnv:
    """What one test sees: its own database and event namespace on the session's servers."""

    __test__ = False  # a fixture value, not a test class

    database_url: str
    nats_url: str
    namespace: str

    def settings(self, service: str, **overrides: Any) -> Any:
        module = importlib.import_module(f"services.{service}.settings")
        cls = getattr(module, f"{service.capitalize()}Settings")
        values = {"database_url": self.database_url, "nats_url": self.nats_url,
                  "events_namespace": self.namespace, "environment": "test",
                  "relay_poll_seconds": 0.2, "consumer_ack_wait_seconds": 5.0, **overrides}
        return cls(**values)


@dataclass
class RunningService:
    app: FastAPI
    client: httpx.AsyncClient

    @property
    def runtime(self) -> ServiceRuntime:
        runtime: ServiceRuntime = self.app.state.runtime
        return runtime


@asynccontextmanager
async def running_service(env: TestEnv, service: str, **overrides: Any) -> AsyncIterator[RunningService]:
    module = importlib.import_module(f"services.{service}.app")
    app: FastAPI = module.create_app(env.settings(service, **overrides))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=f"http://{service}") as client:
            yield RunningService(app, client)
