"""Referral service tables: directory replica, patients (sealed), referrals (request, milestones, transitions),
award facts, reserved slots, remote consults, green channel, referral standards, webhook log / quarantine /
refusals.

Table definitions are copied here (not imported from the service) so this revision never changes later.

Revision ID: referral_0002
Revises: referral_0001
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "referral_0002"
down_revision = "referral_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "award_facts",
        sa.Column("fact_id", sa.String(length=200), nullable=False),
        sa.Column("subject_type", sa.String(length=16), nullable=False),
        sa.Column("subject_id", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("rule_code", sa.String(length=8), nullable=False),
        sa.Column("variant", sa.String(length=32), nullable=False),
        sa.Column("alliance_id", sa.String(length=64), nullable=False),
        sa.Column("beneficiary_doctor_id", sa.String(length=64), nullable=True),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("is_reversal", sa.Boolean(), nullable=False),
        sa.Column("revokes_fact_id", sa.String(length=200), nullable=True),
        sa.Column("revoked_by", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("fact_id", name=op.f("pk_award_facts")),
        schema="referral",
    )
    op.create_index(
        "ix_award_facts_alliance_date", "award_facts", ["alliance_id", "business_date"], unique=False, schema="referral"
    )
    op.create_index(
        "uq_award_facts_open_subject",
        "award_facts",
        ["subject_type", "subject_id"],
        unique=True,
        schema="referral",
        postgresql_where=sa.text("NOT is_reversal AND revoked_by IS NULL"),
    )
    op.create_table(
        "consults",
        sa.Column("consult_id", sa.String(length=64), nullable=False),
        sa.Column("alliance_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("requester_institution_id", sa.String(length=64), nullable=False),
        sa.Column("requester_doctor_id", sa.String(length=64), nullable=False),
        sa.Column("responder_institution_id", sa.String(length=64), nullable=False),
        sa.Column("patient_ref", sa.String(length=64), nullable=False),
        sa.Column("question_ct", sa.Text(), nullable=False),
        sa.Column("answer_ct", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("consult_id", name=op.f("pk_consults")),
        schema="referral",
    )
    op.create_index(
        "ix_consults_alliance_date", "consults", ["alliance_id", "business_date"], unique=False, schema="referral"
    )
    op.create_index(
        "ix_consults_requester",
        "consults",
        ["requester_institution_id", "requested_at"],
        unique=False,
        schema="referral",
    )
    op.create_index(
        "ix_consults_responder",
        "consults",
        ["responder_institution_id", "requested_at"],
        unique=False,
        schema="referral",
    )
    op.create_table(
        "dir_alliances",
        sa.Column("alliance_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("region_code", sa.String(length=12), nullable=False),
        sa.Column("status", sa.String(length=40), nullable=False),
        sa.Column("operating", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("alliance_id", name=op.f("pk_dir_alliances")),
        schema="referral",
    )
    op.create_table(
        "dir_doctors",
        sa.Column("doctor_id", sa.String(length=64), nullable=False),
        sa.Column("institution_id", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=100), nullable=False),
        sa.Column("effective_date", sa.Date(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("doctor_id", name=op.f("pk_dir_doctors")),
        schema="referral",
    )
    op.create_table(
        "dir_institutions",
        sa.Column("institution_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("region_code", sa.String(length=12), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("institution_id", name=op.f("pk_dir_institutions")),
        schema="referral",
    )
    op.create_table(
        "dir_memberships",
        sa.Column("alliance_id", sa.String(length=64), nullable=False),
        sa.Column("institution_id", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("effective_date", sa.Date(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("alliance_id", "institution_id", name=op.f("pk_dir_memberships")),
        schema="referral",
    )
    op.create_index(
        "ix_dir_memberships_institution", "dir_memberships", ["institution_id"], unique=False, schema="referral"
    )
    op.create_table(
        "patients",
        sa.Column("patient_ref", sa.String(length=64), nullable=False),
        sa.Column("sex", sa.String(length=8), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=False),
        sa.Column("name_ct", sa.Text(), nullable=False),
        sa.Column("id_number_ct", sa.Text(), nullable=True),
        sa.Column("guardian_contact_ct", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("patient_ref", name=op.f("pk_patients")),
        schema="referral",
    )
    op.create_table(
        "referral_standards",
        sa.Column("alliance_id", sa.String(length=64), nullable=False),
        sa.Column("version", sa.String(length=32), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("indications", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("documents", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("alliance_id", "version", name=op.f("pk_referral_standards")),
        schema="referral",
    )
    op.create_table(
        "referrals",
        sa.Column("referral_id", sa.String(length=100), nullable=False),
        sa.Column("origin", sa.String(length=16), nullable=False),
        sa.Column("external_id", sa.String(length=64), nullable=True),
        sa.Column("alliance_id", sa.String(length=64), nullable=True),
        sa.Column("direction", sa.String(length=8), nullable=True),
        sa.Column("setting", sa.String(length=24), nullable=True),
        sa.Column("channel", sa.String(length=24), nullable=True),
        sa.Column("urgency", sa.String(length=16), nullable=True),
        sa.Column("indication", sa.String(length=64), nullable=True),
        sa.Column("referring_institution_id", sa.String(length=64), nullable=True),
        sa.Column("referring_doctor_id", sa.String(length=64), nullable=True),
        sa.Column("receiving_institution_id", sa.String(length=64), nullable=True),
        sa.Column("receiving_doctor_id", sa.String(length=64), nullable=True),
        sa.Column("accepted_doctor_id", sa.String(length=64), nullable=True),
        sa.Column("patient_ref", sa.String(length=64), nullable=True),
        sa.Column("reason_ct", sa.Text(), nullable=True),
        sa.Column("outcome_ct", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=True),
        sa.Column("announced_status", sa.String(length=16), nullable=True),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("business_date", sa.Date(), nullable=True),
        sa.Column("steps", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("requested_announced", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("completed_announced", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("referral_id", name=op.f("pk_referrals")),
        sa.UniqueConstraint("origin", "external_id", name="uq_referrals_origin_external_id"),
        schema="referral",
    )
    op.create_index(
        "ix_referrals_accepted_doctor", "referrals", ["accepted_doctor_id"], unique=False, schema="referral"
    )
    op.create_index(
        "ix_referrals_alliance_date", "referrals", ["alliance_id", "business_date"], unique=False, schema="referral"
    )
    op.create_index("ix_referrals_patient_ref", "referrals", ["patient_ref"], unique=False, schema="referral")
    op.create_index(
        "ix_referrals_receiving_institution",
        "referrals",
        ["receiving_institution_id", "requested_at"],
        unique=False,
        schema="referral",
    )
    op.create_index(
        "ix_referrals_referring_doctor", "referrals", ["referring_doctor_id"], unique=False, schema="referral"
    )
    op.create_index(
        "ix_referrals_referring_institution",
        "referrals",
        ["referring_institution_id", "requested_at"],
        unique=False,
        schema="referral",
    )
    op.create_table(
        "slot_pools",
        sa.Column("pool_id", sa.String(length=64), nullable=False),
        sa.Column("alliance_id", sa.String(length=64), nullable=False),
        sa.Column("institution_id", sa.String(length=64), nullable=False),
        sa.Column("department", sa.String(length=100), nullable=False),
        sa.Column("on_date", sa.Date(), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("booked", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("booked >= 0 AND booked <= capacity", name=op.f("ck_slot_pools_booked_within_capacity")),
        sa.CheckConstraint("capacity >= 0 AND capacity <= 1000", name=op.f("ck_slot_pools_capacity_range")),
        sa.PrimaryKeyConstraint("pool_id", name=op.f("pk_slot_pools")),
        sa.UniqueConstraint("alliance_id", "institution_id", "department", "on_date", name="uq_slot_pools_day"),
        schema="referral",
    )
    op.create_index(
        "ix_slot_pools_alliance_date", "slot_pools", ["alliance_id", "on_date"], unique=False, schema="referral"
    )
    op.create_table(
        "webhook_log",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("sender", sa.String(length=32), nullable=False),
        sa.Column("webhook_id", sa.String(length=256), nullable=False),
        sa.Column("body_sha256", sa.String(length=64), nullable=False),
        sa.Column("event_type", sa.String(length=40), nullable=False),
        sa.Column("status_code", sa.SmallInteger(), nullable=True),
        sa.Column("result", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_log")),
        sa.UniqueConstraint("sender", "webhook_id", name="uq_webhook_log_sender_webhook_id"),
        schema="referral",
    )
    op.create_table(
        "webhook_quarantine",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("sender", sa.String(length=32), nullable=False),
        sa.Column("webhook_id", sa.String(length=256), nullable=False),
        sa.Column("event_type", sa.String(length=40), nullable=False),
        sa.Column("external_id", sa.String(length=64), nullable=False),
        sa.Column("alliance_id", sa.String(length=64), nullable=True),
        sa.Column("reason_code", sa.String(length=40), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("missing_refs", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("payload_ct", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), server_default=sa.text("'open'"), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_quarantine")),
        sa.UniqueConstraint("sender", "webhook_id", name="uq_webhook_quarantine_sender_webhook_id"),
        schema="referral",
    )
    op.create_index(
        "ix_webhook_quarantine_open_refs",
        "webhook_quarantine",
        ["missing_refs"],
        unique=False,
        schema="referral",
        postgresql_using="gin",
        postgresql_where=sa.text("status = 'open'"),
    )
    op.create_index(
        "ix_webhook_quarantine_status", "webhook_quarantine", ["status", "id"], unique=False, schema="referral"
    )
    op.create_table(
        "webhook_rejections",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("sender", sa.String(length=32), nullable=False),
        sa.Column("webhook_id", sa.String(length=256), nullable=True),
        sa.Column("status_code", sa.SmallInteger(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("body_sha256", sa.String(length=64), nullable=False),
        sa.Column("body_bytes", sa.Integer(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_rejections")),
        schema="referral",
    )
    op.create_index(
        "ix_webhook_rejections_received", "webhook_rejections", ["received_at"], unique=False, schema="referral"
    )
    op.create_table(
        "consult_recognitions",
        sa.Column("consult_id", sa.String(length=64), nullable=False),
        sa.Column("institution_id", sa.String(length=64), nullable=False),
        sa.Column("by_user", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["consult_id"], ["referral.consults.consult_id"], name=op.f("fk_consult_recognitions_consult_id_consults")
        ),
        sa.PrimaryKeyConstraint("consult_id", "institution_id", name=op.f("pk_consult_recognitions")),
        schema="referral",
    )
    op.create_table(
        "consult_steps",
        sa.Column("consult_id", sa.String(length=64), nullable=False),
        sa.Column("seq", sa.SmallInteger(), nullable=False),
        sa.Column("from_status", sa.String(length=16), nullable=True),
        sa.Column("to_status", sa.String(length=16), nullable=False),
        sa.Column("by_user", sa.String(length=64), nullable=False),
        sa.Column("by_institution_id", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason_ct", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["consult_id"], ["referral.consults.consult_id"], name=op.f("fk_consult_steps_consult_id_consults")
        ),
        sa.PrimaryKeyConstraint("consult_id", "seq", name=op.f("pk_consult_steps")),
        schema="referral",
    )
    op.create_table(
        "green_channel_cases",
        sa.Column("referral_id", sa.String(length=100), nullable=False),
        sa.Column("alliance_id", sa.String(length=64), nullable=False),
        sa.Column("institution_id", sa.String(length=64), nullable=False),
        sa.Column("patient_ref", sa.String(length=64), nullable=False),
        sa.Column("arrived_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["referral_id"],
            ["referral.referrals.referral_id"],
            name=op.f("fk_green_channel_cases_referral_id_referrals"),
        ),
        sa.PrimaryKeyConstraint("referral_id", name=op.f("pk_green_channel_cases")),
        schema="referral",
    )
    op.create_index(
        "ix_green_channel_cases_alliance_date",
        "green_channel_cases",
        ["alliance_id", "business_date"],
        unique=False,
        schema="referral",
    )
    op.create_table(
        "referral_marks",
        sa.Column("referral_id", sa.String(length=100), nullable=False),
        sa.Column("milestone", sa.String(length=16), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("event_id", sa.String(length=200), nullable=False),
        sa.Column("by_user", sa.String(length=64), nullable=True),
        sa.Column("doctor_id", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["referral_id"], ["referral.referrals.referral_id"], name=op.f("fk_referral_marks_referral_id_referrals")
        ),
        sa.PrimaryKeyConstraint("referral_id", "milestone", name=op.f("pk_referral_marks")),
        schema="referral",
    )
    op.create_table(
        "referral_transitions",
        sa.Column("referral_id", sa.String(length=100), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("from_status", sa.String(length=16), nullable=True),
        sa.Column("to_status", sa.String(length=16), nullable=True),
        sa.Column("milestone", sa.String(length=16), nullable=False),
        sa.Column("by_user", sa.String(length=64), nullable=True),
        sa.Column("by_institution_id", sa.String(length=64), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason_ct", sa.Text(), nullable=True),
        sa.Column("event_id", sa.String(length=200), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["referral_id"],
            ["referral.referrals.referral_id"],
            name=op.f("fk_referral_transitions_referral_id_referrals"),
        ),
        sa.PrimaryKeyConstraint("referral_id", "seq", name=op.f("pk_referral_transitions")),
        schema="referral",
    )
    op.create_table(
        "slot_bookings",
        sa.Column("booking_id", sa.String(length=64), nullable=False),
        sa.Column("pool_id", sa.String(length=64), nullable=False),
        sa.Column("doctor_id", sa.String(length=64), nullable=False),
        sa.Column("doctor_institution_id", sa.String(length=64), nullable=False),
        sa.Column("patient_ref", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("booked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_by", sa.String(length=64), nullable=True),
        sa.Column("cancel_reason_ct", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["pool_id"], ["referral.slot_pools.pool_id"], name=op.f("fk_slot_bookings_pool_id_slot_pools")
        ),
        sa.PrimaryKeyConstraint("booking_id", name=op.f("pk_slot_bookings")),
        schema="referral",
    )
    op.create_index("ix_slot_bookings_doctor", "slot_bookings", ["doctor_id"], unique=False, schema="referral")
    op.create_index(
        "ix_slot_bookings_institution", "slot_bookings", ["doctor_institution_id"], unique=False, schema="referral"
    )
    op.create_index("ix_slot_bookings_pool", "slot_bookings", ["pool_id", "status"], unique=False, schema="referral")
    op.create_index(
        "uq_slot_bookings_active_patient",
        "slot_bookings",
        ["pool_id", "patient_ref"],
        unique=True,
        schema="referral",
        postgresql_where=sa.text("status = 'active'"),
    )
    op.create_table(
        "green_channel_services",
        sa.Column("referral_id", sa.String(length=100), nullable=False),
        sa.Column("service", sa.String(length=16), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("by_user", sa.String(length=64), nullable=False),
        sa.Column("wait_seconds", sa.Integer(), nullable=False),
        sa.CheckConstraint("wait_seconds >= 0", name=op.f("ck_green_channel_services_wait_not_negative")),
        sa.ForeignKeyConstraint(
            ["referral_id"],
            ["referral.green_channel_cases.referral_id"],
            name=op.f("fk_green_channel_services_referral_id_green_channel_cases"),
        ),
        sa.PrimaryKeyConstraint("referral_id", "service", name=op.f("pk_green_channel_services")),
        schema="referral",
    )


def downgrade() -> None:
    for name in (
        "green_channel_services",
        "slot_bookings",
        "referral_transitions",
        "referral_marks",
        "green_channel_cases",
        "consult_steps",
        "consult_recognitions",
        "webhook_rejections",
        "webhook_quarantine",
        "webhook_log",
        "slot_pools",
        "referrals",
        "referral_standards",
        "patients",
        "dir_memberships",
        "dir_institutions",
        "dir_doctors",
        "dir_alliances",
        "consults",
        "award_facts",
    ):
        op.drop_table(name, schema="referral")
