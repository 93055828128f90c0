"""Alembic environment of the evaluation service."""

from libs.kit.migrations import run_env
from services.evaluation.persistence.tables import metadata
from services.evaluation.settings import EvaluationSettings

run_env(metadata, "evaluation", EvaluationSettings())
