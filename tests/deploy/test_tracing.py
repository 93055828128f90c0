"""One trace across gateway → service → NATS → consumer, continuing the caller's W3C ``traceparent``.

The gateway runs in-process; the service (the ``evtest`` producer/consumer with one webhook-like route) is served
by a real uvicorn server behind it, with its outbox relay and inbox consumer on the real JetStream.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from fastapi import APIRouter
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from libs.events import new_envelope
from libs.events.envelope import Envelope
from libs.events.streams import stream_name
from libs.kit.app import create_service_app
from libs.kit.deps import RuntimeDep, SessionDep
from libs.kit.tracing import add_span_processor, configure_tracing
from services.gateway.app import create_app as create_gateway
from services.gateway.settings import GatewaySettings
from tests.deploy.replicas import create_evtest_schema, effect_amounts, replica
from tests.harness.waiting import eventually
from tests.libs.events.conftest import ThingHappened, tables
from tests.services.gateway.upstream import serve

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
CALLER_SPAN = "00f067aa0ba902b7"


@pytest.fixture(scope="module")
def exporter() -> InMemorySpanExporter:
    configure_tracing("tracing-test")
    exporter = InMemorySpanExporter()
    add_span_processor(SimpleSpanProcessor(exporter))
    return exporter


@pytest.fixture
def spans(exporter: InMemorySpanExporter) -> Iterator[InMemorySpanExporter]:
    exporter.clear()
    yield exporter
    exporter.clear()


def webhook_router() -> APIRouter:
    router = APIRouter()

    @router.post("/webhooks/{sender}")
    async def receive(sender: str, session: SessionDep, runtime: RuntimeDep) -> dict[str, str]:
        envelope = new_envelope(ThingHappened(amount=7, note=sender), source="/alliance/evtest")
        await runtime.outbox.add(session, envelope)
        return {"event_id": envelope.id}

    return router


@pytest.fixture
async def gateway(env) -> AsyncIterator[httpx.AsyncClient]:
    await create_evtest_schema(env)
    runtime = replica(env)
    service = create_service_app(runtime, title="evtest", description="", routers=[webhook_router()],
                                 configure_logs=False)
    async with service.router.lifespan_context(service), serve(service) as served:
        urls = {f"{s}_url": "http://127.0.0.1:9" for s in ("registry", "points", "evaluation")}
        settings = GatewaySettings(environment="test", database_url="", referral_url=served.url, **urls)
        app = create_gateway(settings)
        async with app.router.lifespan_context(app):
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw") as client:
                client.runtime = runtime  # type: ignore[attr-defined]
                yield client


def one(spans: list[ReadableSpan], **match: Any) -> ReadableSpan:
    found = [s for s in spans if all(_attr(s, k) == v for k, v in match.items())]
    assert len(found) == 1, "; ".join(f"{s.name} {s.kind} {(s.attributes or {}).get('url.path')}" for s in spans)
    return found[0]


def _attr(span: ReadableSpan, key: str) -> Any:
    return {"name": span.name, "kind": span.kind}.get(key, (span.attributes or {}).get(key))


def hex_span(span: ReadableSpan) -> str:
    assert span.context is not None
    return format(span.context.span_id, "016x")


def parent_of(span: ReadableSpan) -> str | None:
    return format(span.parent.span_id, "016x") if span.parent else None


class TestTracePropagation:
    @pytest.mark.parametrize("caller", [f"00-{TRACE_ID}-{CALLER_SPAN}-01", None], ids=["continued", "started"])
    async def test_gateway_service_event_and_consumer_share_one_trace(self, gateway, spans, caller) -> None:
        headers = {"content-type": "application/json", **({"traceparent": caller} if caller else {})}
        response = await gateway.post("/api/v1/referral/webhooks/hotline", content=b"{}", headers=headers)
        assert response.status_code == 200, response.text
        runtime = gateway.runtime
        await eventually(lambda: effect_amounts(runtime), until=lambda rows: rows == [7], what="event consumed")
        await eventually(lambda: _aval(spans.get_finished_spans()), what="consumer span",
                         until=lambda ss: any(s.kind is SpanKind.CONSUMER for s in ss))
        finished = list(spans.get_finished_spans())

        edge = one(finished, kind=SpanKind.SERVER, name="POST /api/v1/{service}/{path}")
        service = one(finished, kind=SpanKind.SERVER, name="POST /webhooks/{sender}")
        consumer = one(finished, kind=SpanKind.CONSUMER)
        trace_ids = {s.context.trace_id for s in (edge, service, consumer) if s.context}
        assert len(trace_ids) == 1
        if caller:
            assert trace_ids == {int(TRACE_ID, 16)} and parent_of(edge) == CALLER_SPAN
        assert hex_span(edge) in ancestors(service, finished)  # gateway → service (traceparent header)
        assert hex_span(service) in ancestors(consumer, finished)  # service → NATS → consumer

        # The event carries the span that wrote it, in its envelope and in the NATS headers; the consumer's
        # span is that span's child.
        envelope, headers_on_nats = await _published(runtime)
        assert envelope.traceparent is not None
        assert envelope.traceparent[:-2] == f"00-{format(next(iter(trace_ids)), '032x')}-{parent_of(consumer)}-"
        assert headers_on_nats["traceparent"] == envelope.traceparent
        assert consumer.attributes and consumer.attributes["messaging.message.id"] == envelope.id


def ancestors(span: ReadableSpan, spans: list[ReadableSpan]) -> list[str]:
    by_id = {hex_span(s): s for s in spans}
    chain, parent = [], parent_of(span)
    while parent is not None:
        chain.append(parent)
        parent = parent_of(by_id[parent]) if parent in by_id else None
    return chain


async def _published(runtime: Any) -> tuple[Envelope, dict[str, str]]:
    async with runtime.transaction() as session:
        row = (await session.execute(tables.outbox.select())).mappings().one()
    message = await runtime.js.get_msg(stream_name(runtime.settings.events_namespace, "evtest"), 1)
    return Envelope.from_bytes(row["payload"]), dict(message.headers or {})


async def _aval(value: Any) -> Any:
    return value
