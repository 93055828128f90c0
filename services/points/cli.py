"""Shared plumbing of the points CLIs (export, rebuild, bulk): settings, connection and signing key.

The CLIs connect like the service does — same schema, same non-owner ``points_app`` role — so they can do
nothing to the ledger the service could not.
"""

from __future__ import annotations

import argparse
from typing import Any

import asyncpg

from services.points.ledger.signing import SigningKey, load_signing_key
from services.points.runtime import connect_settings
from services.points.settings import PointsSettings


def add_database_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--database-url", help="PostgreSQL URL (default: POINTS_DATABASE_URL / DATABASE_URL)")


def settings_from(args: argparse.Namespace, **overrides: Any) -> PointsSettings:
    values = {"database_url": args.database_url} if getattr(args, "database_url", None) else {}
    return PointsSettings(**values, **overrides)


async def connect(settings: PointsSettings) -> asyncpg.Connection:
    if not settings.database_url:
        raise SystemExit("no database: pass --database-url or set POINTS_DATABASE_URL / DATABASE_URL")
    return await asyncpg.connect(settings.asyncpg_dsn, server_settings=connect_settings(settings))


async def signing_key(settings: PointsSettings, conn: asyncpg.Connection) -> SigningKey:
    return await load_signing_key(settings, conn)
