"""WeChat bindings, one-time bind codes and the append-only security audit of the gateway.

Tables are spelled out here (not imported from ``persistence.tables``) so this revision keeps creating what it
created when the models move on.

Revision ID: gateway_0001
Revises:
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "gateway_0001"
down_revision = None
branch_labels = None
depends_on = None

SCHEMA = "gateway"
_TS = sa.DateTime(timezone=True)

# The audit trail must not be edited, not even by the application's own role (MLPS 8.1.4.3): the database
# refuses it. ENABLE ALWAYS keeps the triggers firing under session_replication_role=replica. Archiving rows
# older than the retention period is a DBA operation that disables the trigger explicitly.
APPEND_ONLY = (
    f"""CREATE FUNCTION {SCHEMA}.refuse_audit_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'security_audit is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
    END $$""",
    f"""CREATE TRIGGER security_audit_no_update_delete BEFORE UPDATE OR DELETE ON {SCHEMA}.security_audit
        FOR EACH ROW EXECUTE FUNCTION {SCHEMA}.refuse_audit_change()""",
    f"""CREATE TRIGGER security_audit_no_truncate BEFORE TRUNCATE ON {SCHEMA}.security_audit
        FOR EACH STATEMENT EXECUTE FUNCTION {SCHEMA}.refuse_audit_change()""",
    f"ALTER TABLE {SCHEMA}.security_audit ENABLE ALWAYS TRIGGER security_audit_no_update_delete",
    f"ALTER TABLE {SCHEMA}.security_audit ENABLE ALWAYS TRIGGER security_audit_no_truncate",
)


def upgrade() -> None:
    op.create_table(
        "wechat_bindings",
        sa.Column("openid_digest", sa.String(64)),
        sa.Column("doctor_id", sa.String(64), nullable=False),
        sa.Column("alliance_id", sa.String(64)),
        sa.Column("institution_id", sa.String(64)),
        sa.Column("bound_at", _TS, nullable=False, server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("openid_digest", name="pk_wechat_bindings"),
        sa.UniqueConstraint("doctor_id", name="uq_wechat_bindings_doctor_id"),
        schema=SCHEMA,
    )
    op.create_table(
        "bind_codes",
        sa.Column("code_digest", sa.String(64)),
        sa.Column("doctor_id", sa.String(64), nullable=False),
        sa.Column("alliance_id", sa.String(64)),
        sa.Column("institution_id", sa.String(64)),
        sa.Column("issued_by", sa.String(200), nullable=False),
        sa.Column("created_at", _TS, nullable=False, server_default=sa.func.now()),
        sa.Column("expires_at", _TS, nullable=False),
        sa.Column("used_at", _TS),
        sa.PrimaryKeyConstraint("code_digest", name="pk_bind_codes"),
        schema=SCHEMA,
    )
    op.create_table(
        "security_audit",
        sa.Column("id", sa.BigInteger, sa.Identity()),
        sa.Column("occurred_at", _TS, nullable=False),
        sa.Column("recorded_at", _TS, nullable=False, server_default=sa.func.now()),
        sa.Column("event", sa.String(40), nullable=False),
        sa.Column("result", sa.String(20), nullable=False),
        sa.Column("reason", sa.String(60)),
        sa.Column("subject", sa.String(200)),
        sa.Column("role", sa.String(40)),
        sa.Column("client_ip", sa.String(64)),
        sa.Column("method", sa.String(10)),
        sa.Column("path", sa.String(500)),
        sa.Column("status", sa.Integer),
        sa.Column("request_id", sa.String(100)),
        sa.PrimaryKeyConstraint("id", name="pk_security_audit"),
        schema=SCHEMA,
    )
    op.create_index("ix_security_audit_occurred_at", "security_audit", ["occurred_at"], schema=SCHEMA)
    op.create_index("ix_security_audit_subject", "security_audit", ["subject"], schema=SCHEMA)
    for statement in APPEND_ONLY:
        op.execute(statement)


def downgrade() -> None:
    for name in ("security_audit", "bind_codes", "wechat_bindings"):
        op.drop_table(name, schema=SCHEMA)
    op.execute(f"DROP FUNCTION {SCHEMA}.refuse_audit_change()")
