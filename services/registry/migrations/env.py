"""Alembic environment of the registry service."""

from libs.kit.migrations import run_env
from services.registry.persistence.tables import metadata
from services.registry.settings import RegistrySettings

run_env(metadata, "registry", RegistrySettings())
