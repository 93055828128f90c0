"""Reconciliation: what each producer's outbox published vs what JetStream holds vs what each consumer applied.

``python -m libs.events.reconcile --service points [--repair] [--json]`` (exit 0 = no gap, 1 = gaps, 2 = error).

JetStream can lose acknowledged messages (a power cut without fsync, a truncated or bit-flipped block file, a wiped
store, an operator deleting a stream). The outbox keeps every row it published, and every inbox keeps every event id
it applied, so the three sets can be compared:

- **producer** (the service's own stream): ids the outbox marked published but the stream no longer holds are
  *lost in JetStream*. ``repair`` marks exactly those rows unpublished again and wakes the relay, which sends them
  with their original ``Nats-Msg-Id``; consumers' inboxes absorb anything they had already applied.
  Rows not yet published are reported as backlog, not as gaps. A *damaged* stream (it counts messages it does
  not deliver, or its sequence went back below a consumer's position — what NATS does when it recovers a damaged
  block) is rebuilt instead: deleted, created again with its configuration, the whole outbox re-published.
- **consumer** (``<service>-from-<source>``): ids of the types the consumer handles, in the source stream at or
  below the durable consumer's ack floor, that are neither in the inbox nor parked in ``dead_letters`` were
  acknowledged without being applied — reported as gaps (an alarm: nothing re-sends them by itself). Messages above
  the ack floor are still in flight and reported as pending.

Every gap is logged at ERROR level and exported as the gauge ``events_reconcile_gaps{service,side}``. The streams
are read with an ephemeral consumer (no acks, deleted afterwards); the platform's streams keep every message
(``RetentionPolicy.LIMITS`` without limits), which this comparison relies on.

Connection settings are the service's own (``<SERVICE>_DATABASE_URL``, ``<SERVICE>_NATS_URL``,
``<SERVICE>_EVENTS_NAMESPACE``, shared fallbacks, ``_FILE``), as for ``libs.events.republish``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from collections.abc import Collection, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import asyncpg
import nats
from fastapi import APIRouter
from nats.errors import TimeoutError as NatsTimeoutError
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.errors import NotFoundError
from prometheus_client import Gauge

from libs.events.envelope import Envelope
from libs.events.outbox import notify_channel
from libs.events.streams import stream_name, stream_subjects
from libs.kit.deps import RuntimeDep

log = logging.getLogger("events.reconcile")

reconcile_gaps = Gauge("events_reconcile_gaps", "Gaps found by the last reconciliation (0 = none)",
                       ["service", "side"])

SAMPLE = 20  # ids listed per report (the counts are exact)


@dataclass(frozen=True)
class StreamMessage:
    seq: int
    event_id: str | None
    type: str | None


@dataclass
class StreamContents:
    stream: str
    exists: bool
    first_seq: int = 0
    last_seq: int = 0
    messages: list[StreamMessage] = field(default_factory=list)
    lost: int = 0  # messages JetStream itself reports as lost (corrupt blocks found at start)
    state_messages: int = 0  # what the stream says it holds; more than can be read = a damaged stream

    @property
    def ids(self) -> set[str]:
        return {m.event_id for m in self.messages if m.event_id}

    @property
    def seq_gaps(self) -> int:
        """Sequence numbers between first and last that hold no message (deleted, purged or lost)."""
        if not self.messages:
            return 0
        return (self.last_seq - self.first_seq + 1) - len(self.messages)


@dataclass
class ProducerReport:
    service: str
    stream: str
    stream_exists: bool
    outbox_rows: int
    published: int
    unpublished: int  # backlog the relay has not sent yet: not a gap
    stream_messages: int
    missing_in_stream: int  # published by the outbox, not in JetStream: lost
    missing_sample: list[str]
    not_in_outbox: int  # in the stream, unknown to the outbox (foreign publisher)
    duplicates_in_stream: int  # one id stored twice (re-sent after the duplicate window): harmless
    stream_lost: int
    stream_seq_gaps: int
    unreadable: int = 0  # counted by the stream but not delivered to a consumer
    behind_consumers: bool = False  # a consumer of the stream is past its last sequence: the sequence went back
    republished: int = 0
    rebuilt: bool = False

    @property
    def damaged(self) -> bool:
        return self.unreadable > 0 or self.behind_consumers

    @property
    def gaps(self) -> int:
        return self.missing_in_stream + int(self.damaged)


@dataclass
class ConsumerReport:
    consumer: str
    source: str
    consumer_exists: bool
    ack_floor: int
    handled_types: list[str]
    expected: int  # handled-type messages at or below the ack floor
    applied: int  # of those: in the inbox
    parked: int  # of those: in dead_letters (visible to an operator)
    missing_in_inbox: int  # acknowledged but neither applied nor parked: the alarm
    missing_sample: list[str]
    pending: int  # handled-type messages above the ack floor not yet applied: in flight
    delivered_seq: int = 0
    stalled: bool = False  # the durable consumer is past messages it never delivered (the stream lost its tail)
    reset: bool = False  # repair deleted the durable consumer: the running loop provisions it again from the start

    @property
    def gaps(self) -> int:
        return self.missing_in_inbox + int(self.stalled)


@dataclass
class Reconciliation:
    service: str
    producer: ProducerReport | None
    consumers: list[ConsumerReport]

    @property
    def gaps(self) -> int:
        return (self.producer.gaps if self.producer else 0) + sum(c.gaps for c in self.consumers)

    def to_json(self) -> dict[str, Any]:
        producer = {**asdict(self.producer), "damaged": self.producer.damaged,
                    "gaps": self.producer.gaps} if self.producer else None
        return {"service": self.service, "gaps": self.gaps, "producer": producer,
                "consumers": [{**asdict(c), "gaps": c.gaps} for c in self.consumers]}


# ---- reading a stream ------------------------------------------------------------------------
async def read_stream(js: JetStreamContext, namespace: str, service: str, *, batch: int = 1000,
                      fetch_timeout: float = 2.0) -> StreamContents:
    """Every message of ``service``'s stream (seq, event id, type), read with an ephemeral no-ack consumer."""
    name = stream_name(namespace, service)
    try:
        info = await js.stream_info(name)
    except NotFoundError:
        return StreamContents(stream=name, exists=False)
    state = info.state
    lost = len(state.lost.msgs or []) if state.lost and state.lost.msgs else 0
    contents = StreamContents(stream=name, exists=True, first_seq=state.first_seq, last_seq=state.last_seq,
                              lost=lost, state_messages=state.messages)
    if state.messages == 0:
        return contents
    config = ConsumerConfig(ack_policy=AckPolicy.NONE, deliver_policy=DeliverPolicy.ALL, inactive_threshold=30.0,
                            mem_storage=True)
    sub = await js.pull_subscribe(stream_subjects(namespace, service)[0], stream=name, config=config)
    consumer_name = (await sub.consumer_info()).name
    try:
        last = 0
        while last < state.last_seq:
            try:
                msgs = await sub.fetch(batch, timeout=fetch_timeout)
            except (TimeoutError, NatsTimeoutError):
                break  # nothing more (the tail was deleted or lost)
            for msg in msgs:
                last = msg.metadata.sequence.stream
                if last > state.last_seq:
                    break  # published after the snapshot: not part of this comparison
                contents.messages.append(StreamMessage(last, *_identify(msg.headers, msg.data)))
    finally:
        try:
            await sub.unsubscribe()
            await js.delete_consumer(name, consumer_name)
        except Exception:  # an ephemeral consumer goes away by itself after inactive_threshold
            pass
    return contents


def _identify(headers: Mapping[str, str] | None, data: bytes) -> tuple[str | None, str | None]:
    event_id = (headers or {}).get("Nats-Msg-Id")
    event_type = (headers or {}).get("ce-type")
    if event_id and event_type:
        return event_id, event_type
    try:
        envelope = Envelope.from_bytes(data)
    except ValueError:
        return event_id, event_type
    return event_id or envelope.id, event_type or envelope.type


# ---- producer side ---------------------------------------------------------------------------
async def reconcile_producer(conn: asyncpg.Connection, js: JetStreamContext, *, namespace: str, service: str,
                             repair: bool = False, schema: str | None = None) -> ProducerReport:
    """Compare the outbox (search_path = the service's schema) with the service's stream; ``repair`` re-publishes.

    A *damaged* stream — it counts more messages than it delivers, or one of its consumers is past its last
    sequence (JetStream truncated it at a damaged block and numbers new messages again from there) — cannot be
    mended by sending the missing ids into it: ``repair`` rebuilds it (deleted and created again with the same
    configuration, every outbox row re-published in order; consumers provision their durables again and replay it
    through their inboxes). Otherwise ``repair`` re-publishes only the missing ids. Within JetStream's duplicate
    window (2 minutes) a re-sent id is dropped even if its message was lost: run it again after the window.
    """
    contents = await read_stream(js, namespace, service)
    behind = False
    if contents.exists:
        for info in await _consumers_of(js, contents.stream):
            if info.delivered is not None and info.delivered.stream_seq > contents.last_seq:
                behind = True
    rows = await conn.fetch("SELECT event_id, published_at IS NOT NULL AS published FROM outbox ORDER BY position")
    published = [r["event_id"] for r in rows if r["published"]]
    in_stream = contents.ids
    missing = [event_id for event_id in published if event_id not in in_stream]
    outbox_ids = {r["event_id"] for r in rows}
    ids_in_stream = [m.event_id for m in contents.messages if m.event_id]
    report = ProducerReport(
        service=service, stream=contents.stream, stream_exists=contents.exists, outbox_rows=len(rows),
        published=len(published), unpublished=len(rows) - len(published), stream_messages=len(contents.messages),
        missing_in_stream=len(missing), missing_sample=missing[:SAMPLE],
        not_in_outbox=len(in_stream - outbox_ids), duplicates_in_stream=len(ids_in_stream) - len(in_stream),
        stream_lost=contents.lost, stream_seq_gaps=contents.seq_gaps,
        unreadable=max(0, contents.state_messages - len(contents.messages)), behind_consumers=behind)
    if missing:
        log.error("events lost in JetStream: published by the outbox, missing from the stream",
                  extra={"service": service, "stream": contents.stream, "missing": len(missing),
                         "sample": missing[:5]})
    if report.damaged:
        log.error("stream damaged: it cannot deliver what it counts, or its sequence went back",
                  extra={"service": service, "stream": contents.stream, "unreadable": report.unreadable,
                         "behind_consumers": behind})
    if repair and report.damaged:
        report.republished = await rebuild_stream(conn, js, contents.stream, schema=schema)
        report.rebuilt = True
        log.warning("stream rebuilt from the outbox", extra={"service": service, "count": report.republished})
    elif repair and missing:
        report.republished = await mark_unpublished(conn, missing, schema=schema)
        log.warning("lost events marked for re-publication", extra={"service": service, "count": report.republished})
    reconcile_gaps.labels(service, "producer").set(report.gaps)
    return report


async def rebuild_stream(conn: asyncpg.Connection, js: JetStreamContext, stream: str, *,
                         schema: str | None = None) -> int:
    """Delete the stream, create it again with its configuration, mark every outbox row for re-publication."""
    config = (await js.stream_info(stream)).config
    await js.delete_stream(stream)
    await js.add_stream(config)
    result = await conn.execute("UPDATE outbox SET published_at = NULL, next_attempt_at = NULL, attempts = 0")
    if schema:
        await conn.execute("SELECT pg_notify($1, '')", notify_channel(schema))
    return int(result.split()[-1])


async def mark_unpublished(conn: asyncpg.Connection, event_ids: Collection[str], *, schema: str | None = None) -> int:
    """Mark these outbox rows unpublished and wake the relay (same effect as ``republish`` for a range)."""
    result = await conn.execute(
        "UPDATE outbox SET published_at = NULL, next_attempt_at = NULL, attempts = 0 WHERE event_id = ANY($1::text[])",
        list(event_ids))
    if schema:
        await conn.execute("SELECT pg_notify($1, '')", notify_channel(schema))
    return int(result.split()[-1])


# ---- consumer side ---------------------------------------------------------------------------
async def reconcile_consumer(conn: asyncpg.Connection, js: JetStreamContext, *, namespace: str, consumer: str,
                             source: str, handled_types: Iterable[str] | None = None,
                             repair: bool = False, settle_seconds: float = 1.0) -> ConsumerReport:
    """Compare ``source``'s stream with the inbox and dead letters of ``consumer`` (``<service>-from-<source>``).

    ``handled_types``: the types the consumer applies (its handlers). ``None`` = the types its inbox or dead
    letters have seen (for the command line, which does not import the services). ``repair``: a stalled durable
    consumer is deleted, so the consumer loop provisions it again and replays the stream (the inbox absorbs it).
    """
    # Order matters: the stream's head, then the consumer's position, then the messages, then the inbox. A message at
    # or below the ack floor was applied (inbox row committed) before it was acked, so the later inbox read has it.
    name = stream_name(namespace, source)
    try:
        head = (await js.stream_info(name)).state.last_seq
    except NotFoundError:
        head = 0
    exists, floor, delivered, undelivered, unacked = True, 0, 0, 0, 0
    try:
        info = await js.consumer_info(name, consumer)
        floor = info.ack_floor.stream_seq if info.ack_floor else 0
        delivered = info.delivered.stream_seq if info.delivered else 0
        undelivered, unacked = info.num_pending or 0, info.num_ack_pending or 0
    except NotFoundError:
        exists = False
    contents = await read_stream(js, namespace, source)
    inbox = {r["event_id"]: r["type"] for r in await conn.fetch(
        "SELECT event_id, type FROM inbox WHERE consumer = $1", consumer)}
    parked = {r["event_id"] for r in await conn.fetch(
        "SELECT DISTINCT event_id FROM dead_letters WHERE consumer = $1 AND event_id IS NOT NULL", consumer)}
    if handled_types is None:
        types = set(inbox.values()) | {r["type"] for r in await conn.fetch(
            "SELECT DISTINCT type FROM dead_letters WHERE consumer = $1 AND type IS NOT NULL", consumer)}
    else:
        types = set(handled_types)
    # A stream that lost its tail (a damaged block is truncated at recovery) restarts its sequence below the
    # consumer's: the durable then never delivers what is published at those numbers again — re-published or new.
    # Seen from here: the consumer is past the stream's head, or messages it has not acknowledged exist (present,
    # above its ack floor, up to the head seen before asking it) while it has nothing pending and nothing in flight.
    waiting = any(floor < m.seq <= head for m in contents.messages)
    stalled = exists and contents.exists and (delivered > head or (waiting and undelivered == 0 and unacked == 0))
    if stalled and delivered <= head:  # acks may be on their way: stalled only if it does not move at all
        await asyncio.sleep(settle_seconds)
        again = await js.consumer_info(name, consumer)
        stalled = (again.ack_floor.stream_seq if again.ack_floor else 0) == floor and not again.num_pending \
            and not again.num_ack_pending and (again.delivered.stream_seq if again.delivered else 0) == delivered
    handled = [m for m in contents.messages if m.type in types and m.event_id]
    expected = [m for m in handled if m.seq <= floor]
    missing = [m.event_id for m in expected if m.event_id not in inbox and m.event_id not in parked]
    report = ConsumerReport(
        consumer=consumer, source=source, consumer_exists=exists, ack_floor=floor, handled_types=sorted(types),
        expected=len(expected), applied=sum(1 for m in expected if m.event_id in inbox),
        parked=sum(1 for m in expected if m.event_id in parked and m.event_id not in inbox),
        missing_in_inbox=len(missing), missing_sample=[m for m in missing[:SAMPLE] if m],
        pending=sum(1 for m in handled if m.seq > floor and m.event_id not in inbox), delivered_seq=delivered,
        stalled=stalled)
    if missing:
        log.error("events acknowledged but neither applied nor parked",
                  extra={"consumer": consumer, "source": source, "missing": len(missing), "sample": missing[:5]})
    if stalled:
        log.error("durable consumer is past messages it never delivered (stream sequence went back)",
                  extra={"consumer": consumer, "source": source, "delivered_seq": delivered, "stream_last_seq": head})
        if repair:
            await js.delete_consumer(name, consumer)
            report.reset = True
            log.warning("durable consumer deleted: its loop provisions it again and replays the stream through the "
                        "inbox", extra={"consumer": consumer})
    reconcile_gaps.labels(consumer, "consumer").set(report.gaps)
    return report


# ---- a running service (admin endpoint) ------------------------------------------------------
async def reconcile_runtime(runtime: Any, *, repair: bool = False) -> Reconciliation:
    """Reconcile a started ``ServiceRuntime``: its own stream and every consumer it runs (exact handler types)."""
    s = runtime.settings
    assert runtime.js is not None, "runtime not started"
    conn = await asyncpg.connect(s.asyncpg_dsn, server_settings={"search_path": s.db_schema})
    try:
        # The producer first: its check sees a consumer past the stream's head before any repair moves either.
        producer = await reconcile_producer(conn, runtime.js, namespace=s.events_namespace, service=s.service_name,
                                            repair=repair, schema=s.db_schema)
        consumers = [await reconcile_consumer(conn, runtime.js, namespace=s.events_namespace, consumer=c.name,
                                              source=c.spec.source, handled_types=c.spec.handlers.keys(),
                                              repair=repair)
                     for c in runtime.consumers]
    finally:
        await conn.close()
    return Reconciliation(s.service_name, producer, consumers)


def reconcile_router() -> APIRouter:
    """``GET /admin/reconcile`` (report) and ``POST /admin/reconcile`` (report, then re-publish what JetStream lost)."""
    router = APIRouter(prefix="/admin/reconcile", tags=["ops"])

    @router.get("", summary="对账 outbox ↔ JetStream ↔ inbox")
    async def report(runtime: RuntimeDep) -> dict[str, Any]:
        return (await reconcile_runtime(runtime)).to_json()

    @router.post("", summary="对账并重发 JetStream 丢失的事件 reconcile and re-publish lost events")
    async def repair(runtime: RuntimeDep) -> dict[str, Any]:
        return (await reconcile_runtime(runtime, repair=True)).to_json()

    return router


# ---- command line ----------------------------------------------------------------------------
async def reconcile_service(settings: Any, *, repair: bool, types: list[str] | None = None) -> Reconciliation:
    nc = await nats.connect(settings.nats_servers, connect_timeout=5, max_reconnect_attempts=3)
    conn = await asyncpg.connect(settings.asyncpg_dsn, server_settings={"search_path": settings.db_schema})
    try:
        js = nc.jetstream(timeout=10.0)
        ns, service = settings.events_namespace, settings.service_name
        producer = await reconcile_producer(conn, js, namespace=ns, service=service, repair=repair,
                                            schema=settings.db_schema)
        consumers = []
        for source in await _sources_consumed_by(conn, js, ns, service):
            consumers.append(await reconcile_consumer(conn, js, namespace=ns, consumer=f"{service}-from-{source}",
                                                      source=source, handled_types=types, repair=repair))
        return Reconciliation(service, producer, consumers)
    finally:
        await conn.close()
        await nc.close()


async def _consumers_of(js: JetStreamContext, stream: str) -> list[Any]:
    try:
        return list(await js.consumers_info(stream))
    except NotFoundError:
        return []


async def _sources_consumed_by(conn: asyncpg.Connection, js: JetStreamContext, namespace: str,
                               service: str) -> list[str]:
    """Sources with a durable ``<service>-from-<source>`` in JetStream or rows in this service's inbox."""
    prefix = f"{service}-from-"
    names = {r["consumer"] for r in await conn.fetch("SELECT DISTINCT consumer FROM inbox")}
    names |= {r["consumer"] for r in await conn.fetch("SELECT DISTINCT consumer FROM dead_letters")}
    sources = {n[len(prefix):] for n in names if n.startswith(prefix)}
    stream_prefix = stream_name(namespace, "")
    for info in await js.streams_info():
        if info.config.name and info.config.name.startswith(stream_prefix):
            source = info.config.name[len(stream_prefix):].lower()
            try:
                await js.consumer_info(info.config.name, prefix + source)
                sources.add(source)
            except NotFoundError:
                pass
    return sorted(sources)


def _print_text(result: Reconciliation) -> None:
    p = result.producer
    if p:
        print(f"[producer] {p.service}: outbox {p.outbox_rows} rows ({p.published} published, {p.unpublished} "
              f"waiting), stream {p.stream} {'present' if p.stream_exists else 'MISSING'} with {p.stream_messages} "
              f"messages; lost in JetStream: {p.missing_in_stream}"
              + ("; DAMAGED stream" if p.damaged else "")
              + (" → rebuilt" if p.rebuilt else "")
              + (f" → {p.republished} marked for re-publication" if p.republished else ""))
    for c in result.consumers:
        print(f"[consumer] {c.consumer}: {c.expected} acknowledged, {c.applied} applied, {c.parked} parked, "
              f"{c.pending} pending; acknowledged but not applied: {c.missing_in_inbox}"
              + ("; STALLED (past undelivered messages)" if c.stalled else "")
              + (" → durable consumer reset" if c.reset else ""))
    print(f"缺口 / gaps: {result.gaps}")


def main(argv: list[str] | None = None) -> int:
    from libs.kit.settings import service_env_settings

    parser = argparse.ArgumentParser(prog="python -m libs.events.reconcile",
                                     description="compare outbox, JetStream and inbox; re-publish what JetStream lost")
    parser.add_argument("--service", required=True, help="the service (its schema, stream and consumers)")
    parser.add_argument("--repair", action="store_true",
                        help="mark events lost in JetStream for re-publication; reset stalled durable consumers")
    parser.add_argument("--types", help="comma-separated event types the service's consumers handle "
                                        "(default: the types their inboxes have seen)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args(argv)
    settings = service_env_settings(args.service)
    if not settings.database_url or not settings.nats_url:
        parser.error(f"set {args.service.upper()}_DATABASE_URL / DATABASE_URL and {args.service.upper()}_NATS_URL / "
                     "NATS_URL (or their _FILE)")
    types = [t.strip() for t in args.types.split(",") if t.strip()] if args.types else None
    try:
        result = asyncio.run(reconcile_service(settings, repair=args.repair, types=types))
    except (OSError, asyncpg.PostgresError, nats.errors.Error) as exc:
        print(f"无法对账 / failed: {exc!r}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(result.to_json(), ensure_ascii=False, indent=2))
    else:
        _print_text(result)
    return 1 if result.gaps else 0


if __name__ == "__main__":
    sys.exit(main())
