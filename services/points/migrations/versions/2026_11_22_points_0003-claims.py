"""积分申报 (claims) with evidence files and their review history; catalog maintenance (active, updated_*).

- ``claims``: one row per claim, its status moving submitted → approved | rejected | withdrawn (the row is
  updated under ``SELECT … FOR UPDATE``); an approved claim names the ledger entry it produced;
- ``claim_evidence``: the 佐证材料 bytes with their sha256 (PDF/JPEG/PNG, ≤ 10 MB each) — append-only;
- ``claim_transitions``: every status change with actor, reason and time — append-only;
- ``catalog_items`` gains ``active`` (停用 instead of deleting an item that has redemptions), ``updated_at``
  and ``updated_by``.

Append-only here means the same two guards as the ledger (migration ``points_0002``): the app role has no
UPDATE/DELETE/TRUNCATE privilege, and ALWAYS triggers refuse the owner too.

Revision ID: points_0003
Revises: points_0002
Create Date: 2026-11-22
"""

from alembic import op

revision = "points_0003"
down_revision = "points_0002"
branch_labels = None
depends_on = None

APP_ROLE = "points_app"
APPEND_ONLY = ("claim_evidence", "claim_transitions")

TABLES = """
CREATE TABLE points.claims (
    claim_id VARCHAR(64) NOT NULL,
    alliance_id VARCHAR(128) NOT NULL,
    doctor_id VARCHAR(128) NOT NULL,
    unit_id VARCHAR(128) NOT NULL,
    submitted_by VARCHAR(200) NOT NULL,
    rule_code VARCHAR(20) NOT NULL,
    variant VARCHAR(64) NOT NULL,
    quantity INTEGER NOT NULL,
    facts JSONB NOT NULL,
    occurred_on DATE NOT NULL,
    started_on DATE,
    description TEXT,
    scheme_id VARCHAR(64) NOT NULL,
    scheme_version INTEGER NOT NULL,
    points_tenths BIGINT NOT NULL,
    status VARCHAR(10) NOT NULL,
    reason TEXT,
    reviewed_by VARCHAR(200),
    reviewed_at TIMESTAMP WITH TIME ZONE,
    entry_id VARCHAR(128),
    created_at TIMESTAMP WITH TIME ZONE NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE NOT NULL,
    CONSTRAINT pk_claims PRIMARY KEY (claim_id),
    CONSTRAINT ck_claims_status CHECK (status IN ('submitted', 'approved', 'rejected', 'withdrawn')),
    CONSTRAINT ck_claims_quantity CHECK (quantity > 0),
    CONSTRAINT ck_claims_points CHECK (points_tenths > 0),
    CONSTRAINT ck_claims_approved_entry CHECK (status <> 'approved' OR entry_id IS NOT NULL)
);
CREATE INDEX ix_points_claims_alliance_id ON points.claims (alliance_id);
CREATE INDEX ix_points_claims_doctor_id ON points.claims (doctor_id);
CREATE INDEX ix_points_claims_unit_id ON points.claims (unit_id);
CREATE INDEX ix_claims_created ON points.claims (created_at, claim_id);

CREATE TABLE points.claim_evidence (
    evidence_id VARCHAR(64) NOT NULL,
    claim_id VARCHAR(64) NOT NULL,
    filename VARCHAR(200) NOT NULL,
    content_type VARCHAR(50) NOT NULL,
    size_bytes INTEGER NOT NULL,
    sha256 VARCHAR(64) NOT NULL,
    content BYTEA NOT NULL,
    created_at TIMESTAMP WITH TIME ZONE NOT NULL,
    CONSTRAINT pk_claim_evidence PRIMARY KEY (evidence_id),
    CONSTRAINT fk_claim_evidence_claim_id_claims FOREIGN KEY (claim_id) REFERENCES points.claims (claim_id),
    CONSTRAINT ck_claim_evidence_content_type CHECK (content_type IN ('application/pdf', 'image/jpeg',
        'image/png')),
    CONSTRAINT ck_claim_evidence_size CHECK (size_bytes > 0 AND size_bytes <= 10485760
        AND size_bytes = octet_length(content))
);
CREATE INDEX ix_points_claim_evidence_claim_id ON points.claim_evidence (claim_id);

CREATE TABLE points.claim_transitions (
    claim_id VARCHAR(64) NOT NULL,
    seq INTEGER NOT NULL,
    from_status VARCHAR(10),
    to_status VARCHAR(10) NOT NULL,
    actor VARCHAR(200) NOT NULL,
    reason TEXT,
    at TIMESTAMP WITH TIME ZONE NOT NULL,
    CONSTRAINT pk_claim_transitions PRIMARY KEY (claim_id, seq),
    CONSTRAINT fk_claim_transitions_claim_id_claims FOREIGN KEY (claim_id) REFERENCES points.claims (claim_id)
);

ALTER TABLE points.catalog_items ADD COLUMN active BOOLEAN NOT NULL DEFAULT true;
ALTER TABLE points.catalog_items ADD COLUMN updated_at TIMESTAMP WITH TIME ZONE;
ALTER TABLE points.catalog_items ADD COLUMN updated_by VARCHAR(200)
"""


def upgrade() -> None:
    # One statement per execute: asyncpg prepares each statement and refuses several in one.
    for statement in filter(str.strip, TABLES.split(";\n")):
        op.execute(statement)
    for table in APPEND_ONLY:
        for event, level in (("UPDATE OR DELETE", "ROW"), ("TRUNCATE", "STATEMENT")):
            name = f"{table}_refuse_{'truncate' if event == 'TRUNCATE' else 'change'}"
            op.execute(f"CREATE TRIGGER {name} BEFORE {event} ON points.{table} "
                       f"FOR EACH {level} EXECUTE FUNCTION points.refuse_ledger_change()")
            op.execute(f"ALTER TABLE points.{table} ENABLE ALWAYS TRIGGER {name}")
    # The default privileges of points_0002 granted the app role everything on the new tables; take back
    # what an append-only table must not allow.
    op.execute(f"GRANT SELECT, INSERT, UPDATE ON points.claims TO {APP_ROLE}")
    op.execute(f"REVOKE DELETE, TRUNCATE ON points.claims FROM {APP_ROLE}")
    for table in APPEND_ONLY:
        op.execute(f"GRANT SELECT, INSERT ON points.{table} TO {APP_ROLE}")
        op.execute(f"REVOKE UPDATE, DELETE, TRUNCATE ON points.{table} FROM {APP_ROLE}")


def downgrade() -> None:
    for name in ("updated_by", "updated_at", "active"):
        op.execute(f"ALTER TABLE points.catalog_items DROP COLUMN {name}")
    for name in ("claim_transitions", "claim_evidence", "claims"):
        op.execute(f"DROP TABLE points.{name}")
