"""The registry service running in-process on the test's database and JetStream namespace."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from libs.kit.runtime import ServiceRuntime
from tests.harness.services import RunningService, TestEnv, running_service
from tests.services.registry.fixtures import RegistryApi


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
