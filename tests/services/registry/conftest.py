"""The registry service running in-process on the test's database and JetStream namespace."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from libs.kit.migrations import upgrade
from libs.kit.runtime import ServiceRuntime
from tests.harness import databases
from tests.harness.engines import Engines
from tests.harness.services import RunningService, TestEnv, running_service
from tests.services.registry.fixtures import RegistryApi


@pytest.fixture(scope="session")
def template_db(engines: Engines) -> str:
    """The registry's own migrations only: these tests talk to no other service's tables, so another
    service's migration in progress cannot break them (the suite-wide template still migrates them all)."""
    name = asyncio.run(databases.create_template(engines.pg_server_url))
    upgrade("registry", engines.database_url(name))
    return name


@dataclass
class Registry:
    service: RunningService
    api: RegistryApi

    @property
    def runtime(self) -> ServiceRuntime:
        return self.service.runtime


@pytest.fixture
async def registry(env: TestEnv) -> AsyncIterator[Registry]:
    async with running_service(env, "registry") as service:
        yield Registry(service, RegistryApi(service.client))
