"""The points service's runtime: the shared ``ServiceRuntime`` plus the two things the ledger needs at start.

- Every pooled connection runs as the non-owner ``points_app`` role (asyncpg server setting ``role``), so the
  database refuses UPDATE/DELETE/TRUNCATE on the ledger for the service itself.
- The ledger configuration (signing key, checkpoint interval, collective-points reading) is built BEFORE the
  consumers start, so no handler can run without it.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from typing import Any

import asyncpg
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from libs.kit.runtime import ServiceRuntime
from services.points.ledger.config import LedgerConfig, policy_of
from services.points.ledger.diff import Parallel
from services.points.ledger.signing import load_signing_key
from services.points.settings import PointsSettings

LEDGER = "ledger"


@dataclass
class PointsRuntime(ServiceRuntime):
    async def start(self) -> None:
        settings = self.points_settings
        self.extras[LEDGER] = await _ledger_config(settings, self)
        await super().start()
        assert self.engine is not None
        use_role(self.engine, settings.app_role)
        await self.engine.dispose()  # no pooled connection may predate the role hook

    @property
    def points_settings(self) -> PointsSettings:
        assert isinstance(self.settings, PointsSettings)
        return self.settings

    @property
    def ledger(self) -> LedgerConfig:
        """The append configuration, with the runtime's current clock (tests swap it)."""
        config: LedgerConfig = self.extras[LEDGER]
        if config.clock is not self.clock:
            config = dataclasses.replace(config, clock=self.clock)
            self.extras[LEDGER] = config
        return config


def use_role(engine: AsyncEngine, role: str) -> None:
    """Every new connection of ``engine`` starts as ``role`` (``RESET ROLE`` goes back to it, not to the owner)."""
    if not role:
        return

    @event.listens_for(engine.sync_engine, "do_connect")
    def _as_app_role(dialect: Any, record: Any, cargs: Any, cparams: dict[str, Any]) -> None:
        cparams["server_settings"] = {**(cparams.get("server_settings") or {}), "role": role}


def rebuild_parallel(settings: PointsSettings) -> Parallel:
    """How audit scans (rebuild diff, replay) spread over processes for a big ledger."""
    jobs = settings.rebuild_jobs or min(os.cpu_count() or 1, 8)
    return Parallel(settings.asyncpg_dsn, connect_settings(settings), jobs)


def connect_settings(settings: PointsSettings) -> dict[str, str]:
    """server_settings for a plain asyncpg connection of the CLIs (same schema, same role as the service)."""
    values = {"search_path": f"{settings.db_schema},public", "timezone": "UTC"}
    if settings.app_role:
        values["role"] = settings.app_role
    return values


async def _ledger_config(settings: PointsSettings, runtime: ServiceRuntime) -> LedgerConfig:
    conn = await asyncpg.connect(settings.asyncpg_dsn, server_settings=connect_settings(settings))
    try:
        key = await load_signing_key(settings, conn)
    finally:
        await conn.close()
    return LedgerConfig(key=key, checkpoint_every=settings.checkpoint_every, namespace=settings.events_namespace,
                        schema=settings.db_schema, policy=policy_of(settings.scheme_id), clock=runtime.clock)
