"""Tables of the points service, in its own schema `points` (migration ``points_0002`` creates the same).

- ``ledger_entries``: the append-only event store (分录). Global ``position`` dense from 1, assigned under
  the append lock (the single ``ledger_head`` row); ``(stream, stream_version)`` unique; the exact hashed
  ``canonical`` bytes with ``prev_hash``/``hash``. UPDATE/DELETE/TRUNCATE are refused by the database.
- ``ledger_checkpoints``: Ed25519-signed chain heads (签名检查点), append-only too.
- projections maintained in the append transaction: ``balances`` (per account, with the stream version),
  ``earnings`` (个人/集体 per alliance × year × area, year 0 = all time, area '*' = all areas),
  ``flows`` (per alliance × year × account kind, for reconciliation), ``year_stats``, ``once_keys``.
- ``year_closes`` + ``year_close_totals``: the archived 年度封账 snapshots (append-only).
- ``dir_*``: the directory replica kept from registry events (机构、联盟、成员单位、医师任职单位历史、职务).
- ``catalog_items`` and ``redemptions`` (兑换).
- ``claims`` (积分申报) with their ``claim_evidence`` (佐证材料: bytes + sha256) and ``claim_transitions`` (the
  review history); evidence and transitions are append-only like the ledger.

Amounts are integer tenths of a point (``*_tenths``), never floats.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    PrimaryKeyConstraint,
    SmallInteger,
    String,
    Table,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB

from libs.kit.db import make_metadata
from libs.kit.runtime import EventTables

metadata = make_metadata("points")
events = EventTables.on(metadata)

ENTRY_TYPES = ("award", "reversal", "redemption_hold", "redemption_confirm", "redemption_void", "adjustment")
TENTHS_MAX = 10_000_000_000  # 10^9 points: libs.kit.amounts.POINTS_MAX

ledger_head = Table(
    "ledger_head", metadata,
    Column("id", SmallInteger, primary_key=True, autoincrement=False),
    Column("position", BigInteger, nullable=False),
    Column("head_hash", LargeBinary, nullable=False),
    Column("checkpoint_position", BigInteger, nullable=False),
    CheckConstraint("id = 1", name="single_row"),
)

ledger_entries = Table(
    "ledger_entries", metadata,
    Column("position", BigInteger, primary_key=True, autoincrement=False),
    Column("entry_id", String(128), nullable=False, unique=True),
    Column("stream", String(160), nullable=False),
    Column("stream_version", Integer, nullable=False),
    Column("entry_type", String(20), nullable=False),
    Column("alliance_id", String(128), nullable=False),
    Column("doctor_id", String(128)),
    Column("unit_id", String(128)),
    Column("debit_account", String(160), nullable=False),
    Column("credit_account", String(160), nullable=False),
    Column("amount_tenths", BigInteger, nullable=False),
    Column("rule_code", String(20)),
    Column("scheme_id", String(64)),
    Column("scheme_version", Integer),
    Column("variant", String(64)),
    Column("quantity", Integer),
    Column("area", String(32)),
    Column("reverses", String(128)),
    Column("redemption_id", String(128)),
    Column("source_event_id", String(200), unique=True),
    Column("once_key", String(300)),
    Column("actor", String(200)),
    Column("memo", Text),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Column("business_date", Date, nullable=False),
    Column("balance_after_tenths", BigInteger, nullable=False),
    Column("canonical", LargeBinary, nullable=False),
    Column("prev_hash", LargeBinary, nullable=False),
    Column("hash", LargeBinary, nullable=False),
    CheckConstraint("position > 0 AND stream_version > 0", name="positions"),
    CheckConstraint("amount_tenths > 0 AND amount_tenths <= 10000000000", name="amount"),
    CheckConstraint("entry_type IN ('award','reversal','redemption_hold','redemption_confirm',"
                    "'redemption_void','adjustment')", name="entry_type"),
    CheckConstraint("octet_length(hash) = 32 AND octet_length(prev_hash) = 32", name="hashes"),
    Index("uq_ledger_entries_stream_version", "stream", "stream_version", unique=True),
    Index("ix_ledger_entries_reverses", "reverses", postgresql_where=text("reverses IS NOT NULL")),
    Index("ix_ledger_entries_redemption_id", "redemption_id", postgresql_where=text("redemption_id IS NOT NULL")),
)

ledger_checkpoints = Table(
    "ledger_checkpoints", metadata,
    Column("position", BigInteger, primary_key=True, autoincrement=False),
    Column("head_hash", LargeBinary, nullable=False),
    Column("count", BigInteger, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("signature", LargeBinary, nullable=False),
    Column("key_id", String(32), nullable=False),
)

balances = Table(
    "balances", metadata,
    Column("account", String(160), primary_key=True),
    Column("kind", String(10), nullable=False),
    Column("owner", String(128), nullable=False),
    Column("balance_tenths", BigInteger, nullable=False),
    Column("version", Integer, nullable=False),  # entries in the stream named by this account
    # The backstop of 积分余额不足: a person's (or unit's, or pending) balance can never go below zero.
    CheckConstraint("kind IN ('issuing', 'redeemed') OR balance_tenths >= 0", name="not_negative"),
)

earnings = Table(
    "earnings", metadata,
    Column("alliance_id", String(128), nullable=False),
    Column("scope", String(6), nullable=False),  # member | unit
    Column("year", SmallInteger, nullable=False),  # 0 = all time
    Column("area", String(32), nullable=False),  # '*' = all areas
    Column("subject", String(128), nullable=False),  # doctor id or unit id
    Column("points_tenths", BigInteger, nullable=False),
    PrimaryKeyConstraint("alliance_id", "scope", "year", "area", "subject"),
    Index("ix_earnings_rank", "alliance_id", "scope", "year", "area", text("points_tenths DESC"), "subject"),
)

flows = Table(
    "flows", metadata,
    Column("alliance_id", String(128), nullable=False),
    Column("year", SmallInteger, nullable=False),
    Column("kind", String(10), nullable=False),
    Column("net_tenths", BigInteger, nullable=False),
    PrimaryKeyConstraint("alliance_id", "year", "kind"),
)

year_stats = Table(
    "year_stats", metadata,
    Column("alliance_id", String(128), nullable=False),
    Column("year", SmallInteger, nullable=False),
    Column("entries", BigInteger, nullable=False),
    PrimaryKeyConstraint("alliance_id", "year"),
)

once_keys = Table(
    "once_keys", metadata,
    Column("account", String(160), nullable=False),
    Column("once_key", String(300), nullable=False),
    Column("entry_id", String(128), nullable=False),
    PrimaryKeyConstraint("account", "once_key"),
)

year_closes = Table(
    "year_closes", metadata,
    Column("alliance_id", String(128), nullable=False),
    Column("year", SmallInteger, nullable=False),
    Column("closed_at", DateTime(timezone=True), nullable=False),
    Column("head_position", BigInteger, nullable=False),
    Column("head_hash", LargeBinary, nullable=False),
    Column("entry_count", BigInteger, nullable=False),
    Column("actor", String(200), nullable=False),
    Column("event_id", String(64), nullable=False),
    PrimaryKeyConstraint("alliance_id", "year"),
)

year_close_totals = Table(
    "year_close_totals", metadata,
    Column("alliance_id", String(128), nullable=False),
    Column("year", SmallInteger, nullable=False),
    Column("scope", String(6), nullable=False),
    Column("subject", String(128), nullable=False),
    Column("points_tenths", BigInteger, nullable=False),
    PrimaryKeyConstraint("alliance_id", "year", "scope", "subject"),
)

dev_signing_key = Table(
    "dev_signing_key", metadata,
    Column("id", SmallInteger, primary_key=True, autoincrement=False),
    Column("private_pem", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=text("now()")),
    CheckConstraint("id = 1", name="single_row"),
)

# ---- directory replica (from registry events) --------------------------------------------------------
dir_institutions = Table(
    "dir_institutions", metadata,
    Column("institution_id", String(128), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("region_code", String(12), nullable=False),
)

dir_alliances = Table(
    "dir_alliances", metadata,
    Column("alliance_id", String(128), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("region_code", String(12), nullable=False),
    Column("status", String(30), nullable=False),
    Column("operating", Boolean, nullable=False),
    Column("merged_into", String(128)),
)

dir_memberships = Table(
    "dir_memberships", metadata,
    Column("alliance_id", String(128), nullable=False),
    Column("institution_id", String(128), nullable=False),
    Column("role", String(20), nullable=False),
    Column("joined_on", Date, nullable=False),
    Column("left_on", Date),
    PrimaryKeyConstraint("alliance_id", "institution_id", "joined_on"),
)

dir_doctors = Table(
    "dir_doctors", metadata,
    Column("doctor_id", String(128), primary_key=True),
    Column("display_name", String(100), nullable=False),
    Column("institution_id", String(128), nullable=False),
)

dir_doctor_units = Table(
    "dir_doctor_units", metadata,
    Column("doctor_id", String(128), nullable=False),
    Column("from_date", Date, nullable=False),
    Column("institution_id", String(128), nullable=False),
    Column("to_date", Date),
    PrimaryKeyConstraint("doctor_id", "from_date"),
)

dir_positions = Table(
    "dir_positions", metadata,
    Column("position_id", String(128), primary_key=True),
    Column("doctor_id", String(128), nullable=False),
    Column("alliance_id", String(128), nullable=False),
    Column("society", String(200), nullable=False),
    Column("title", String(20), nullable=False),
    Column("start_date", Date, nullable=False),
    Column("end_date", Date),
)

# ---- catalog and redemptions (兑换) -------------------------------------------------------------------
catalog_items = Table(
    "catalog_items", metadata,
    Column("item_id", String(64), primary_key=True),
    Column("alliance_id", String(128), nullable=False, index=True),
    Column("name", String(100), nullable=False),
    Column("description", String(1000), nullable=False),
    Column("tier", Integer, nullable=False),
    Column("stock", Integer, nullable=False),
    Column("valid_from", Date, nullable=False),
    Column("valid_to", Date, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("created_by", String(200), nullable=False),
    # 停用 (deactivated): no longer redeemable nor shown to members; kept because redemptions refer to it.
    Column("active", Boolean, nullable=False, server_default=text("true")),
    Column("updated_at", DateTime(timezone=True)),
    Column("updated_by", String(200)),
    CheckConstraint("stock >= 0", name="stock"),
    CheckConstraint("tier IN (100, 300, 500, 1000)", name="tier"),
    CheckConstraint("valid_from <= valid_to", name="validity"),
)

redemptions = Table(
    "redemptions", metadata,
    Column("redemption_id", String(64), primary_key=True),
    Column("alliance_id", String(128), nullable=False),
    Column("doctor_id", String(128), nullable=False, index=True),
    Column("item_id", String(64), nullable=False),
    Column("points_tenths", BigInteger, nullable=False),
    Column("state", String(10), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("hold_entry_id", String(128), nullable=False),
    Column("final_entry_id", String(128)),
    Column("actor", String(200), nullable=False),
    CheckConstraint("state IN ('held', 'confirmed', 'voided')", name="state"),
)

# ---- claims (积分申报) -----------------------------------------------------------------------------------
CLAIM_STATUSES = ("submitted", "approved", "rejected", "withdrawn")
EVIDENCE_TYPES = ("application/pdf", "image/jpeg", "image/png")
EVIDENCE_MAX_BYTES = 10 * 1_048_576

claims = Table(
    "claims", metadata,
    Column("claim_id", String(64), primary_key=True),
    Column("alliance_id", String(128), nullable=False, index=True),
    Column("doctor_id", String(128), nullable=False, index=True),  # the beneficiary
    Column("unit_id", String(128), nullable=False, index=True),  # the doctor's member unit on occurred_on
    Column("submitted_by", String(200), nullable=False),  # actor: "doctor:<sub>" or "unit_admin:<sub>"
    Column("rule_code", String(20), nullable=False),
    Column("variant", String(64), nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("facts", JSONB, nullable=False),
    Column("occurred_on", Date, nullable=False),
    Column("started_on", Date),
    Column("description", Text),
    Column("scheme_id", String(64), nullable=False),
    Column("scheme_version", Integer, nullable=False),
    Column("points_tenths", BigInteger, nullable=False),  # computed by the scheme (never typed in)
    Column("status", String(10), nullable=False),
    Column("reason", Text),
    Column("reviewed_by", String(200)),
    Column("reviewed_at", DateTime(timezone=True)),
    Column("entry_id", String(128)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    CheckConstraint("status IN ('submitted', 'approved', 'rejected', 'withdrawn')", name="status"),
    CheckConstraint("quantity > 0", name="quantity"),
    CheckConstraint("points_tenths > 0", name="points"),
    CheckConstraint("status <> 'approved' OR entry_id IS NOT NULL", name="approved_entry"),
    Index("ix_claims_created", "created_at", "claim_id"),
)

claim_evidence = Table(
    "claim_evidence", metadata,
    Column("evidence_id", String(64), primary_key=True),
    Column("claim_id", String(64), ForeignKey("points.claims.claim_id"), nullable=False, index=True),
    Column("filename", String(200), nullable=False),
    Column("content_type", String(50), nullable=False),
    Column("size_bytes", Integer, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("content", LargeBinary, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    CheckConstraint("content_type IN ('application/pdf', 'image/jpeg', 'image/png')", name="content_type"),
    CheckConstraint("size_bytes > 0 AND size_bytes <= 10485760 AND size_bytes = octet_length(content)",
                    name="size"),
)

claim_transitions = Table(
    "claim_transitions", metadata,
    Column("claim_id", String(64), ForeignKey("points.claims.claim_id"), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("from_status", String(10)),
    Column("to_status", String(10), nullable=False),
    Column("actor", String(200), nullable=False),
    Column("reason", Text),
    Column("at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("claim_id", "seq"),
)

APPEND_ONLY = ("ledger_entries", "ledger_checkpoints", "year_closes", "year_close_totals", "claim_evidence",
               "claim_transitions")
