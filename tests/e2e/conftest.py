"""End-to-end journeys: the whole platform behind the gateway on the test's own database and NATS namespace."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.e2e.stack import Stack, running_stack
from tests.harness.services import TestEnv


@pytest.fixture
async def stack(env: TestEnv) -> AsyncIterator[Stack]:
    async with running_stack(env) as running:
        yield running
