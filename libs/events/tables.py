"""Outbox, inbox and dead-letter tables, added to each service's own metadata (its own schema).

Each service's Alembic tree creates them from these definitions, so the shape is defined once.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB


def outbox_table(metadata: MetaData) -> Table:
    # position orders publishing; published rows are kept so a range can be re-published.
    return Table(
        "outbox", metadata,
        Column("position", BigInteger, primary_key=True, autoincrement=True),
        Column("event_id", String(64), nullable=False, unique=True),
        Column("subject", String(255), nullable=False),
        Column("type", String(255), nullable=False),
        Column("payload", LargeBinary, nullable=False),
        Column("headers", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("published_at", DateTime(timezone=True)),
        Column("attempts", Integer, nullable=False, server_default=text("0")),
        Column("next_attempt_at", DateTime(timezone=True)),
        Column("last_error", Text),
        Index("ix_outbox_unpublished", "position", postgresql_where=text("published_at IS NULL")),
    )


def inbox_table(metadata: MetaData) -> Table:
    # (consumer, event_id) unique: the effect and this row commit together, so a redelivery is a no-op.
    return Table(
        "inbox", metadata,
        Column("consumer", String(100), primary_key=True),
        Column("event_id", String(64), primary_key=True),
        Column("type", String(255), nullable=False),
        Column("payload_sha256", String(64), nullable=False),
        Column("stream_seq", BigInteger),
        Column("processed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    )


def dead_letter_table(metadata: MetaData) -> Table:
    return Table(
        "dead_letters", metadata,
        Column("id", BigInteger, primary_key=True, autoincrement=True),
        Column("consumer", String(100), nullable=False),
        Column("event_id", String(64)),
        Column("subject", String(255), nullable=False),
        Column("type", String(255)),
        Column("payload", LargeBinary, nullable=False),
        Column("error", Text, nullable=False),
        Column("deliveries", Integer, nullable=False),
        Column("status", String(20), nullable=False, server_default=text("'parked'")),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("resolved_at", DateTime(timezone=True)),
        UniqueConstraint("consumer", "event_id", "status", name="uq_dead_letters_consumer_event_status"),
    )


def event_tables(metadata: MetaData) -> tuple[Table, Table, Table]:
    return outbox_table(metadata), inbox_table(metadata), dead_letter_table(metadata)
