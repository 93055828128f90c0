"""``/metrics`` of a service built with the template: requests, outbox lag, consumer lag, dead letters, ledger."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text

from libs.kit.app import create_service_app
from libs.kit.metrics import inc_after_commit, ledger_entries_appended
from libs.kit.runtime import ServiceRuntime
from tests.deploy.replicas import create_evtest_schema, emit, replica
from tests.harness.waiting import eventually


@pytest.fixture
async def service(env) -> AsyncIterator[tuple[ServiceRuntime, httpx.AsyncClient]]:
    await create_evtest_schema(env)
    runtime = replica(env)
    app = create_service_app(runtime, title="evtest", description="metrics test", configure_logs=False)
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://evtest") as client:
            yield runtime, client


async def scrape(client: httpx.AsyncClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = await client.get("/metrics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(response.text) for s in family.samples}


def sample(samples: dict, name: str, **labels: str) -> float | None:
    return samples.get((name, tuple(sorted(labels.items()))))


class TestServiceMetrics:
    async def test_requests_are_counted_by_route_template(self, service) -> None:
        _, client = service
        before = sample(await scrape(client), "http_requests_total", service="evtest", method="GET",
                        route="/admin/dead-letters", status="200") or 0
        for _ in range(3):
            assert (await client.get("/admin/dead-letters")).status_code == 200
        await client.get("/no/such/7f3a")
        await client.get("/health")  # probes are not counted
        samples = await scrape(client)
        assert sample(samples, "http_requests_total", service="evtest", method="GET",
                      route="/admin/dead-letters", status="200") == before + 3
        assert sample(samples, "http_requests_total", service="evtest", method="GET", route="unmatched",
                      status="404") is not None
        assert not any(labels and dict(labels).get("route") == "/health" for _, labels in samples)
        assert sample(samples, "http_request_duration_seconds_count", service="evtest", method="GET",
                      route="/admin/dead-letters") is not None

    async def test_outbox_lag_and_relay_leadership(self, service) -> None:
        runtime, client = service
        await eventually(lambda: scrape(client), until=lambda s: sample(s, "outbox_relay_leader", service="evtest")
                         == 1.0, what="relay leads")
        assert runtime.relay is not None
        await runtime.relay.stop()  # the relay is down: the outbox grows
        await emit(runtime, 1, 2, 3)
        samples = await scrape(client)
        assert sample(samples, "outbox_unpublished_rows", service="evtest") == 3.0
        assert (sample(samples, "outbox_oldest_unpublished_age_seconds", service="evtest") or 0) >= 0.0
        assert sample(samples, "outbox_relay_leader", service="evtest") == 0.0

    async def test_consumer_lag_and_dead_letters(self, service) -> None:
        runtime, client = service
        consumer = runtime.consumers[0]
        await consumer.stop()  # the consumer falls behind
        [loop] = [t for t in runtime._tasks if t.get_name() == consumer.name]
        await asyncio.wait_for(loop, timeout=20)  # its last fetch has returned: nothing more is pulled
        await emit(runtime, 4, 5)
        await eventually(lambda: scrape(client), what="two pending messages", until=lambda s: sample(
            s, "events_consumer_pending_messages", service="evtest", consumer="evtest-from-evtest") == 2.0)
        await consumer.process(b"{not an envelope", subject="alliance.evtest.thing.happened")
        samples = await scrape(client)
        assert sample(samples, "events_dead_letters_parked", service="evtest") == 1.0
        assert (sample(samples, "events_consumer_messages_total", consumer="evtest-from-evtest",
                       outcome="parked") or 0) >= 1.0


class TestLedgerCounter:
    async def test_counted_on_commit_only(self, service) -> None:
        runtime, _ = service
        before = REGISTRY.get_sample_value("ledger_entries_appended_total") or 0.0
        async with runtime.transaction() as session:
            await session.execute(text("SELECT 1"))
            inc_after_commit(session, ledger_entries_appended, 2)
        assert REGISTRY.get_sample_value("ledger_entries_appended_total") == before + 2
        with pytest.raises(RuntimeError):
            async with runtime.transaction() as session:
                inc_after_commit(session, ledger_entries_appended, 5)
                raise RuntimeError("the append was refused")
        async with runtime.transaction() as session:  # a later commit does not count the rolled-back append
            await session.execute(text("SELECT 1"))
        assert REGISTRY.get_sample_value("ledger_entries_appended_total") == before + 2
