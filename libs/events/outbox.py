"""Transactional outbox: the event row is written in the caller's transaction.

No dual writes: the business change and its event commit or roll back together; the relay publishes
afterwards. ``pg_notify`` in the same transaction wakes the relay at commit (never before), so
publication is prompt without polling fast.
"""

from __future__ import annotations

from sqlalchemy import Table, insert, text
from sqlalchemy.ext.asyncio import AsyncSession

from libs.events.envelope import Envelope
from libs.events.streams import subject_for


def notify_channel(schema: str) -> str:
    return f"outbox_{schema}"


class Outbox:
    def __init__(self, table: Table, *, namespace: str) -> None:
        self.table = table
        self.namespace = namespace
        self.channel = notify_channel(str(table.schema))

    def rows(self, *envelopes: Envelope) -> list[dict[str, object]]:
        return [{"event_id": e.id, "subject": subject_for(self.namespace, e.type), "type": e.type,
                 "payload": e.to_bytes(), "headers": _headers(e)} for e in envelopes]

    async def add(self, session: AsyncSession, *envelopes: Envelope) -> None:
        if not envelopes:
            return
        await session.execute(insert(self.table), self.rows(*envelopes))
        await session.execute(text("SELECT pg_notify(:channel, '')"), {"channel": self.channel})


def _headers(envelope: Envelope) -> dict[str, str]:
    headers = {"Nats-Msg-Id": envelope.id, "ce-type": envelope.type}
    if envelope.traceparent:
        headers["traceparent"] = envelope.traceparent
    if envelope.correlationid:
        headers["ce-correlationid"] = envelope.correlationid
    return headers
