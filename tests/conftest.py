"""Session-wide real engines and per-test isolation. See tests/harness/."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator

import pytest

from tests.harness import databases
from tests.harness.engines import Engines, start_engines
from tests.harness.private_nats import private_nats  # noqa: F401  (fixture)
from tests.harness.services import TestEnv


@pytest.fixture(scope="session")
def engines() -> Iterator[Engines]:
    started = start_engines()  # raises with the reason if a server cannot start: never a silent skip
    try:
        yield started
    finally:
        started.stop()


@pytest.fixture(scope="session")
def template_db(engines: Engines) -> str:
    async def make() -> str:
        return await databases.create_template(engines.pg_server_url)

    name = asyncio.run(make())
    databases.migrate(engines.database_url(name))
    return name


@pytest.fixture
async def env(engines: Engines, template_db: str) -> AsyncIterator[TestEnv]:
    name = await databases.clone(engines.pg_server_url, template_db)
    try:
        yield TestEnv(database_url=engines.database_url(name), nats_url=engines.nats_url,
                      namespace=f"t{uuid.uuid4().hex[:10]}.")
    finally:
        await databases.drop(engines.pg_server_url, name)
