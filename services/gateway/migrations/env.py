"""Alembic environment of the gateway (bindings, bind codes, security audit)."""

from libs.kit.migrations import run_env
from services.gateway.persistence.tables import SCHEMA, metadata
from services.gateway.settings import GatewayDatabaseSettings

run_env(metadata, SCHEMA, GatewayDatabaseSettings())
