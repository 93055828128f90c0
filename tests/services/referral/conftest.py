"""Fixtures of the referral service tests: the service running in-process on real PostgreSQL and JetStream,
with its directory replica fed the alliance of ``helpers`` through its real registry consumer."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.harness.services import RunningService, TestEnv, running_service
from tests.services.referral.helpers import apply_registry, directory_events


@pytest.fixture
async def svc(env: TestEnv) -> AsyncIterator[RunningService]:
    async with running_service(env, "referral") as running:
        await apply_registry(running, *directory_events())
        yield running
