"""Tables of the referral service, in its own schema `referral`.

Patient identifiers and clinical free text are stored only as AES-GCM tokens (``*_ct`` columns, see
``domain/crypto.py``); everything else refers to the patient by ``patient_ref`` (keyed HMAC).
The migration ``2026_11_22_referral_0002`` creates the same shapes (copied there, as Alembic habit).
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
    PrimaryKeyConstraint,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB

from libs.kit.db import make_metadata
from libs.kit.runtime import EventTables

metadata = make_metadata("referral")
events = EventTables.on(metadata)

ID = 64
REFERRAL_ID = 100


def _now() -> Column:  # type: ignore[type-arg]
    return Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now())


# ---- directory replica (from registry events) ------------------------------------------------------
dir_institutions = Table(
    "dir_institutions", metadata,
    Column("institution_id", String(ID), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("region_code", String(12), nullable=False),
    _now(),
)

dir_alliances = Table(
    "dir_alliances", metadata,
    Column("alliance_id", String(ID), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("region_code", String(12), nullable=False),
    Column("status", String(40), nullable=False),
    Column("operating", Boolean, nullable=False),
    _now(),
)

dir_memberships = Table(
    "dir_memberships", metadata,
    Column("alliance_id", String(ID), nullable=False),
    Column("institution_id", String(ID), nullable=False),
    Column("role", String(16), nullable=False),  # lead | vice_chair | member
    Column("active", Boolean, nullable=False),
    Column("effective_date", Date, nullable=False),
    _now(),
    PrimaryKeyConstraint("alliance_id", "institution_id"),
    Index("ix_dir_memberships_institution", "institution_id"),
)

dir_doctors = Table(
    "dir_doctors", metadata,
    Column("doctor_id", String(ID), primary_key=True),
    Column("institution_id", String(ID), nullable=False),
    Column("display_name", String(100), nullable=False),
    Column("effective_date", Date, nullable=False),
    _now(),
)

# ---- patients (minimum, sealed) --------------------------------------------------------------------
patients = Table(
    "patients", metadata,
    Column("patient_ref", String(ID), primary_key=True),
    Column("sex", String(8), nullable=False),
    Column("birth_date", Date, nullable=False),
    Column("name_ct", Text, nullable=False),
    Column("id_number_ct", Text),
    Column("guardian_contact_ct", Text),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

# ---- referrals: the request, the milestone set (projection) and the recorded transitions ----------
referrals = Table(
    "referrals", metadata,
    Column("referral_id", String(REFERRAL_ID), primary_key=True),
    Column("origin", String(16), nullable=False),  # platform | <webhook sender>
    Column("external_id", String(ID)),
    Column("alliance_id", String(ID)),  # NULL while only later milestones of an external referral are known
    Column("direction", String(8)),
    Column("setting", String(24)),
    Column("channel", String(24)),
    Column("urgency", String(16)),
    Column("indication", String(ID)),
    Column("referring_institution_id", String(ID)),
    Column("referring_doctor_id", String(ID)),
    Column("receiving_institution_id", String(ID)),
    Column("receiving_doctor_id", String(ID)),  # as requested
    Column("accepted_doctor_id", String(ID)),  # the doctor who accepted (else the requested one)
    Column("patient_ref", String(ID)),
    Column("reason_ct", Text),
    Column("outcome_ct", Text),
    Column("status", String(16)),  # derived from the milestones
    Column("announced_status", String(16)),  # the status last published (status_changed.from_status)
    Column("requested_at", DateTime(timezone=True)),
    Column("business_date", Date),
    Column("steps", Integer, nullable=False, server_default=text("0")),  # recorded transitions (next seq)
    Column("requested_announced", Boolean, nullable=False, server_default=text("false")),
    Column("completed_announced", Boolean, nullable=False, server_default=text("false")),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    _now(),
    UniqueConstraint("origin", "external_id", name="uq_referrals_origin_external_id"),
    Index("ix_referrals_patient_ref", "patient_ref"),
    Index("ix_referrals_alliance_date", "alliance_id", "business_date"),
    Index("ix_referrals_referring_institution", "referring_institution_id", "requested_at"),
    Index("ix_referrals_receiving_institution", "receiving_institution_id", "requested_at"),
    Index("ix_referrals_referring_doctor", "referring_doctor_id"),
    Index("ix_referrals_accepted_doctor", "accepted_doctor_id"),
)

referral_marks = Table(
    "referral_marks", metadata,
    Column("referral_id", String(REFERRAL_ID), ForeignKey("referrals.referral_id"), nullable=False),
    Column("milestone", String(16), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("event_id", String(200), nullable=False),
    Column("by_user", String(ID)),
    Column("doctor_id", String(ID)),
    PrimaryKeyConstraint("referral_id", "milestone"),
)

referral_transitions = Table(
    "referral_transitions", metadata,
    Column("referral_id", String(REFERRAL_ID), ForeignKey("referrals.referral_id"), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("from_status", String(16)),
    Column("to_status", String(16)),
    Column("milestone", String(16), nullable=False),
    Column("by_user", String(ID)),
    Column("by_institution_id", String(ID)),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("reason_ct", Text),
    Column("event_id", String(200), nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    PrimaryKeyConstraint("referral_id", "seq"),
)

# ---- award facts (what the points service is told), one open award per subject --------------------
award_facts = Table(
    "award_facts", metadata,
    Column("fact_id", String(200), primary_key=True),
    Column("subject_type", String(16), nullable=False),
    Column("subject_id", String(REFERRAL_ID), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("rule_code", String(8), nullable=False),
    Column("variant", String(32), nullable=False),
    Column("alliance_id", String(ID), nullable=False),
    Column("beneficiary_doctor_id", String(ID)),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    Column("business_date", Date, nullable=False),
    Column("is_reversal", Boolean, nullable=False),
    Column("revokes_fact_id", String(200)),
    Column("revoked_by", String(200)),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    # The database, not only the code, guarantees "exactly once per subject": one open award at a time.
    Index("uq_award_facts_open_subject", "subject_type", "subject_id", unique=True,
          postgresql_where=text("NOT is_reversal AND revoked_by IS NULL")),
    Index("ix_award_facts_alliance_date", "alliance_id", "business_date"),
)

# ---- reserved slots ----------------------------------------------------------------------------------
slot_pools = Table(
    "slot_pools", metadata,
    Column("pool_id", String(ID), primary_key=True),
    Column("alliance_id", String(ID), nullable=False),
    Column("institution_id", String(ID), nullable=False),
    Column("department", String(100), nullable=False),
    Column("on_date", Date, nullable=False),
    Column("capacity", Integer, nullable=False),
    Column("booked", Integer, nullable=False, server_default=text("0")),
    Column("created_by", String(ID), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    _now(),
    # Backstop of the FOR UPDATE serialisation: an overbooking cannot commit.
    CheckConstraint("booked >= 0 AND booked <= capacity", name="booked_within_capacity"),
    CheckConstraint("capacity >= 0 AND capacity <= 1000", name="capacity_range"),
    UniqueConstraint("alliance_id", "institution_id", "department", "on_date", name="uq_slot_pools_day"),
    Index("ix_slot_pools_alliance_date", "alliance_id", "on_date"),
)

slot_bookings = Table(
    "slot_bookings", metadata,
    Column("booking_id", String(ID), primary_key=True),
    Column("pool_id", String(ID), ForeignKey("slot_pools.pool_id"), nullable=False),
    Column("doctor_id", String(ID), nullable=False),
    Column("doctor_institution_id", String(ID), nullable=False),
    Column("patient_ref", String(ID), nullable=False),
    Column("status", String(16), nullable=False),
    Column("booked_at", DateTime(timezone=True), nullable=False),
    Column("business_date", Date, nullable=False),
    Column("cancelled_at", DateTime(timezone=True)),
    Column("cancelled_by", String(ID)),
    Column("cancel_reason_ct", Text),
    Index("ix_slot_bookings_pool", "pool_id", "status"),
    Index("ix_slot_bookings_doctor", "doctor_id"),
    Index("ix_slot_bookings_institution", "doctor_institution_id"),
    Index("uq_slot_bookings_active_patient", "pool_id", "patient_ref", unique=True,
          postgresql_where=text("status = 'active'")),
)

# ---- remote consults ---------------------------------------------------------------------------------
consults = Table(
    "consults", metadata,
    Column("consult_id", String(ID), primary_key=True),
    Column("alliance_id", String(ID), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("requester_institution_id", String(ID), nullable=False),
    Column("requester_doctor_id", String(ID), nullable=False),
    Column("responder_institution_id", String(ID), nullable=False),
    Column("patient_ref", String(ID), nullable=False),
    Column("question_ct", Text, nullable=False),
    Column("answer_ct", Text),
    Column("status", String(16), nullable=False),
    Column("requested_at", DateTime(timezone=True), nullable=False),
    Column("business_date", Date, nullable=False),
    _now(),
    Index("ix_consults_requester", "requester_institution_id", "requested_at"),
    Index("ix_consults_responder", "responder_institution_id", "requested_at"),
    Index("ix_consults_alliance_date", "alliance_id", "business_date"),
)

consult_steps = Table(
    "consult_steps", metadata,
    Column("consult_id", String(ID), ForeignKey("consults.consult_id"), nullable=False),
    Column("seq", SmallInteger, nullable=False),
    Column("from_status", String(16)),
    Column("to_status", String(16), nullable=False),
    Column("by_user", String(ID), nullable=False),
    Column("by_institution_id", String(ID), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("reason_ct", Text),
    PrimaryKeyConstraint("consult_id", "seq"),
)

consult_recognitions = Table(
    "consult_recognitions", metadata,
    Column("consult_id", String(ID), ForeignKey("consults.consult_id"), nullable=False),
    Column("institution_id", String(ID), nullable=False),
    Column("by_user", String(ID), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("business_date", Date, nullable=False),
    PrimaryKeyConstraint("consult_id", "institution_id"),
)

# ---- green channel -----------------------------------------------------------------------------------
green_channel_cases = Table(
    "green_channel_cases", metadata,
    Column("referral_id", String(REFERRAL_ID), ForeignKey("referrals.referral_id"), primary_key=True),
    Column("alliance_id", String(ID), nullable=False),
    Column("institution_id", String(ID), nullable=False),
    Column("patient_ref", String(ID), nullable=False),
    Column("arrived_at", DateTime(timezone=True), nullable=False),
    Column("business_date", Date, nullable=False),  # of the arrival
    Column("opened_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("ix_green_channel_cases_alliance_date", "alliance_id", "business_date"),
)

green_channel_services = Table(
    "green_channel_services", metadata,
    Column("referral_id", String(REFERRAL_ID), ForeignKey("green_channel_cases.referral_id"), nullable=False),
    Column("service", String(16), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("by_user", String(ID), nullable=False),
    Column("wait_seconds", Integer, nullable=False),
    PrimaryKeyConstraint("referral_id", "service"),
    CheckConstraint("wait_seconds >= 0", name="wait_not_negative"),
)

# ---- referral standards ------------------------------------------------------------------------------
referral_standards = Table(
    "referral_standards", metadata,
    Column("alliance_id", String(ID), nullable=False),
    Column("version", String(32), nullable=False),
    Column("effective_from", Date, nullable=False),
    Column("indications", JSONB, nullable=False),
    Column("documents", JSONB, nullable=False),
    Column("created_by", String(ID), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    PrimaryKeyConstraint("alliance_id", "version"),
)

# ---- inbound webhooks: the log (forever), quarantine, refusals ---------------------------------------
webhook_log = Table(
    "webhook_log", metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("sender", String(32), nullable=False),
    Column("webhook_id", String(256), nullable=False),
    Column("body_sha256", String(64), nullable=False),
    Column("event_type", String(40), nullable=False),
    Column("status_code", SmallInteger),
    Column("result", JSONB),
    Column("received_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("sender", "webhook_id", name="uq_webhook_log_sender_webhook_id"),
)

webhook_quarantine = Table(
    "webhook_quarantine", metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("sender", String(32), nullable=False),
    Column("webhook_id", String(256), nullable=False),
    Column("event_type", String(40), nullable=False),
    Column("external_id", String(ID), nullable=False),
    Column("alliance_id", String(ID)),
    Column("reason_code", String(40), nullable=False),
    Column("reason", Text, nullable=False),
    Column("missing_refs", JSONB, nullable=False),  # ["doctor:d1", "institution:i1", "alliance:a1"]
    Column("payload_ct", Text, nullable=False),  # the raw body, sealed (it carries the patient block)
    Column("status", String(16), nullable=False, server_default=text("'open'")),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Column("resolved_at", DateTime(timezone=True)),
    UniqueConstraint("sender", "webhook_id", name="uq_webhook_quarantine_sender_webhook_id"),
    Index("ix_webhook_quarantine_open_refs", "missing_refs", postgresql_using="gin",
          postgresql_where=text("status = 'open'")),
    Index("ix_webhook_quarantine_status", "status", "id"),
)

webhook_rejections = Table(
    "webhook_rejections", metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("sender", String(32), nullable=False),
    Column("webhook_id", String(256)),
    Column("status_code", SmallInteger, nullable=False),
    Column("code", String(40), nullable=False),
    Column("body_sha256", String(64), nullable=False),
    Column("body_bytes", Integer, nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Index("ix_webhook_rejections_received", "received_at"),
)
