"""Alembic environment of the referral service."""

from libs.kit.migrations import run_env
from services.referral.persistence.tables import metadata
from services.referral.settings import ReferralSettings

run_env(metadata, "referral", ReferralSettings())
