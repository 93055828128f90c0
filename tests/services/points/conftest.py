"""The points service running in-process on the test's own database and event namespace."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timezone

import pytest

from libs.kit.clock import FixedClock
from tests.harness.services import RunningService, TestEnv, running_service

# Mid-2024 (the scheme is in force from 2024-04-15); tests move the clock explicitly.
NOW = datetime(2024, 6, 1, 4, 0, tzinfo=timezone.utc)


@pytest.fixture
async def points(env: TestEnv) -> AsyncIterator[RunningService]:
    async with running_service(env, "points", checkpoint_every=5, consumer_max_deliver=3) as svc:
        svc.runtime.clock = FixedClock(NOW)
        yield svc
