"""Alembic environment of the points service."""

from libs.kit.migrations import run_env
from services.points.persistence.tables import metadata
from services.points.settings import PointsSettings

run_env(metadata, "points", PointsSettings())
