"""The 积分 ledger: append-only event store, signed checkpoints, projections, year close snapshots,
directory replica, catalog and redemptions; the non-owner app role and the guards that make the ledger
append-only in the database itself.

The DDL is frozen here as SQL (a migration never imports service modules that may change later);
``services/points/persistence/tables.py`` declares the same tables for queries, and a test compares them.

Why two guards: the service connects as the owner's login but runs as ``points_app`` (asyncpg server setting
``role``), which has no UPDATE/DELETE/TRUNCATE privilege on append-only tables → "permission denied". The
owner (and anyone who becomes it) still meets BEFORE UPDATE/DELETE/TRUNCATE triggers that raise; they are
``ENABLE ALWAYS`` so they also fire with ``session_replication_role = replica``.

Revision ID: points_0002
Revises: points_0001
Create Date: 2026-11-22
"""

from alembic import op

revision = "points_0002"
down_revision = "points_0001"
branch_labels = None
depends_on = None

APP_ROLE = "points_app"
APPEND_ONLY = ("ledger_entries", "ledger_checkpoints", "year_closes", "year_close_totals")

TABLES = """
CREATE TABLE points.ledger_head (
    id SMALLINT NOT NULL,
    position BIGINT NOT NULL,
    head_hash BYTEA NOT NULL,
    checkpoint_position BIGINT NOT NULL,
    CONSTRAINT pk_ledger_head PRIMARY KEY (id),
    CONSTRAINT ck_ledger_head_single_row CHECK (id = 1)
);
INSERT INTO points.ledger_head (id, position, head_hash, checkpoint_position)
VALUES (1, 0, decode(repeat('00', 32), 'hex'), 0);

CREATE TABLE points.ledger_entries (
    position BIGINT NOT NULL,
    entry_id VARCHAR(128) NOT NULL,
    stream VARCHAR(160) NOT NULL,
    stream_version INTEGER NOT NULL,
    entry_type VARCHAR(20) NOT NULL,
    alliance_id VARCHAR(128) NOT NULL,
    doctor_id VARCHAR(128),
    unit_id VARCHAR(128),
    debit_account VARCHAR(160) NOT NULL,
    credit_account VARCHAR(160) NOT NULL,
    amount_tenths BIGINT NOT NULL,
    rule_code VARCHAR(20),
    scheme_id VARCHAR(64),
    scheme_version INTEGER,
    variant VARCHAR(64),
    quantity INTEGER,
    area VARCHAR(32),
    reverses VARCHAR(128),
    redemption_id VARCHAR(128),
    source_event_id VARCHAR(200),
    once_key VARCHAR(300),
    actor VARCHAR(200),
    memo TEXT,
    occurred_at TIMESTAMP WITH TIME ZONE NOT NULL,
    recorded_at TIMESTAMP WITH TIME ZONE NOT NULL,
    business_date DATE NOT NULL,
    balance_after_tenths BIGINT NOT NULL,
    canonical BYTEA NOT NULL,
    prev_hash BYTEA NOT NULL,
    hash BYTEA NOT NULL,
    CONSTRAINT pk_ledger_entries PRIMARY KEY (position),
    CONSTRAINT ck_ledger_entries_positions CHECK (position > 0 AND stream_version > 0),
    CONSTRAINT ck_ledger_entries_amount CHECK (amount_tenths > 0 AND amount_tenths <= 10000000000),
    CONSTRAINT ck_ledger_entries_entry_type CHECK (entry_type IN ('award','reversal','redemption_hold',
        'redemption_confirm','redemption_void','adjustment')),
    CONSTRAINT ck_ledger_entries_hashes CHECK (octet_length(hash) = 32 AND octet_length(prev_hash) = 32),
    CONSTRAINT uq_ledger_entries_entry_id UNIQUE (entry_id),
    CONSTRAINT uq_ledger_entries_source_event_id UNIQUE (source_event_id)
);
CREATE UNIQUE INDEX uq_ledger_entries_stream_version ON points.ledger_entries (stream, stream_version);
CREATE INDEX ix_ledger_entries_reverses ON points.ledger_entries (reverses) WHERE reverses IS NOT NULL;
CREATE INDEX ix_ledger_entries_redemption_id ON points.ledger_entries (redemption_id)
    WHERE redemption_id IS NOT NULL;

CREATE TABLE points.ledger_checkpoints (
    position BIGINT NOT NULL,
    head_hash BYTEA NOT NULL,
    count BIGINT NOT NULL,
    created_at TIMESTAMP WITH TIME ZONE NOT NULL,
    signature BYTEA NOT NULL,
    key_id VARCHAR(32) NOT NULL,
    CONSTRAINT pk_ledger_checkpoints PRIMARY KEY (position)
);

CREATE TABLE points.balances (
    account VARCHAR(160) NOT NULL,
    kind VARCHAR(10) NOT NULL,
    owner VARCHAR(128) NOT NULL,
    balance_tenths BIGINT NOT NULL,
    version INTEGER NOT NULL,
    CONSTRAINT pk_balances PRIMARY KEY (account),
    CONSTRAINT ck_balances_not_negative CHECK (kind IN ('issuing', 'redeemed') OR balance_tenths >= 0)
);

CREATE TABLE points.earnings (
    alliance_id VARCHAR(128) NOT NULL,
    scope VARCHAR(6) NOT NULL,
    year SMALLINT NOT NULL,
    area VARCHAR(32) NOT NULL,
    subject VARCHAR(128) NOT NULL,
    points_tenths BIGINT NOT NULL,
    CONSTRAINT pk_earnings PRIMARY KEY (alliance_id, scope, year, area, subject)
);
CREATE INDEX ix_earnings_rank ON points.earnings (alliance_id, scope, year, area, points_tenths DESC, subject);

CREATE TABLE points.flows (
    alliance_id VARCHAR(128) NOT NULL,
    year SMALLINT NOT NULL,
    kind VARCHAR(10) NOT NULL,
    net_tenths BIGINT NOT NULL,
    CONSTRAINT pk_flows PRIMARY KEY (alliance_id, year, kind)
);

CREATE TABLE points.year_stats (
    alliance_id VARCHAR(128) NOT NULL,
    year SMALLINT NOT NULL,
    entries BIGINT NOT NULL,
    CONSTRAINT pk_year_stats PRIMARY KEY (alliance_id, year)
);

CREATE TABLE points.once_keys (
    account VARCHAR(160) NOT NULL,
    once_key VARCHAR(300) NOT NULL,
    entry_id VARCHAR(128) NOT NULL,
    CONSTRAINT pk_once_keys PRIMARY KEY (account, once_key)
);

CREATE TABLE points.year_closes (
    alliance_id VARCHAR(128) NOT NULL,
    year SMALLINT NOT NULL,
    closed_at TIMESTAMP WITH TIME ZONE NOT NULL,
    head_position BIGINT NOT NULL,
    head_hash BYTEA NOT NULL,
    entry_count BIGINT NOT NULL,
    actor VARCHAR(200) NOT NULL,
    event_id VARCHAR(64) NOT NULL,
    CONSTRAINT pk_year_closes PRIMARY KEY (alliance_id, year)
);

CREATE TABLE points.year_close_totals (
    alliance_id VARCHAR(128) NOT NULL,
    year SMALLINT NOT NULL,
    scope VARCHAR(6) NOT NULL,
    subject VARCHAR(128) NOT NULL,
    points_tenths BIGINT NOT NULL,
    CONSTRAINT pk_year_close_totals PRIMARY KEY (alliance_id, year, scope, subject)
);

CREATE TABLE points.dev_signing_key (
    id SMALLINT NOT NULL,
    private_pem TEXT NOT NULL,
    created_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL,
    CONSTRAINT pk_dev_signing_key PRIMARY KEY (id),
    CONSTRAINT ck_dev_signing_key_single_row CHECK (id = 1)
);

CREATE TABLE points.dir_institutions (
    institution_id VARCHAR(128) NOT NULL,
    name VARCHAR(200) NOT NULL,
    region_code VARCHAR(12) NOT NULL,
    CONSTRAINT pk_dir_institutions PRIMARY KEY (institution_id)
);

CREATE TABLE points.dir_alliances (
    alliance_id VARCHAR(128) NOT NULL,
    name VARCHAR(200) NOT NULL,
    region_code VARCHAR(12) NOT NULL,
    status VARCHAR(30) NOT NULL,
    operating BOOLEAN NOT NULL,
    merged_into VARCHAR(128),
    CONSTRAINT pk_dir_alliances PRIMARY KEY (alliance_id)
);

CREATE TABLE points.dir_memberships (
    alliance_id VARCHAR(128) NOT NULL,
    institution_id VARCHAR(128) NOT NULL,
    role VARCHAR(20) NOT NULL,
    joined_on DATE NOT NULL,
    left_on DATE,
    CONSTRAINT pk_dir_memberships PRIMARY KEY (alliance_id, institution_id, joined_on)
);

CREATE TABLE points.dir_doctors (
    doctor_id VARCHAR(128) NOT NULL,
    display_name VARCHAR(100) NOT NULL,
    institution_id VARCHAR(128) NOT NULL,
    CONSTRAINT pk_dir_doctors PRIMARY KEY (doctor_id)
);

CREATE TABLE points.dir_doctor_units (
    doctor_id VARCHAR(128) NOT NULL,
    from_date DATE NOT NULL,
    institution_id VARCHAR(128) NOT NULL,
    to_date DATE,
    CONSTRAINT pk_dir_doctor_units PRIMARY KEY (doctor_id, from_date)
);

CREATE TABLE points.dir_positions (
    position_id VARCHAR(128) NOT NULL,
    doctor_id VARCHAR(128) NOT NULL,
    alliance_id VARCHAR(128) NOT NULL,
    society VARCHAR(200) NOT NULL,
    title VARCHAR(20) NOT NULL,
    start_date DATE NOT NULL,
    end_date DATE,
    CONSTRAINT pk_dir_positions PRIMARY KEY (position_id)
);

CREATE TABLE points.catalog_items (
    item_id VARCHAR(64) NOT NULL,
    alliance_id VARCHAR(128) NOT NULL,
    name VARCHAR(100) NOT NULL,
    description VARCHAR(1000) NOT NULL,
    tier INTEGER NOT NULL,
    stock INTEGER NOT NULL,
    valid_from DATE NOT NULL,
    valid_to DATE NOT NULL,
    created_at TIMESTAMP WITH TIME ZONE NOT NULL,
    created_by VARCHAR(200) NOT NULL,
    CONSTRAINT pk_catalog_items PRIMARY KEY (item_id),
    CONSTRAINT ck_catalog_items_stock CHECK (stock >= 0),
    CONSTRAINT ck_catalog_items_tier CHECK (tier IN (100, 300, 500, 1000)),
    CONSTRAINT ck_catalog_items_validity CHECK (valid_from <= valid_to)
);
CREATE INDEX ix_points_catalog_items_alliance_id ON points.catalog_items (alliance_id);

CREATE TABLE points.redemptions (
    redemption_id VARCHAR(64) NOT NULL,
    alliance_id VARCHAR(128) NOT NULL,
    doctor_id VARCHAR(128) NOT NULL,
    item_id VARCHAR(64) NOT NULL,
    points_tenths BIGINT NOT NULL,
    state VARCHAR(10) NOT NULL,
    created_at TIMESTAMP WITH TIME ZONE NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE NOT NULL,
    hold_entry_id VARCHAR(128) NOT NULL,
    final_entry_id VARCHAR(128),
    actor VARCHAR(200) NOT NULL,
    CONSTRAINT pk_redemptions PRIMARY KEY (redemption_id),
    CONSTRAINT ck_redemptions_state CHECK (state IN ('held', 'confirmed', 'voided'))
);
CREATE INDEX ix_points_redemptions_doctor_id ON points.redemptions (doctor_id);
"""

GUARD_FUNCTION = """
CREATE FUNCTION points.refuse_ledger_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '积分账本只允许追加：% on %.% is refused (append-only; post a reversal entry instead)',
        TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END
$$;
"""

ROLE = f"""
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN
        CREATE ROLE {APP_ROLE} NOLOGIN;
    END IF;
END
$$;
"""


def upgrade() -> None:
    # One statement per execute: asyncpg prepares each statement and refuses several in one.
    for statement in filter(str.strip, TABLES.split(";\n")):
        op.execute(statement)
    op.execute(GUARD_FUNCTION)
    for table in APPEND_ONLY:
        for event, level in (("UPDATE OR DELETE", "ROW"), ("TRUNCATE", "STATEMENT")):
            name = f"{table}_refuse_{'truncate' if event == 'TRUNCATE' else 'change'}"
            op.execute(f"CREATE TRIGGER {name} BEFORE {event} ON points.{table} "
                       f"FOR EACH {level} EXECUTE FUNCTION points.refuse_ledger_change()")
            # ALWAYS: still fires under session_replication_role = replica (a classic way to skip triggers).
            op.execute(f"ALTER TABLE points.{table} ENABLE ALWAYS TRIGGER {name}")
    _grant_app_role()


def _grant_app_role() -> None:
    op.execute(ROLE)
    # The login user (the owner) may switch to the app role; the service does so on every connection.
    op.execute(f"GRANT {APP_ROLE} TO CURRENT_USER")
    op.execute(f"GRANT USAGE ON SCHEMA points TO {APP_ROLE}")
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA points TO {APP_ROLE}")
    op.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA points TO {APP_ROLE}")
    for table in APPEND_ONLY:
        op.execute(f"REVOKE UPDATE, DELETE, TRUNCATE ON points.{table} FROM {APP_ROLE}")
    op.execute(f"REVOKE INSERT, DELETE, TRUNCATE ON points.ledger_head FROM {APP_ROLE}")
    op.execute(f"REVOKE ALL ON points.alembic_version FROM {APP_ROLE}")
    # Tables added by later migrations (claims, evidence…) are usable by the app role by default; a later
    # append-only table must REVOKE like the ones above.
    op.execute(f"ALTER DEFAULT PRIVILEGES IN SCHEMA points GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES "
               f"TO {APP_ROLE}")
    op.execute(f"ALTER DEFAULT PRIVILEGES IN SCHEMA points GRANT USAGE, SELECT ON SEQUENCES TO {APP_ROLE}")


def downgrade() -> None:
    op.execute(f"ALTER DEFAULT PRIVILEGES IN SCHEMA points REVOKE ALL ON TABLES FROM {APP_ROLE}")
    op.execute(f"ALTER DEFAULT PRIVILEGES IN SCHEMA points REVOKE ALL ON SEQUENCES FROM {APP_ROLE}")
    op.execute(f"REVOKE ALL ON ALL TABLES IN SCHEMA points FROM {APP_ROLE}")
    op.execute(f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA points FROM {APP_ROLE}")
    op.execute(f"REVOKE USAGE ON SCHEMA points FROM {APP_ROLE}")
    for name in ("redemptions", "catalog_items", "dir_positions", "dir_doctor_units", "dir_doctors",
                 "dir_memberships", "dir_alliances", "dir_institutions", "dev_signing_key", "year_close_totals",
                 "year_closes", "once_keys", "year_stats", "flows", "earnings", "balances", "ledger_checkpoints",
                 "ledger_entries", "ledger_head"):
        op.execute(f"DROP TABLE points.{name}")
    op.execute("DROP FUNCTION points.refuse_ledger_change()")
