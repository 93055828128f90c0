"""Prometheus metrics at ``/metrics`` for every service and the gateway. One registry per process.

What is measured and where:
- HTTP requests and latencies: ``MetricsMiddleware`` (route *templates*, never raw paths, so ids do not explode
  the label space);
- outbox lag (unpublished rows, age of the oldest), parked dead letters, consumer lag (JetStream ``num_pending``)
  and relay leadership: read when Prometheus scrapes (``refresh_runtime_gauges``), so they are exact at that moment.
  Every replica reports the same shared-table numbers: aggregate them with ``max by (service)``;
- messages handled per consumer and outcome: counted by the inbox consumer;
- ledger entries appended: ``ledger_entries_appended``, incremented by the points service — use
  ``inc_after_commit(session, ledger_entries_appended, n)`` so a rolled-back append is never counted.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING, Any

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, Counter, Gauge, Histogram, generate_latest
from sqlalchemy import event, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from libs.events.streams import stream_name

if TYPE_CHECKING:
    from libs.kit.runtime import ServiceRuntime

log = logging.getLogger("metrics")

http_requests = Counter("http_requests_total", "HTTP requests answered", ["service", "method", "route", "status"])
http_request_duration = Histogram("http_request_duration_seconds", "HTTP request latency (until the response ends)",
                                  ["service", "method", "route"])
outbox_unpublished = Gauge("outbox_unpublished_rows", "Outbox rows not yet published to JetStream", ["service"])
outbox_oldest_age = Gauge("outbox_oldest_unpublished_age_seconds",
                          "Age of the oldest unpublished outbox row (0 when drained)", ["service"])
relay_leader = Gauge("outbox_relay_leader", "1 if this replica's relay holds the outbox advisory lock", ["service"])
consumer_pending = Gauge("events_consumer_pending_messages", "JetStream messages not yet delivered to the consumer",
                         ["service", "consumer"])
consumer_ack_pending = Gauge("events_consumer_ack_pending_messages", "Delivered but not yet acknowledged",
                             ["service", "consumer"])
consumer_messages = Counter("events_consumer_messages_total", "Messages handled by an inbox consumer, by outcome",
                            ["consumer", "outcome"])
dead_letters_parked = Gauge("events_dead_letters_parked", "Parked dead letters waiting for an operator", ["service"])
ledger_entries_appended = Counter("ledger_entries_appended_total", "Entries appended to the points ledger")
refresh_errors = Counter("metrics_refresh_errors_total", "Gauges that could not be read at scrape time", ["what"])

_OPS_PATHS = frozenset({"/health", "/ready", "/metrics"})
_REFRESH_TIMEOUT_SECONDS = 3.0


def metrics_response() -> Response:
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)


def inc_after_commit(session: AsyncSession, counter: Counter, amount: float = 1) -> None:
    """Increment ``counter`` when the session's transaction commits; nothing if it rolls back."""
    sync = session.sync_session

    def committed(_: Any) -> None:
        counter.inc(amount)
        if event.contains(sync, "after_rollback", rolled_back):
            event.remove(sync, "after_rollback", rolled_back)

    def rolled_back(_: Any) -> None:
        if event.contains(sync, "after_commit", committed):
            event.remove(sync, "after_commit", committed)

    event.listen(sync, "after_commit", committed, once=True)
    event.listen(sync, "after_rollback", rolled_back, once=True)


async def refresh_runtime_gauges(runtime: ServiceRuntime) -> None:
    """Read outbox lag, dead letters, relay leadership and consumer lag now (called by ``/metrics``)."""
    service = runtime.settings.service_name
    relay_leader.labels(service).set(1 if runtime.relay is not None and runtime.relay.is_leader else 0)
    await _guarded("database", _refresh_tables(runtime, service))
    for consumer in runtime.consumers:
        await _guarded("consumer", _refresh_consumer(runtime, service, consumer.name, consumer.spec.source))


async def _guarded(what: str, refresh: Any) -> None:
    # A scrape must answer even when PostgreSQL or NATS is down: the gauge keeps its last value, the error counts.
    try:
        await asyncio.wait_for(refresh, timeout=_REFRESH_TIMEOUT_SECONDS)
    except Exception as exc:
        refresh_errors.labels(what).inc()
        log.warning("metrics refresh failed", extra={"what": what, "error": repr(exc)[:300]})


async def _refresh_tables(runtime: ServiceRuntime, service: str) -> None:
    if runtime.engine is None:
        return
    outbox, letters = runtime.tables.outbox, runtime.tables.dead_letters
    async with runtime.engine.connect() as conn:
        count, age = (await conn.execute(
            select(func.count(), func.extract("epoch", func.now() - func.min(outbox.c.created_at)))
            .where(outbox.c.published_at.is_(None)))).one()
        parked = await conn.scalar(select(func.count()).select_from(letters).where(letters.c.status == "parked"))
    outbox_unpublished.labels(service).set(count)
    outbox_oldest_age.labels(service).set(float(age or 0))
    dead_letters_parked.labels(service).set(parked or 0)


async def _refresh_consumer(runtime: ServiceRuntime, service: str, durable: str, source: str) -> None:
    if runtime.js is None:
        return
    info = await runtime.js.consumer_info(stream_name(runtime.settings.events_namespace, source), durable)
    consumer_pending.labels(service, durable).set(info.num_pending or 0)
    consumer_ack_pending.labels(service, durable).set(info.num_ack_pending or 0)


class MetricsMiddleware:
    """Counts and times every HTTP request by route template; ``/health``, ``/ready``, ``/metrics`` are left out."""

    def __init__(self, app: ASGIApp, service: str) -> None:
        self.app = app
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in _OPS_PATHS:
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = {"code": 500}

        async def send_status(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            route = route_template(scope)
            http_requests.labels(self.service, scope["method"], route, str(status["code"])).inc()
            http_request_duration.labels(self.service, scope["method"], route).observe(time.perf_counter() - started)


def route_template(scope: Scope) -> str:
    route = scope.get("route")
    return str(getattr(route, "path", None) or "unmatched")
