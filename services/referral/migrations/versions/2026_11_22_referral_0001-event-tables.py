"""Outbox, inbox, dead-letter and idempotency-key tables of the referral service.

Revision ID: referral_0001
Revises:
Create Date: 2026-11-22
"""

from alembic import op

from libs.events.tables import event_tables
from libs.kit.db import make_metadata
from libs.kit.idempotency_table import idempotency_table

revision = "referral_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    metadata = make_metadata("referral")
    for table in (*event_tables(metadata), idempotency_table(metadata)):
        table.create(op.get_bind())


def downgrade() -> None:
    for name in ("idempotency_keys", "dead_letters", "inbox", "outbox"):
        op.drop_table(name, schema="referral")
