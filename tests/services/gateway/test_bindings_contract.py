"""One contract, two implementations of the binding store: PostgreSQL and in-memory."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

import pytest

from libs.kit.db import make_sessionmaker
from libs.kit.errors import Conflict
from services.gateway.settings import GatewaySettings
from services.gateway.wechat.bindings import Binding, BindingStore, IssuedCode, MemoryBindingStore, PostgresBindingStore
from tests.services.gateway.conftest import migrate_gateway

if TYPE_CHECKING:
    from tests.harness.services import TestEnv

NOW = datetime(2026, 3, 1, 8, 0, tzinfo=timezone.utc)
DOCTOR = Binding("d-1", "a-1", "i-1")


@pytest.fixture(params=["postgres", "memory"])
async def store(request: pytest.FixtureRequest, env: TestEnv) -> AsyncIterator[BindingStore]:
    if request.param == "memory":
        yield MemoryBindingStore()
        return
    await migrate_gateway(env.database_url)
    from libs.kit.db import create_engine

    engine = create_engine(GatewaySettings(database_url=env.database_url, environment="test"))
    try:
        yield PostgresBindingStore(make_sessionmaker(engine))
    finally:
        await engine.dispose()


async def issued(store: BindingStore, digest: str, binding: Binding = DOCTOR, ttl: timedelta = timedelta(hours=1)
                 ) -> None:
    await store.issue(digest, IssuedCode(binding, "unit_admin:u-1", NOW + ttl))


class TestBindingStoreContract:
    async def test_redeem_binds_and_find_returns_it(self, store: BindingStore) -> None:
        await issued(store, "c1")
        assert await store.redeem("c1", "d-1", "open-1", NOW) == DOCTOR
        assert await store.find("open-1") == DOCTOR

    async def test_unknown_used_expired_or_other_doctor_redeem_nothing(self, store: BindingStore) -> None:
        await issued(store, "c1")
        await issued(store, "c2", ttl=timedelta(seconds=-1))
        assert await store.redeem("nope", "d-1", "open-1", NOW) is None
        assert await store.redeem("c2", "d-1", "open-1", NOW) is None
        assert await store.redeem("c1", "d-2", "open-1", NOW) is None
        assert await store.redeem("c1", "d-1", "open-1", NOW) == DOCTOR
        assert await store.redeem("c1", "d-1", "open-1", NOW) is None

    async def test_account_of_another_doctor_conflicts_and_keeps_the_code(self, store: BindingStore) -> None:
        await issued(store, "c1")
        await store.redeem("c1", "d-1", "open-1", NOW)
        await issued(store, "c2", Binding("d-2"))
        with pytest.raises(Conflict):
            await store.redeem("c2", "d-2", "open-1", NOW)
        assert await store.redeem("c2", "d-2", "open-2", NOW) == Binding("d-2")

    async def test_concurrent_redemptions_of_one_code_bind_once(self, store: BindingStore) -> None:
        await issued(store, "c1")
        results = await asyncio.gather(*(store.redeem("c1", "d-1", f"open-{i}", NOW) for i in range(5)),
                                       return_exceptions=True)
        assert sum(r == DOCTOR for r in results) == 1
        assert sum(r is None for r in results) == 4
