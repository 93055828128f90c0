"""The evaluation service running in-process on the test's database and JetStream namespace."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.harness.services import RunningService, TestEnv, running_service


@pytest.fixture
async def svc(env: TestEnv) -> AsyncIterator[RunningService]:
    async with running_service(env, "evaluation") as running:
        yield running
