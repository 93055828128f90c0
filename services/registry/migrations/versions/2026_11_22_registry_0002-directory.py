"""Directory tables: institutions, alliances and their 备案 transitions, members, documents, council terms,
doctors and their unit periods, positions, dissolution flags.

Revision ID: registry_0002
Revises: registry_0001
Create Date: 2026-11-22

The table definitions are copied here (not imported from the service) so this migration never changes when the
service's tables module does. ``alliance_transitions`` is the audit trail of the 备案 lifecycle: a trigger refuses
UPDATE and DELETE on it, so the record cannot be rewritten by code either.
"""

from alembic import op
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
    MetaData,
    String,
    Table,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

from libs.kit.db import make_metadata

revision = "registry_0002"
down_revision = "registry_0001"
branch_labels = None
depends_on = None

TABLES = ("dissolution_flags", "positions", "doctor_units", "doctors", "council_terms", "alliance_documents",
          "alliance_members", "alliance_transitions", "alliances", "institutions")


def upgrade() -> None:
    bind = op.get_bind()
    _tables().create_all(bind)
    for statement in IMMUTABLE_TRANSITIONS:
        op.execute(statement)


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS alliance_transitions_append_only ON registry.alliance_transitions")
    op.execute("DROP FUNCTION IF EXISTS registry.refuse_transition_change()")
    for name in TABLES:
        op.drop_table(name, schema="registry")


IMMUTABLE_TRANSITIONS = (
    """CREATE FUNCTION registry.refuse_transition_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'alliance_transitions is append-only (audit trail of the filing lifecycle)';
END $$""",
    """CREATE TRIGGER alliance_transitions_append_only BEFORE UPDATE OR DELETE ON registry.alliance_transitions
    FOR EACH ROW EXECUTE FUNCTION registry.refuse_transition_change()""",
)


def _tables() -> MetaData:
    metadata = make_metadata("registry")

    def _stamps() -> list[Column]:  # type: ignore[type-arg]
        return [Column("created_at", DateTime(timezone=True), nullable=False),
                Column("updated_at", DateTime(timezone=True), nullable=False)]

    Table(
        "institutions", metadata,
        Column("id", String(36), primary_key=True),
        Column("name", String(100), nullable=False),
        Column("uscc", String(18), nullable=False, unique=True),
        Column("region_code", String(6), nullable=False, index=True),
        Column("nature", String(20), nullable=False),
        Column("grade", String(10), nullable=False),
        Column("admin_rank", String(30), nullable=False),
        Column("authorised_beds", Integer, nullable=False),
        Column("open_beds", Integer, nullable=False),
        Column("staff_total", Integer, nullable=False),
        Column("doctors", Integer, nullable=False),
        Column("nurses", Integer, nullable=False),
        Column("pharmacists", Integer, nullable=False),
        Column("technicians", Integer, nullable=False),
        Column("national_key_specialties", ARRAY(String(20)), nullable=False),
        Column("provincial_key_specialties", ARRAY(String(20)), nullable=False),
        Column("city_key_specialties", ARRAY(String(20)), nullable=False),
        Column("registered_by", String(200), nullable=False),
        Column("registered_by_alliance_id", String(36)),
        Column("version", Integer, nullable=False),
        *_stamps(),
        CheckConstraint("authorised_beds >= 0 AND open_beds >= 0", name="beds"),
        CheckConstraint("doctors + nurses + pharmacists + technicians <= staff_total", name="staff"),
    )

    Table(
        "alliances", metadata,
        Column("id", String(36), primary_key=True),
        Column("name", String(100), nullable=False),
        Column("region_code", String(6), nullable=False, index=True),
        Column("specialty_code", String(20), nullable=False),
        Column("service_area_whole_province", Boolean, nullable=False),
        Column("service_area_description", String(200)),
        Column("chair", JSONB, nullable=False),
        Column("secretary", JSONB, nullable=False),
        Column("lead_institution_id", String(36), ForeignKey("institutions.id"), nullable=False),
        Column("authority_region_code", String(6), nullable=False),
        Column("authority_level", String(10), nullable=False),
        Column("authority_name", String(100), nullable=False),
        Column("authority_basis", String(200), nullable=False),
        Column("specialty_summary", Text, nullable=False),
        Column("figures", JSONB, nullable=False),
        Column("status", String(20), nullable=False),
        Column("founded_on", Date),
        Column("merged_into_id", String(36)),
        Column("created_by", String(200), nullable=False),
        Column("created_by_role", String(30), nullable=False),
        Column("version", Integer, nullable=False),
        *_stamps(),
        # Backstop of the domain's one-per-level check (taken under an advisory lock): a race cannot slip through.
        Index("uq_alliances_slot", "specialty_code", "authority_region_code", unique=True,
              postgresql_where=text("status IN ('submitted', 'approved', 'preparing', 'operating')")),
    )

    Table(
        "alliance_transitions", metadata,
        Column("id", BigInteger, primary_key=True, autoincrement=True),
        Column("alliance_id", String(36), ForeignKey("alliances.id"), nullable=False, index=True),
        Column("action", String(20), nullable=False),
        Column("from_status", String(20)),
        Column("to_status", String(20), nullable=False),
        Column("actor", String(200), nullable=False),
        Column("actor_role", String(30), nullable=False),
        Column("at", DateTime(timezone=True), nullable=False),
        Column("business_date", Date, nullable=False),
        Column("reason", Text),
        Column("details", JSONB, nullable=False),
        Column("event_id", String(64), nullable=False),
    )

    Table(
        "alliance_members", metadata,
        Column("id", BigInteger, primary_key=True, autoincrement=True),
        Column("alliance_id", String(36), ForeignKey("alliances.id"), nullable=False, index=True),
        Column("institution_id", String(36), ForeignKey("institutions.id"), nullable=False, index=True),
        Column("role", String(20), nullable=False),
        Column("head", JSONB),
        Column("joined_on", Date, nullable=False),
        Column("left_on", Date),
        Column("recorded_by", String(200), nullable=False),
        *_stamps(),
        CheckConstraint("left_on IS NULL OR left_on >= joined_on", name="dates"),
        Index("uq_alliance_members_open", "alliance_id", "institution_id", unique=True,
              postgresql_where=text("left_on IS NULL")),
    )

    Table(
        "alliance_documents", metadata,
        Column("id", String(36), primary_key=True),
        Column("alliance_id", String(36), ForeignKey("alliances.id"), nullable=False, index=True),
        Column("kind", String(20), nullable=False),
        Column("filename", String(200), nullable=False),
        Column("content_type", String(100), nullable=False),
        Column("size_bytes", Integer, nullable=False),
        Column("sha256", String(64), nullable=False),
        Column("content", LargeBinary, nullable=False),
        Column("uploaded_by", String(200), nullable=False),
        Column("uploaded_at", DateTime(timezone=True), nullable=False),
        CheckConstraint("size_bytes = octet_length(content)", name="size"),
    )

    Table(
        "council_terms", metadata,
        Column("id", BigInteger, primary_key=True, autoincrement=True),
        Column("alliance_id", String(36), ForeignKey("alliances.id"), nullable=False),
        Column("number", Integer, nullable=False),
        Column("starts_on", Date, nullable=False),
        Column("ends_on", Date, nullable=False),
        Column("seats", JSONB, nullable=False),
        Column("recorded_by", String(200), nullable=False),
        Column("recorded_at", DateTime(timezone=True), nullable=False),
        Index("uq_council_terms_alliance_number", "alliance_id", "number", unique=True),
    )

    Table(
        "doctors", metadata,
        Column("id", String(36), primary_key=True),
        Column("name", String(50), nullable=False),
        Column("practice_cert_no", String(15), nullable=False, unique=True),
        # 居民身份证号码 is never stored: only its keyed HMAC (uniqueness) and a masked form (display).
        Column("resident_id_hmac", String(64), unique=True),
        Column("resident_id_masked", String(18)),
        Column("phone", String(30)),
        Column("registered_by", String(200), nullable=False),
        *_stamps(),
    )

    Table(
        "doctor_units", metadata,
        Column("id", BigInteger, primary_key=True, autoincrement=True),
        Column("doctor_id", String(36), ForeignKey("doctors.id"), nullable=False, index=True),
        Column("institution_id", String(36), ForeignKey("institutions.id"), nullable=False, index=True),
        Column("department", String(50)),
        Column("starts_on", Date, nullable=False),
        Column("ends_on", Date),
        Column("recorded_at", DateTime(timezone=True), nullable=False),
        CheckConstraint("ends_on IS NULL OR ends_on > starts_on", name="dates"),
        Index("uq_doctor_units_open", "doctor_id", unique=True, postgresql_where=text("ends_on IS NULL")),
    )

    Table(
        "positions", metadata,
        Column("id", String(36), primary_key=True),
        Column("doctor_id", String(36), ForeignKey("doctors.id"), nullable=False, index=True),
        Column("alliance_id", String(36), ForeignKey("alliances.id"), nullable=False, index=True),
        Column("society", String(100), nullable=False),
        Column("title", String(20), nullable=False),
        Column("starts_on", Date, nullable=False),
        Column("ends_on", Date),
        Column("recorded_by", String(200), nullable=False),
        *_stamps(),
        CheckConstraint("ends_on IS NULL OR ends_on >= starts_on", name="dates"),
    )

    Table(
        "dissolution_flags", metadata,
        Column("id", BigInteger, primary_key=True, autoincrement=True),
        Column("alliance_id", String(36), ForeignKey("alliances.id"), nullable=False, index=True),
        Column("years", ARRAY(Integer), nullable=False),
        Column("source_event_id", String(64), nullable=False, unique=True),
        Column("flagged_at", DateTime(timezone=True), nullable=False),
        Column("business_date", Date, nullable=False),
    )
    return metadata
