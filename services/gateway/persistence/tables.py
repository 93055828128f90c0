"""Tables of the gateway, in its own schema ``gateway``: WeChat bindings, one-time bind codes, security audit.

No raw openid is stored: only a keyed HMAC of it (``openid_digest``), enough to find the binding again.
Bind codes are stored as SHA-256 digests, so a database reader cannot use them.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, DateTime, Index, Integer, String, Table, func

from libs.kit.db import make_metadata

SCHEMA = "gateway"
metadata = make_metadata(SCHEMA)

wechat_bindings = Table(
    "wechat_bindings", metadata,
    Column("openid_digest", String(64), primary_key=True),
    # One WeChat account per doctor: binding again with a new code replaces the old one.
    Column("doctor_id", String(64), nullable=False, unique=True),
    Column("alliance_id", String(64)),
    Column("institution_id", String(64)),
    Column("bound_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

bind_codes = Table(
    "bind_codes", metadata,
    Column("code_digest", String(64), primary_key=True),
    Column("doctor_id", String(64), nullable=False),
    Column("alliance_id", String(64)),
    Column("institution_id", String(64)),
    Column("issued_by", String(200), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("used_at", DateTime(timezone=True)),
)

# Append-only: the migration adds triggers that refuse UPDATE, DELETE and TRUNCATE (ENABLE ALWAYS, so
# session_replication_role=replica does not bypass them).
security_audit = Table(
    "security_audit", metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("event", String(40), nullable=False),  # authn.token | authn.wechat_login | authn.wechat_bind | authz.*
    Column("result", String(20), nullable=False),  # success | failure | denied
    Column("reason", String(60)),
    Column("subject", String(200)),
    Column("role", String(40)),
    Column("client_ip", String(64)),
    Column("method", String(10)),
    Column("path", String(500)),
    Column("status", Integer),
    Column("request_id", String(100)),
    Index("ix_security_audit_occurred_at", "occurred_at"),
    Index("ix_security_audit_subject", "subject"),
)
