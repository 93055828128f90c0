"""Idempotent inbox consumer on a durable JetStream pull consumer.

For each message: decode (upcast, validate) → in ONE database transaction record the event id in the
inbox (unique per consumer) and run the handler → commit → ack. A redelivery finds its inbox row and
is acked without effect; the same id with a different payload is parked loudly. A message that keeps
failing is parked in ``dead_letters`` with its error after ``max_deliver`` attempts and terminated, so
the stream keeps flowing. Nothing is dropped silently: every park is a row an operator can retry.

Replicas of a service share the durable consumer (``<service>-from-<source>``): each message goes to one of them.
If the stream or the durable consumer disappears (JetStream data lost), the loop provisions them again and reads
the stream from its start; the inbox absorbs what was already applied (see ``libs.events.republish``).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from enum import Enum

from nats.errors import TimeoutError as NatsTimeoutError
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.errors import NotFoundError
from sqlalchemy import Table, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from libs.events.envelope import Envelope
from libs.events.faults import Faults
from libs.events.registry import Event, InvalidEventData, UnknownEventType, decode, known_types
from libs.events.streams import ensure_stream, stream_name, stream_subjects
from libs.kit.logging import correlation_id_var
from libs.kit.metrics import consumer_messages
from libs.kit.tracing import consumer_span

log = logging.getLogger("events.consumer")

Handler = Callable[[AsyncSession, Event], Awaitable[None]]


class RetryLater(Exception):
    """Raised by a handler when the event came too early (e.g. arrival before request): redeliver later."""


class Outcome(str, Enum):
    APPLIED = "applied"
    DUPLICATE = "duplicate"
    SKIPPED = "skipped"
    PARKED = "parked"
    RETRY = "retry"


@dataclass(frozen=True)
class ConsumerSpec:
    """What a service declares: consume ``source``'s stream with these handlers (type → handler)."""

    source: str
    handlers: Mapping[str, Handler]


class InboxConsumer:
    def __init__(self, *, service: str, spec: ConsumerSpec, sessions: async_sessionmaker[AsyncSession],
                 inbox: Table, dead_letters: Table, js: JetStreamContext | None, namespace: str,
                 max_deliver: int = 5, ack_wait: float = 30.0, batch: int = 64,
                 faults: Faults | None = None, stream_replicas: int = 1) -> None:
        self.name = f"{service}-from-{spec.source}"
        self.spec = spec
        self.sessions = sessions
        self.inbox = inbox
        self.dead_letters = dead_letters
        self.js = js
        self.namespace = namespace
        self.max_deliver = max_deliver
        self.ack_wait = ack_wait
        self.batch = batch
        self.faults = faults or Faults()
        self.stream_replicas = stream_replicas
        self._stopping = asyncio.Event()
        self.counts: dict[Outcome, int] = {o: 0 for o in Outcome}

    # ---- the message path ------------------------------------------------------------------
    async def process(self, raw: bytes, *, deliveries: int = 1, stream_seq: int | None = None,
                      subject: str = "") -> Outcome:
        """Apply one message. Also used to retry a dead letter (then without NATS)."""
        try:
            envelope = Envelope.from_bytes(raw)
        except ValueError as exc:
            return await self._park(raw, None, None, subject, f"invalid envelope: {exc}", deliveries)
        if envelope.type not in self.spec.handlers:
            if envelope.type in known_types():
                return self._count(Outcome.SKIPPED)
            return await self._park(raw, envelope.id, envelope.type, subject, "unknown event type", deliveries)
        try:
            event = decode(envelope)
        except (UnknownEventType, InvalidEventData) as exc:
            return await self._park(raw, envelope.id, envelope.type, subject, f"invalid data: {exc}", deliveries)
        return await self._apply(raw, event, deliveries, stream_seq, subject)

    async def _apply(self, raw: bytes, event: Event, deliveries: int, stream_seq: int | None,
                     subject: str) -> Outcome:
        with consumer_span(self.name, traceparent=event.envelope.traceparent, event_id=event.id,
                           event_type=event.type):
            return await self._apply_in_span(raw, event, deliveries, stream_seq, subject)

    async def _apply_in_span(self, raw: bytes, event: Event, deliveries: int, stream_seq: int | None,
                             subject: str) -> Outcome:
        token = correlation_id_var.set(event.envelope.correlationid)
        try:
            async with self.sessions() as session, session.begin():
                inserted = await session.execute(
                    pg_insert(self.inbox).values(consumer=self.name, event_id=event.id, type=event.type,
                                                 payload_sha256=self._payload_digest(event), stream_seq=stream_seq)
                    .on_conflict_do_nothing().returning(self.inbox.c.event_id))
                if inserted.first() is None:
                    return await self._duplicate(session, raw, event, subject, deliveries)
                await self.spec.handlers[event.type](session, event)
        except RetryLater:
            return self._count(Outcome.RETRY)
        except Exception as exc:
            log.warning("handler failed", extra={"consumer": self.name, "event_id": event.id,
                                                 "type": event.type, "error": repr(exc)[:500]})
            if deliveries >= self.max_deliver:
                return await self._park(raw, event.id, event.type, subject, repr(exc), deliveries)
            return self._count(Outcome.RETRY)
        finally:
            correlation_id_var.reset(token)
        return self._count(Outcome.APPLIED)

    @staticmethod
    def _payload_digest(event: Event) -> str:
        # The payload, not the whole envelope: a redelivery or re-publication carries the same data.
        return hashlib.sha256(event.envelope.model_dump_json(include={"type", "data"}).encode()).hexdigest()

    async def _duplicate(self, session: AsyncSession, raw: bytes, event: Event, subject: str,
                         deliveries: int) -> Outcome:
        stored = await session.scalar(select(self.inbox.c.payload_sha256).where(
            self.inbox.c.consumer == self.name, self.inbox.c.event_id == event.id))
        if stored == self._payload_digest(event):
            return self._count(Outcome.DUPLICATE)
        log.error("event id reused with a different payload", extra={"consumer": self.name, "event_id": event.id})
        return await self._park(raw, event.id, event.type, subject,
                                "same event id, different payload: original effect kept", deliveries)

    async def _park(self, raw: bytes, event_id: str | None, event_type: str | None, subject: str,
                    error: str, deliveries: int) -> Outcome:
        log.error("message parked in dead letters", extra={"consumer": self.name, "event_id": event_id,
                                                           "type": event_type, "error": error[:500]})
        async with self.sessions() as session, session.begin():
            await session.execute(
                pg_insert(self.dead_letters).values(
                    consumer=self.name, event_id=event_id, subject=subject, type=event_type, payload=raw,
                    error=error[:4000], deliveries=deliveries)
                .on_conflict_do_update(constraint="uq_dead_letters_consumer_event_status",
                                       set_={"error": error[:4000], "deliveries": deliveries}))
        return self._count(Outcome.PARKED)

    def _count(self, outcome: Outcome) -> Outcome:
        self.counts[outcome] += 1
        consumer_messages.labels(self.name, outcome.value).inc()
        return outcome

    # ---- the NATS loop ---------------------------------------------------------------------
    async def run(self) -> None:
        sub = await self._subscribe()
        while not self._stopping.is_set():
            try:
                msgs = await sub.fetch(self.batch, timeout=1.0)
            except (TimeoutError, NatsTimeoutError):
                continue
            except Exception as exc:  # disconnected: nats-py reconnects by itself
                log.warning("fetch failed", extra={"consumer": self.name, "error": repr(exc)[:300]})
                await asyncio.sleep(0.5)
                sub = await self._resubscribe_if_lost(sub)
                continue
            for msg in msgs:
                await self._handle(msg)

    async def _subscribe(self) -> JetStreamContext.PullSubscription:
        assert self.js is not None
        await ensure_stream(self.js, self.namespace, self.spec.source, replicas=self.stream_replicas)
        config = ConsumerConfig(durable_name=self.name, ack_policy=AckPolicy.EXPLICIT,
                                deliver_policy=DeliverPolicy.ALL, ack_wait=self.ack_wait, max_deliver=-1,
                                max_ack_pending=10_000)
        return await self.js.pull_subscribe(stream_subjects(self.namespace, self.spec.source)[0], durable=self.name,
                                            stream=stream_name(self.namespace, self.spec.source), config=config)

    async def _resubscribe_if_lost(self, sub: JetStreamContext.PullSubscription,
                                   ) -> JetStreamContext.PullSubscription:
        # A fetch failure is usually a disconnect (nats-py reconnects by itself). But if JetStream lost the stream or
        # the durable consumer, fetching never recovers: provision both again (the inbox absorbs the replay).
        assert self.js is not None
        try:
            await self.js.consumer_info(stream_name(self.namespace, self.spec.source), self.name)
            return sub
        except NotFoundError:
            log.warning("durable consumer lost; provisioning it again", extra={"consumer": self.name})
        except Exception:
            return sub
        try:
            await sub.unsubscribe()
        except Exception:  # the old subscription may already be gone with the connection
            pass
        try:
            return await self._subscribe()
        except Exception as exc:
            log.warning("re-subscribe failed", extra={"consumer": self.name, "error": repr(exc)[:300]})
            return sub

    async def _handle(self, msg: object) -> None:
        from nats.aio.msg import Msg

        assert isinstance(msg, Msg)
        meta = msg.metadata
        beat = asyncio.create_task(self._heartbeat(msg))
        try:
            outcome = await self.process(msg.data, deliveries=meta.num_delivered, stream_seq=meta.sequence.stream,
                                         subject=msg.subject)
        finally:
            beat.cancel()
        self.faults.hit("after_commit_before_ack")
        try:
            if outcome is Outcome.RETRY:
                await msg.nak(delay=min(30.0, 0.2 * 2 ** min(meta.num_delivered, 8)))
            elif outcome is Outcome.PARKED:
                await msg.term()
            else:
                await msg.ack()
        except Exception as exc:  # the inbox makes the redelivery harmless
            log.warning("ack failed", extra={"consumer": self.name, "error": repr(exc)[:300]})

    async def _heartbeat(self, msg: object) -> None:
        # A slow handler keeps its message: in_progress() resets AckWait so no parallel redelivery starts.
        while True:
            await asyncio.sleep(max(0.2, self.ack_wait / 3))
            try:
                await msg.in_progress()  # type: ignore[attr-defined]
            except Exception:
                return

    async def stop(self) -> None:
        self._stopping.set()


async def retry_dead_letter(consumer: InboxConsumer, session_factory: async_sessionmaker[AsyncSession],
                            letter_id: int) -> Outcome | None:
    """Re-run a parked message through the same inbox path; mark it resolved if it applied now."""
    table = consumer.dead_letters
    async with session_factory() as session:
        row = (await session.execute(select(table).where(table.c.id == letter_id))).mappings().first()
    if row is None or row["consumer"] != consumer.name or row["status"] != "parked":
        return None
    outcome = await consumer.process(bytes(row["payload"]), deliveries=1, subject=row["subject"])
    if outcome in (Outcome.APPLIED, Outcome.DUPLICATE, Outcome.SKIPPED):
        async with session_factory() as session, session.begin():
            await session.execute(table.update().where(table.c.id == letter_id)
                                  .values(status="resolved", resolved_at=func.now()))
    return outcome


__all__ = ["ConsumerSpec", "Handler", "InboxConsumer", "Outcome", "RetryLater", "retry_dead_letter"]
