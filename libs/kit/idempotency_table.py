"""The ``idempotency_keys`` table each service keeps (IETF Idempotency-Key draft behaviour).

Keys are scoped per principal: the same key from another caller is another key. The stored response is
replayed for a retry with the same body; a different body under the same key is refused.
"""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Integer, LargeBinary, MetaData, String, Table, func
from sqlalchemy.dialects.postgresql import JSONB


def idempotency_table(metadata: MetaData) -> Table:
    return Table(
        "idempotency_keys", metadata,
        Column("principal", String(200), primary_key=True),
        Column("key", String(200), primary_key=True),
        Column("method", String(10), nullable=False),
        Column("path", String(500), nullable=False),
        Column("request_sha256", String(64), nullable=False),
        Column("status", String(20), nullable=False),  # in_progress | done
        Column("response_status", Integer),
        Column("response_headers", JSONB),
        Column("response_body", LargeBinary),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("expires_at", DateTime(timezone=True), nullable=False),
    )
