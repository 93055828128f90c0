"""Evaluation tables: directory replica, event projections, frameworks, periods, statistics, scorecards,
reporting, club evaluations, case competitions, activities and published prize facts.

Revision ID: evaluation_0002
Revises: evaluation_0001
Create Date: 2026-11-22

The definitions are copied here on purpose (the Alembic habit): a migration must keep creating what it
created, whatever ``persistence/tables.py`` becomes later.
"""

from alembic import op
from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Identity,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB

from libs.kit.db import make_metadata

revision = "evaluation_0002"
down_revision = "evaluation_0001"
branch_labels = None
depends_on = None

ID = 64
TS = DateTime(timezone=True)


def _id(name: str, *, primary_key: bool = False, nullable: bool = False) -> Column:  # type: ignore[type-arg]
    return Column(name, String(ID), primary_key=primary_key, nullable=nullable)


def _tables(metadata: MetaData) -> list[Table]:
    # ---- directory replica (registry) ------------------------------------------------------------------------
    Table(
        "institutions", metadata,
        _id("institution_id", primary_key=True),
        Column("name", String(200), nullable=False),
        Column("region_code", String(12), nullable=False),
        Column("updated_at", TS, nullable=False),
    )

    Table(
        "alliances", metadata,
        _id("alliance_id", primary_key=True),
        Column("name", String(200), nullable=False),
        Column("region_code", String(12), nullable=False),
        Column("level", String(16), nullable=False),
        Column("specialty_code", String(32), nullable=False),
        Column("status", String(32), nullable=False),
        Column("operating", Boolean, nullable=False),
        Column("updated_at", TS, nullable=False),
    )

    Table(
        "memberships", metadata,
        _id("alliance_id", primary_key=True),
        _id("institution_id", primary_key=True),
        Column("role", String(16), nullable=False),
        Column("active", Boolean, nullable=False),
        Column("effective_date", Date, nullable=False),
    )

    Table(
        "doctors", metadata,
        _id("doctor_id", primary_key=True),
        _id("institution_id", nullable=False),
        Column("effective_date", Date, nullable=False),
    )

    # ---- projections of consumed events ----------------------------------------------------------------------
    Table(
        "metric_counts", metadata,
        _id("alliance_id", primary_key=True),
        _id("unit_id", primary_key=True),
        Column("metric", String(64), primary_key=True),
        Column("business_date", Date, primary_key=True),
        Column("count", Integer, nullable=False),
    )

    Table(  # a business fact re-emitted under another event id is counted once
        "counted_facts", metadata,
        Column("fact_key", String(300), primary_key=True),
        Column("recorded_at", TS, nullable=False),
    )

    Table(
        "points_snapshots", metadata,
        _id("alliance_id", primary_key=True),
        Column("year", Integer, primary_key=True),
        _id("unit_id", primary_key=True),
        Column("points", Numeric(14, 1), nullable=False),
        Column("event_id", String(ID), nullable=False),
        Column("recorded_at", TS, nullable=False),
    )

    # ---- frameworks, periods, statistics ---------------------------------------------------------------------
    Table(
        "uploaded_frameworks", metadata,
        Column("framework_id", String(ID), primary_key=True),
        Column("version", Integer, primary_key=True),
        Column("kind", String(16), nullable=False),
        Column("title", String(200), nullable=False),
        Column("format", String(8), nullable=False),
        Column("content", Text, nullable=False),
        Column("uploaded_by", String(200), nullable=False),
        Column("uploaded_at", TS, nullable=False),
    )

    Table(
        "periods", metadata,
        _id("period_id", primary_key=True),
        _id("alliance_id", nullable=False),
        Column("year", Integer, nullable=False),
        Column("framework_id", String(ID), nullable=False),
        Column("framework_version", Integer, nullable=False),
        Column("statistics_due", Date, nullable=False),
        Column("status", String(16), nullable=False),
        Column("opened_by", String(200), nullable=False),
        Column("opened_at", TS, nullable=False),
        Column("closed_at", TS),
        UniqueConstraint("alliance_id", "year"),
    )

    Table(
        "statistic_submissions", metadata,
        _id("submission_id", primary_key=True),
        _id("period_id", nullable=False),
        _id("unit_id", nullable=False),  # "" = the alliance as a whole (filled by the office)
        Column("version", Integer, nullable=False),
        Column("values", JSONB, nullable=False),
        Column("evidence", JSONB, nullable=False),
        Column("submitted_by", String(200), nullable=False),
        Column("submitted_at", TS, nullable=False),
        Column("business_date", Date, nullable=False),
        UniqueConstraint("period_id", "unit_id", "version"),
    )

    # ---- scorecards ------------------------------------------------------------------------------------------
    Table(
        "scorecards", metadata,
        _id("scorecard_id", primary_key=True),
        _id("period_id", nullable=False),
        _id("alliance_id", nullable=False),
        Column("year", Integer, nullable=False),
        Column("kind", String(16), nullable=False),
        _id("subject_unit_id", nullable=True),
        Column("framework_id", String(ID), nullable=False),
        Column("framework_version", Integer, nullable=False),
        Column("total", Numeric(12, 4), nullable=False),
        Column("max_total", Numeric(12, 4), nullable=False),
        Column("grade", String(32), nullable=False),
        Column("passed", Boolean, nullable=False),
        Column("funding_yuan", BigInteger),
        Column("reasons", JSONB, nullable=False),
        Column("lines", JSONB, nullable=False),
        Column("computed_by", String(200), nullable=False),
        Column("computed_at", TS, nullable=False),
        Column("seq", BigInteger, Identity(), nullable=False),  # order of computation: "the latest of the year"
    )

    Table(
        "dissolution_recommendations", metadata,
        _id("alliance_id", primary_key=True),
        Column("years", String(64), primary_key=True),
        Column("scorecard_ids", JSONB, nullable=False),
        Column("recommended_at", TS, nullable=False),
    )

    Table(
        "club_evaluations", metadata,
        _id("evaluation_id", primary_key=True),
        _id("alliance_id", nullable=False),
        Column("year", Integer, nullable=False),
        Column("framework_id", String(ID), nullable=False),
        Column("framework_version", Integer, nullable=False),
        Column("results", JSONB, nullable=False),
        Column("evaluated_by", String(200), nullable=False),
        Column("evaluated_at", TS, nullable=False),
    )

    # ---- reporting duties (报送) ------------------------------------------------------------------------------
    Table(
        "reporting_plans", metadata,
        _id("plan_id", primary_key=True),
        _id("alliance_id", nullable=False),
        Column("framework_id", String(ID), nullable=False),
        Column("framework_version", Integer, nullable=False),
        Column("start_date", Date, nullable=False),
        Column("closed_at", TS),
        Column("created_by", String(200), nullable=False),
        Column("created_at", TS, nullable=False),
        UniqueConstraint("alliance_id", "framework_id"),
    )

    Table(
        "report_submissions", metadata,
        _id("submission_id", primary_key=True),
        _id("plan_id", nullable=False),
        Column("duty_id", String(ID), nullable=False),
        _id("unit_id", nullable=False),
        Column("period_key", String(8), nullable=False),
        Column("version", Integer, nullable=False),
        Column("document_ref", String(500), nullable=False),
        Column("counts", JSONB, nullable=False),
        Column("submitted_by", String(200), nullable=False),
        Column("submitted_at", TS, nullable=False),
        UniqueConstraint("plan_id", "duty_id", "unit_id", "period_key", "version"),
    )

    # ---- case competitions and activities (R03c) -------------------------------------------------------------
    Table(
        "case_calls", metadata,
        _id("call_id", primary_key=True),
        _id("alliance_id", nullable=False),
        Column("title", String(200), nullable=False),
        Column("closes_on", Date, nullable=False),
        Column("categories", JSONB, nullable=False),
        Column("max_entries_per_unit", Integer, nullable=False),
        Column("excellent_share", Numeric(4, 2), nullable=False),
        Column("doctors_may_submit", Boolean, nullable=False),
        Column("require_pediatrics", Boolean, nullable=False),
        Column("status", String(16), nullable=False),
        Column("created_by", String(200), nullable=False),
        Column("created_at", TS, nullable=False),
        Column("awarded_at", TS),
    )

    Table(
        "case_entries", metadata,
        _id("entry_id", primary_key=True),
        _id("call_id", nullable=False),
        _id("unit_id", nullable=False),
        Column("category", String(8), nullable=False),
        Column("title", String(200), nullable=False),
        Column("contact", String(200), nullable=False),
        Column("background", Text, nullable=False),
        Column("implementation", Text, nullable=False),
        Column("results", Text, nullable=False),
        Column("authors", JSONB, nullable=False),
        Column("submitted_by", String(200), nullable=False),
        Column("submitted_at", TS, nullable=False),
        Column("seq", BigInteger, Identity(), nullable=False),
    )

    Table(
        "judge_scores", metadata,
        _id("entry_id", primary_key=True),
        _id("judge_id", primary_key=True),
        _id("call_id", nullable=False),
        Column("score", Numeric(8, 2), nullable=False),
        Column("recorded_by", String(200), nullable=False),
        Column("recorded_at", TS, nullable=False),
        CheckConstraint("score >= 0", name="score_not_negative"),
    )

    Table(
        "case_awards", metadata,
        _id("entry_id", primary_key=True),
        _id("call_id", nullable=False),
        Column("prize", String(16), nullable=False),
    )

    Table(
        "activities", metadata,
        _id("activity_id", primary_key=True),
        _id("alliance_id", nullable=False),
        Column("kind", String(32), nullable=False),
        Column("title", String(200), nullable=False),
        Column("held_on", Date, nullable=False),
        Column("participants", JSONB, nullable=False),
        Column("wins", JSONB, nullable=False),
        Column("created_by", String(200), nullable=False),
        Column("created_at", TS, nullable=False),
    )

    Table(  # what was published as alliance.evaluation.prize.awarded, one row per award_id
        "prize_facts", metadata,
        Column("award_id", String(ID), primary_key=True),
        _id("activity_id", nullable=False),
        Column("activity_kind", String(32), nullable=False),
        _id("doctor_id", nullable=False),
        _id("unit_id", nullable=False),
        _id("alliance_id", nullable=False),
        Column("variant", String(16), nullable=False),
        Column("ref", String(ID), nullable=False),
        Column("occurred_at", TS, nullable=False),
        Column("business_date", Date, nullable=False),
    )

    return list(metadata.tables.values())  # in definition order: create in it, drop in reverse


def upgrade() -> None:
    bind = op.get_bind()
    for table in _tables(make_metadata("evaluation")):
        table.create(bind)


def downgrade() -> None:
    for table in reversed(_tables(make_metadata("evaluation"))):
        op.drop_table(table.name, schema="evaluation")
